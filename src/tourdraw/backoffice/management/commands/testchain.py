import json
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from tourdraw.lottery import testchain


class Command(BaseCommand):
    help = (
        "Serve the local drand-compatible test chain (its key kept in the data directory), "
        "for a server and worker started by hand; `demo` starts one itself."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8122, help="port to serve on")

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        chain = testchain.load_or_create(settings.DATA_DIR / "drand-local-chain.json")
        relay = chain.serve("127.0.0.1", port)
        self.stdout.write(
            "Serving the local drand chain; start the server and the worker with:\n"
            f"TOURDRAW_DRAND_CHAIN='{json.dumps(chain.chain.as_json())}'\n"
            f"TOURDRAW_DRAND_RELAYS=http://127.0.0.1:{relay.server_port}"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            relay.shutdown()
