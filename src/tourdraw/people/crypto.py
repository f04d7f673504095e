"""Personal data at rest: Fernet encryption and the keyed hash for matching."""

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def encrypt(text: str) -> str:
    return _fernet(tuple(settings.TOURDRAW_DATA_KEYS)).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return (
        _fernet(tuple(settings.TOURDRAW_DATA_KEYS)).decrypt(token.encode("ascii")).decode("utf-8")
    )


def phone_hash(e164: str) -> str:
    """Finds a visitor by phone number without the number in clear: a plain hash
    of eleven digits is undone by trying them all, a keyed one is not."""
    message = f"phone:{e164}".encode()
    return hmac.new(settings.TOURDRAW_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def decrypt_or_empty(token: str) -> str:
    """The clear text, or "" for a token no configured key opens (a retired key,
    or a value written before it was encrypted): for short-lived values only."""
    try:
        return decrypt(token)
    except (InvalidToken, ValueError):
        return ""


def rotate(token: str) -> str:
    """The token re-encrypted under the first key, whichever key made it."""
    return _fernet(tuple(settings.TOURDRAW_DATA_KEYS)).rotate(token.encode("ascii")).decode("ascii")


def id_hash(doc_type: str, number: str) -> str:
    """The same document always gives the same hash; without the key, nobody can
    test a guessed number against it (unlike a plain sha256 of 18 digits)."""
    message = f"{doc_type}:{number}".encode()
    return hmac.new(settings.TOURDRAW_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()
