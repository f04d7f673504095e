"""Separate hosts on this one machine: Linux network namespaces joined by a bridge.

Each host has its own network stack and address (10.<n>.0.x), so a process on
one reaches another only over the network, as between machines, and "killing
a host" is killing every process in its namespace. The machine itself (the
bridge's address, .1) plays the clients and the SMS gateway.
"""

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=check, capture_output=True, text=True)


@dataclass
class Network:
    prefix: str  # names of namespaces and links start with it (unique per user of the machine)
    subnet: str  # "10.115.0": the hosts are .2, .3, ...; the machine is .1
    hosts: dict[str, str] = field(default_factory=dict)  # name -> address

    @property
    def bridge(self) -> str:
        return f"{self.prefix}br"

    @property
    def machine(self) -> str:
        return f"{self.subnet}.1"

    def namespace(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def up(self, hosts: dict[str, int]) -> None:
        """Create the bridge and one namespace per host (name -> last address byte)."""
        self.down()
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{self.machine}/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")
        for n, (host, last) in enumerate(hosts.items()):
            ns, outside = self.namespace(host), f"{self.prefix}v{n}"
            address = f"{self.subnet}.{last}"
            run("ip", "netns", "add", ns)
            run("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "link", "set", outside, "master", self.bridge, "up")
            run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
            run("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            self.hosts[host] = address

    def down(self) -> None:
        """Remove what an earlier run with this prefix left (processes, namespaces, links)."""
        listed = run("ip", "netns", "list", check=False).stdout.split("\n")
        for line in listed:
            ns = line.split(" ")[0]
            if ns.startswith(f"{self.prefix}-"):
                self.kill_namespace(ns)
                run("ip", "netns", "del", ns, check=False)
        run("ip", "link", "del", self.bridge, check=False)
        # A namespace's links go away a moment after the namespace: wait for them.
        for _ in range(100):
            links = run("ip", "-o", "link", "show", check=False).stdout
            leftovers = [w for w in links.split() if w.startswith(f"{self.prefix}v")]
            if not leftovers:
                return
            for link in leftovers:
                run("ip", "link", "del", link.split("@")[0].rstrip(":"), check=False)
            time.sleep(0.1)

    def pids(self, host: str) -> list[int]:
        out = run("ip", "netns", "pids", self.namespace(host), check=False).stdout
        return [int(pid) for pid in out.split()]

    def kill_namespace(self, ns: str) -> None:
        out = run("ip", "netns", "pids", ns, check=False).stdout
        for pid in out.split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)

    def kill(self, host: str) -> int:
        """Pull the plug on a host: every process in it, at once, no clean-up."""
        pids = self.pids(host)
        self.kill_namespace(self.namespace(host))
        return len(pids)

    def start(
        self,
        host: str,
        command: Sequence[str],
        *,
        log: Path,
        env: dict[str, str] | None = None,
        user: str | None = None,
    ) -> subprocess.Popen[bytes]:
        prefix = ["ip", "netns", "exec", self.namespace(host)]
        if user:
            prefix += ["runuser", "-u", user, "--"]
        return subprocess.Popen(
            [*prefix, *command],
            env=env if env is not None else dict(os.environ),
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def rss_kib(self, host: str) -> int:
        """Resident memory of every process on a host."""
        total = 0
        for pid in self.pids(host):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total


def postgres_binaries() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: p.parts)
    if not versions:
        raise SystemExit("PostgreSQL's server binaries are missing (apt-get install postgresql)")
    return versions[-1].parent


class Postgres:
    """A PostgreSQL cluster of our own, on its host, run as the postgres user."""

    def __init__(self, network: Network, host: str, directory: Path) -> None:
        self.network, self.host, self.directory = network, host, directory
        self.bin = postgres_binaries()
        self.data = directory / "data"
        self.log = directory / "postgres.log"

    def create(self) -> None:
        owner = pwd.getpwnam("postgres")
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True)
        os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres"]
        initdb += ["--auth=trust", "-E", "UTF8", "--no-sync"]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *initdb], check=True, capture_output=True
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '{self.network.hosts[self.host]}'\n"
                f"unix_socket_directories = '{self.directory}'\n"
                "max_connections = 200\nshared_buffers = 128MB\n"
            )
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.network.subnet}.0/24 trust\n")

    def start(self) -> None:
        self.network.start(
            self.host,
            [str(self.bin / "postgres"), "-D", str(self.data)],
            log=self.log,
            user="postgres",
        )
        self.wait_ready()

    def wait_ready(self, seconds: float = 60) -> None:
        address = self.network.hosts[self.host]
        for _ in range(int(seconds * 10)):
            if run(str(self.bin / "pg_isready"), "-h", address, "-q", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit(f"PostgreSQL did not start; see {self.log}")

    def stop(self) -> None:
        """As a crash would: no checkpoint, recovery from the log at the next start."""
        run(
            "runuser",
            "-u",
            "postgres",
            "--",
            str(self.bin / "pg_ctl"),
            "stop",
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "-w",
            check=False,
        )
