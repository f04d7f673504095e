"""A local drand-compatible beacon chain, for tests and the demo.

These machines reach no drand relay, so the whole beacon path (a relay asked
over HTTP, the BLS signature checked against the chain's public key, a round
not available before its time) runs against this chain instead: its own BLS
key, the same scheme as drand's quicknet, and the same HTTP shape, serving
``/info`` and ``/<chain hash>/public/<round>`` (404 before the round's time).
"""

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

from tourdraw.lottery import drand
from tourdraw.lottery.draw import canonical

# The key of the chain the tests use: fixed, so signatures can be checked in
# by hand. Never a real chain's key.
TEST_SECRET_KEY: Final = 0x1D2C3B4A59687766554433221100FFEEDDCCBBAA99887766554433221100FFEE
TEST_GENESIS: Final = 1_700_000_000
# The BLS12-381 group order: a secret key is a number below it.
_ORDER: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001


def new_secret_key() -> int:
    return secrets.randbelow(_ORDER - 1) + 1


@lru_cache(maxsize=8)
def chain_for(secret_key: int, genesis_time: int, period: int = 3) -> drand.Chain:
    """The chain that ``secret_key`` signs; named by the digest of what defines it."""
    public_key = drand.public_key(secret_key)
    facts = {"public_key": public_key, "period": period, "genesis_time": genesis_time}
    return drand.Chain(
        name="tourdraw-local",
        hash=hashlib.sha256(canonical(facts)).hexdigest(),
        public_key=public_key,
        period=period,
        genesis_time=genesis_time,
    )


def fixed_chain() -> drand.Chain:
    """The chain of :data:`TEST_SECRET_KEY`, as the tests configure it."""
    return chain_for(TEST_SECRET_KEY, TEST_GENESIS)


class LocalChain:
    """Signs rounds as a drand chain would; ``clock`` says what time it is."""

    def __init__(
        self,
        secret_key: int = TEST_SECRET_KEY,
        genesis_time: int = TEST_GENESIS,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secret_key = secret_key
        self.chain = chain_for(secret_key, genesis_time)
        self.clock = clock
        self._sign = lru_cache(maxsize=256)(self._signature)

    def _signature(self, number: int) -> str:
        return drand.sign(self.secret_key, number)

    def published(self, number: int) -> bool:
        return number >= 1 and drand.round_time(self.chain, number) <= self.clock()

    def beacon(self, number: int) -> dict[str, Any]:
        """Round ``number`` in drand's JSON shape."""
        signature = self._sign(number)
        return {"round": number, "randomness": drand.randomness(signature), "signature": signature}

    def info(self) -> dict[str, Any]:
        """The chain as drand's ``/info`` shows it."""
        return {
            "public_key": self.chain.public_key,
            "period": self.chain.period,
            "genesis_time": self.chain.genesis_time,
            "hash": self.chain.hash,
            "schemeID": self.chain.scheme,
            "metadata": {"beaconID": self.chain.name},
        }

    def respond(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and JSON body a drand relay gives for ``path``."""
        parts = [part for part in path.split("?", 1)[0].split("/") if part]
        if parts in (["info"], [self.chain.hash, "info"]):
            return 200, self.info()
        if len(parts) == 3 and parts[0] == self.chain.hash and parts[1] == "public":
            if parts[2].isdigit() and self.published(int(parts[2])):
                return 200, self.beacon(int(parts[2]))
            return 404, {"error": "round not published yet"}
        return 404, {"error": "no such path"}

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        """An HTTP relay for this chain, served from a daemon thread; ``shutdown()`` it."""
        chain = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = chain.respond(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def load_or_create(path: Path) -> LocalChain:
    """The local chain whose key is kept in ``path`` (made on first use): the demo's."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = {"secret_key": f"{new_secret_key():064x}", "genesis_time": TEST_GENESIS}
        path.write_text(json.dumps(key, indent=1) + "\n")
        path.chmod(0o600)
    key = json.loads(path.read_text())
    return LocalChain(int(key["secret_key"], 16), int(key["genesis_time"]))
