"""The platform's Ed25519 key for the public log and entry receipts.

``TOURDRAW_LOG_KEY`` is ``key-id:base64url(32 raw bytes)``, like the ticket
keys; only its public half ever leaves the server
(``/.well-known/tourdraw-log-key.json``).
"""

import base64
import functools
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class LogKey:
    id: str
    private: Ed25519PrivateKey

    @property
    def public_hex(self) -> str:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "algorithm": "Ed25519", "public_key": self.public_hex}


@functools.lru_cache(maxsize=2)
def _parse(configured: str) -> LogKey:
    key_id, _, secret = configured.partition(":")
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        private = Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"TOURDRAW_LOG_KEY must be key-id:base64url(32 bytes): {error}"
        ) from None
    if not key_id:
        raise ImproperlyConfigured("TOURDRAW_LOG_KEY must start with a key id and a colon")
    return LogKey(key_id, private)


def log_key() -> LogKey:
    return _parse(settings.TOURDRAW_LOG_KEY)
