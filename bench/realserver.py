"""What the server benchmarks share: a fresh PostgreSQL database with production
settings, and gunicorn serving the project from it on loopback."""

import http.client
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tourdraw import keys

ROOT = Path(__file__).resolve().parents[1]

# Keys are made for each benchmark run: none is written in the repository.
PRODUCTION_ENV = {
    **keys.generate(),
    "TOURDRAW_ENV": "production",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
    "LOG_LEVEL": "WARNING",
    # Nothing outside development prints messages; the benchmark keeps them in a file.
    **dict.fromkeys(
        ("TOURDRAW_SMS_CHANNEL", "TOURDRAW_VOICE_CHANNEL", "TOURDRAW_EMAIL_CHANNEL"),
        "tourdraw.notify.channels.FileChannel",
    ),
    # A city platform shares rate limits and cache across its servers in Redis
    # (DESIGN.md, "Scale"); the embedded default keeps them in the database.
    "REDIS_URL": "redis://127.0.0.1:6379/1",
}


def fresh_database(name: str, **env: str) -> None:
    """Drop and create ``name``, point Django at it with production settings
    (plus ``env``), set Django up and migrate."""
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name}")
        db.execute(f"CREATE DATABASE {name}")
    os.environ.update(
        PRODUCTION_ENV,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        DJANGO_SETTINGS_MODULE="tourdraw.settings",
        **env,
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def cpu_seconds(command: str) -> float:
    """User and system CPU time used so far by every process named ``command``
    (``gunicorn``, ``postgres``): per request, it shows where the work goes,
    which the wall clock of a shared machine cannot."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name.startswith(command):
            fields = text[text.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@contextmanager
def gunicorn(port: int, workers: int, *, ready_path: str = "/") -> Iterator[None]:
    """Serve the project (with this process's environment) until the block ends."""
    log = Path(tempfile.mkdtemp()) / "gunicorn.log"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "tourdraw.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            # Import the project once, before forking, as in production: no
            # worker then spends its first requests importing.
            "--preload",
        ],
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'bench'}"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", ready_path)
                break
            except OSError:
                time.sleep(0.1)
        yield
    finally:
        server.terminate()
        server.wait(timeout=20)
