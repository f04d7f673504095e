"""drand beacons as ``tourdraw-draw/2`` uses them (spec section 3), without Django.

A round's beacon is fixed when the round opens: a named drand chain and the
number of the first drand round whose time is at or after the close plus a
margin. drand publishes that round's BLS signature only at its time, so no one
can know the randomness while entries are open, and the signature proves that
the value is the chain's and nobody else's.

Chains of the ``bls-unchained-g1-rfc9380`` scheme (drand's quicknet) sign
``sha256(round as 8 big-endian bytes)`` with a key in G2, the signature in G1
(RFC 9380 hash-to-curve with the DST below); the randomness is
``sha256(signature)``. The pairing check uses ``py_ecc`` (the Ethereum
Foundation's pure-Python BLS12-381): no compiled code, so ``tourdraw verify``
installs anywhere, and one check takes a fraction of a second.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

SCHEME: Final = "bls-unchained-g1-rfc9380"
DST: Final = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
_HEX: Final = re.compile(r"(?:[0-9a-f]{2})+")


class BeaconError(ValueError):
    """A beacon that is not the chain's: ``rule`` names what is wrong."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Chain:
    """A drand chain as its ``/info`` document describes it."""

    name: str
    hash: str
    public_key: str
    period: int
    genesis_time: int
    scheme: str = SCHEME

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Chain:
        if not isinstance(data, dict) or set(data) != set(cls.__dataclass_fields__):
            raise BeaconError("chain", f"a chain has exactly the keys {_CHAIN_KEYS}")
        chain = cls(**data)
        for field in ("name", "hash", "public_key", "scheme"):
            if not isinstance(getattr(chain, field), str):
                raise BeaconError("chain", f"chain {field} must be a string")
        for field in ("period", "genesis_time"):
            value = getattr(chain, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise BeaconError("chain", f"chain {field} must be a positive integer")
        if chain.scheme != SCHEME:
            raise BeaconError("chain", f"the chain's scheme must be {SCHEME!r}")
        if not _HEX.fullmatch(chain.public_key) or len(chain.public_key) != 192:
            raise BeaconError("chain", "the chain's public key must be 96 bytes of lowercase hex")
        return chain


_CHAIN_KEYS: Final = sorted(Chain.__dataclass_fields__)

# drand's quicknet, run by the League of Entropy: a round every 3 seconds.
QUICKNET: Final = Chain(
    name="quicknet",
    hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    public_key=(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
        "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
        "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
    ),
    period=3,
    genesis_time=1692803367,
)


def round_time(chain: Chain, number: int) -> int:
    """The Unix time at which round ``number`` is published: genesis + (number - 1) * period."""
    return chain.genesis_time + (number - 1) * chain.period


def round_at(chain: Chain, moment: datetime) -> int:
    """The first round whose time is at or after ``moment`` (a fraction of a second
    counts as the next whole second)."""
    seconds = math.ceil(moment.timestamp())
    return max(1, -(-(seconds - chain.genesis_time) // chain.period) + 1)


def message(number: int) -> bytes:
    """What the chain signs for round ``number``."""
    return hashlib.sha256(number.to_bytes(8, "big")).digest()


def randomness(signature: str) -> str:
    """The round's randomness: sha256 of its signature, as hex."""
    return hashlib.sha256(bytes.fromhex(signature)).hexdigest()


def verify(chain: Chain, number: int, signature: object) -> str:
    """Check that ``signature`` is ``chain``'s signature of round ``number``; return the
    randomness. Raises :class:`BeaconError` otherwise."""
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    from py_ecc.optimized_bls12_381 import (
        G2,
        curve_order,
        final_exponentiate,
        is_inf,
        multiply,
        neg,
        pairing,
    )

    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise BeaconError("beacon_round", "the beacon round must be a positive integer")
    if not isinstance(signature, str) or not _HEX.fullmatch(signature) or len(signature) != 96:
        raise BeaconError("beacon_signature", "the signature must be 48 bytes of lowercase hex")
    key = bytes.fromhex(chain.public_key)
    try:
        point = decompress_G1(int.from_bytes(bytes.fromhex(signature), "big"))  # type: ignore[arg-type]  # py_ecc types the compressed point as a NewType of int
        public = decompress_G2((int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big")))  # type: ignore[arg-type]  # as above, a pair of ints
    except (ValueError, TypeError) as error:
        raise BeaconError("beacon_signature", f"not a point of the curve: {error}") from None
    if is_inf(point) or not is_inf(multiply(point, curve_order)):
        raise BeaconError("beacon_signature", "the signature is not in the G1 subgroup")
    if is_inf(public) or not is_inf(multiply(public, curve_order)):
        raise BeaconError("chain", "the chain's public key is not in the G2 subgroup")
    hashed = hash_to_G1(message(number), DST, hashlib.sha256)  # type: ignore[arg-type]  # py_ecc types the hash function as a hash object
    product = pairing(G2, point, final_exponentiate=False) * pairing(
        public, neg(hashed), final_exponentiate=False
    )
    if final_exponentiate(product) != FQ12.one():
        raise BeaconError(
            "beacon_signature", f"the signature is not {chain.name}'s signature of round {number}"
        )
    return randomness(signature)


def sign(secret_key: int, number: int) -> str:
    """Sign round ``number`` as a chain with ``secret_key`` would: for a local test chain."""
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import compress_G1
    from py_ecc.optimized_bls12_381 import multiply

    hashed = hash_to_G1(message(number), DST, hashlib.sha256)  # type: ignore[arg-type]  # py_ecc types the hash function as a hash object
    point = multiply(hashed, secret_key)
    return int(compress_G1(point)).to_bytes(48, "big").hex()


def public_key(secret_key: int) -> str:
    """The G2 public key of ``secret_key``, as a chain's ``/info`` shows it."""
    from py_ecc.bls.point_compression import compress_G2
    from py_ecc.optimized_bls12_381 import G2, multiply

    high, low = compress_G2(multiply(G2, secret_key))
    return (int(high).to_bytes(48, "big") + int(low).to_bytes(48, "big")).hex()
