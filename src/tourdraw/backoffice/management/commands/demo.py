import json
import os
import subprocess
import sys
from base64 import b32encode
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tourdraw.backoffice import demo_data
from tourdraw.catalog.models import Site
from tourdraw.lottery import testchain
from tourdraw.people import second_factor


def served_at(addr: str) -> str:
    """The link to what runserver serves on ``addr``: "8780" is 127.0.0.1:8780."""
    host, _, port = addr.rpartition(":")
    return f"http://{host or '127.0.0.1'}:{port}"


class Command(BaseCommand):
    help = "Set up the database, load the demo data once, and serve the demo with its worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
        parser.add_argument("--no-serve", action="store_true", help="set up and load, then exit")
        parser.add_argument(
            "--chain-port",
            type=int,
            default=0,
            help="port of the local drand chain's relay (default: any free port)",
        )

    def handle(
        self, *args: Any, addr: str, no_serve: bool, chain_port: int, **options: Any
    ) -> None:
        relay = self.start_local_chain(chain_port)
        site_url = settings.SITE_URL
        # Links in messages (offers, tickets) point at this server, not the
        # default address, unless SITE_URL was given.
        if "SITE_URL" not in os.environ:
            settings.SITE_URL = served_at(addr)
        try:
            self.run_demo(addr, no_serve)
        finally:
            settings.SITE_URL = site_url
            relay.shutdown()

    def start_local_chain(self, port: int) -> Any:
        """Serve the demo's own drand-compatible chain (no drand relay is reachable
        here) and fix every round's beacon on it, in this process and the worker's."""
        chain = testchain.load_or_create(settings.DATA_DIR / "drand-local-chain.json")
        relay = chain.serve("127.0.0.1", port)
        url = f"http://127.0.0.1:{relay.server_port}"
        settings.TOURDRAW_DRAND_CHAIN = chain.chain
        settings.TOURDRAW_DRAND_RELAYS = [url]
        self.stdout.write(f"Local drand chain {chain.chain.hash[:16]}... relayed at {url}/")
        return relay

    def run_demo(self, addr: str, no_serve: bool) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Site.objects.exists():
            self.stdout.write("Loading demo data (sites, tours, slots, rounds, entries)...")
            counts = demo_data.load()
            self.stdout.write(f"Demo entries: {counts}")
        operator, password = demo_data.operator_account(settings.DATA_DIR)
        # Staff sign in with a second factor, the demo's operator too.
        device, codes = second_factor.enrol_demo_operator(operator)
        key = b32encode(device.bin_key).decode()
        url = served_at(addr)
        admin = f"{url}/{settings.TOURDRAW_ADMIN_PATH}"
        kept = settings.DATA_DIR / demo_data.OPERATOR_FILE
        self.stdout.write(
            self.style.SUCCESS(
                f"\ntourdraw demo at {url}/\n"
                f"Operator login: {url}/backoffice/  user: operator  password: {password}\n"
                f"(the same password on every start; it is kept in {kept})\n"
                f"Second factor: add the key {key} to an authenticator app (TOTP, 6 digits,\n"
                f"30 s), or type one of these one-time recovery codes: {' '.join(codes)}\n"
                f"(the same login opens the admin, {admin}, and the API docs are at "
                f"{url}/api/v1/docs)\n"
                "Visitors sign in with any mainland mobile number; the code is printed here.\n"
            )
        )
        if no_serve:
            return
        # The worker fetches the beacons from the same local chain.
        chain = {
            "TOURDRAW_DRAND_CHAIN": json.dumps(settings.TOURDRAW_DRAND_CHAIN.as_json()),
            "TOURDRAW_DRAND_RELAYS": ",".join(settings.TOURDRAW_DRAND_RELAYS),
            "SITE_URL": settings.SITE_URL,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "tourdraw", "worker"], env={**os.environ, **chain}
        )
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
