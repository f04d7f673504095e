"""Signed ticket payloads (the QR code): versioned, Ed25519, no personal data.

A payload is ``TD1.<body>.<signature>``, both parts base64url without padding.
The body is canonical JSON ``{"d": visit date, "k": key id, "p": persons,
"s": slot id, "t": ticket code, "v": 1}``. The key id lets keys rotate: the
first configured key signs, every configured key verifies, and a gate that
holds only public keys can check a ticket offline.

An approved group's code is ``TG1.<body>.<signature>``, the body ``{"d": visit
date, "g": group id, "k": key id, "p": persons, "s": slot id, "v": 1}``. The
prefix is signed with the body, so a group's code can never be read as a party
ticket nor a party ticket as a group's: each verifier takes its own prefix
only, and a prefix swapped by hand breaks the signature.
"""

import base64
import functools
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils.translation import gettext as _

from tourdraw.errors import Code

PREFIX = "TD1"
GROUP_PREFIX = "TG1"
VERSION = 1


class TicketSignatureError(ValueError):
    """``code``: ``Code.MALFORMED``, ``UNKNOWN_KEY`` or ``FORGED``. Not a domain
    error: a gate verifies offline with the same rule; the services turn it
    into one (see tourdraw.errors)."""

    def __init__(self, message: str, *, code: Code) -> None:
        super().__init__(message)
        self.code = code


def refusal(code: str) -> str:
    """What the gate and the API say of a ``TicketSignatureError``, in the reader's
    language; the error's own reason is English, for logs and the verifier."""
    if code == "forged":
        return _("Forged ticket: the signature does not match.")
    if code == "unknown_key":
        return _("Not a valid ticket code: it is signed with a key this site does not know.")
    return _("Not a valid ticket code: it is not a tourdraw ticket, or it cannot be read.")


@dataclass(frozen=True)
class TicketClaim:
    """What a verified payload says; still to be checked against the ticket's state."""

    ticket: str
    slot_id: int
    visit_date: date
    persons: int
    key_id: str


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=4)
def _keys(configured: tuple[str, ...]) -> tuple[tuple[str, Ed25519PrivateKey], ...]:
    keys = []
    for item in configured:
        key_id, _, secret = item.partition(":")
        keys.append((key_id, Ed25519PrivateKey.from_private_bytes(_b64decode(secret))))
    return tuple(keys)


def signing_keys() -> tuple[tuple[str, Ed25519PrivateKey], ...]:
    return _keys(tuple(settings.TOURDRAW_TICKET_KEYS))


def public_keys() -> dict[str, Ed25519PublicKey]:
    return {key_id: key.public_key() for key_id, key in signing_keys()}


def public_keys_raw() -> dict[str, str]:
    """The public keys as base64url, for gates that verify offline."""
    return {
        key_id: _b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw))
        for key_id, key in public_keys().items()
    }


@dataclass(frozen=True)
class GroupClaim:
    """What a verified group code says; still to be checked against the group's state."""

    group_id: int
    slot_id: int
    visit_date: date
    persons: int
    key_id: str


def _sign(prefix: str, body: dict[str, Any]) -> str:
    key_id, key = signing_keys()[0]
    body = {**body, "k": key_id, "v": VERSION}
    encoded = _b64encode(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    signed = f"{prefix}.{encoded}"
    return f"{signed}.{_b64encode(key.sign(signed.encode('ascii')))}"


def sign(ticket: str, slot_id: int, visit_date: date, persons: int) -> str:
    return _sign(PREFIX, {"d": visit_date.isoformat(), "p": persons, "s": slot_id, "t": ticket})


def sign_group(group_id: int, slot_id: int, visit_date: date, persons: int) -> str:
    """A group's code: its id (not its secret page link), session and size."""
    return _sign(
        GROUP_PREFIX, {"d": visit_date.isoformat(), "g": group_id, "p": persons, "s": slot_id}
    )


def is_group_code(payload: str) -> bool:
    """Whether a scanned text claims to be a group's code (unverified: by its prefix)."""
    return payload.strip().startswith(GROUP_PREFIX + ".")


def _verified(
    prefix: str, payload: str, keys: dict[str, Ed25519PublicKey] | None
) -> dict[str, Any]:
    """The body of a payload of this prefix whose signature holds."""
    keys = public_keys() if keys is None else keys
    parts = payload.strip().split(".")
    if len(parts) != 3 or parts[0] != prefix:
        raise TicketSignatureError(
            f"not a tourdraw {'group' if prefix == GROUP_PREFIX else 'ticket'} code",
            code=Code.MALFORMED,
        )
    try:
        body = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
        key_id = str(body["k"])
    except (ValueError, KeyError, TypeError):
        raise TicketSignatureError("the ticket code cannot be read", code=Code.MALFORMED) from None
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise TicketSignatureError("unknown ticket version", code=Code.MALFORMED)
    key = keys.get(key_id)
    if key is None:
        raise TicketSignatureError(f"unknown signing key {key_id!r}", code=Code.UNKNOWN_KEY)
    try:
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        raise TicketSignatureError("the signature does not match", code=Code.FORGED) from None
    return body


def verify(payload: str, keys: dict[str, Ed25519PublicKey] | None = None) -> TicketClaim:
    """Check a scanned party ticket's signature; raise ``TicketSignatureError`` if it fails."""
    body = _verified(PREFIX, payload, keys)
    try:
        return TicketClaim(
            ticket=str(body["t"]),
            slot_id=int(body["s"]),
            visit_date=date.fromisoformat(body["d"]),
            persons=int(body["p"]),
            key_id=str(body["k"]),
        )
    except (ValueError, KeyError, TypeError):
        raise TicketSignatureError("the ticket code cannot be read", code=Code.MALFORMED) from None


def verify_group(payload: str, keys: dict[str, Ed25519PublicKey] | None = None) -> GroupClaim:
    """Check a scanned group code's signature; raise ``TicketSignatureError`` if it fails."""
    body = _verified(GROUP_PREFIX, payload, keys)
    try:
        return GroupClaim(
            group_id=int(body["g"]),
            slot_id=int(body["s"]),
            visit_date=date.fromisoformat(body["d"]),
            persons=int(body["p"]),
            key_id=str(body["k"]),
        )
    except (ValueError, KeyError, TypeError):
        raise TicketSignatureError("the group code cannot be read", code=Code.MALFORMED) from None
