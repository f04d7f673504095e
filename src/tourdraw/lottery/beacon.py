"""Fetching a round's beacon from drand HTTP relays, checked before it is used.

The beacon round is fixed when the round opens (``statements.beacon_round``):
nothing here chooses it. Once its time has come the worker asks each relay of
``TOURDRAW_DRAND_RELAYS`` in turn for that one round and keeps the first answer
whose BLS signature is the chain's (``drand.verify``), so a relay can delay
the draw but never pick its randomness. If none answers with a valid
signature the round stays closed, "waiting for beacon round R", with the
reason shown, and the next tick tries again: there is no other value to fall
back on.
"""

import json
import logging
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError
from tourdraw.lottery import drand
from tourdraw.lottery.models import Round

logger = logging.getLogger("tourdraw.beacon")
# Each failed try may wait for every relay's timeout: not on every worker tick.
RETRY = timedelta(seconds=30)


class BeaconUnavailable(DomainError):
    pass


def chain_of(round: Round) -> drand.Chain:
    """The chain fixed in the round's opening statement."""
    return drand.Chain.from_json(round.beacon_chain)


def beacon_time(round: Round) -> int:
    """The Unix time at which the round's beacon round is published."""
    assert round.beacon_at is not None
    return int(round.beacon_at.timestamp())


def _ask(relay: str, chain: drand.Chain, number: int, timeout: float) -> str:
    """One relay's signature of round ``number``, checked; raises ValueError/OSError."""
    if not relay.startswith(("http://", "https://")):
        raise ValueError("the relay address must start with http:// or https://")
    url = f"{relay.rstrip('/')}/{chain.hash}/public/{number}"
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (checked above)
        data: Any = json.loads(response.read(64 * 1024))
    if not isinstance(data, dict) or data.get("round") != number:
        raise ValueError(
            f"it answered for round {data.get('round') if isinstance(data, dict) else None}"
        )
    signature = data.get("signature")
    randomness = drand.verify(chain, number, signature)
    if data.get("randomness", randomness) != randomness:
        raise ValueError("its randomness is not sha256 of the signature")
    return str(signature)


def fetch(chain: drand.Chain, number: int, relays: Sequence[str], *, timeout: float) -> str:
    """The chain's signature of round ``number`` from the first relay that gives a
    valid one; :class:`BeaconUnavailable` naming each relay's failure otherwise."""
    failures = []
    for relay in relays:
        try:
            return _ask(relay, chain, number, timeout)
        except drand.BeaconError as error:
            failures.append(f"{relay}: {error}")
        except (OSError, ValueError) as error:
            failures.append(f"{relay}: {error}")
    raise BeaconUnavailable(
        _("No relay gave a valid signature of beacon round %(round)d: %(reasons)s")
        % {"round": number, "reasons": "; ".join(failures) or _("no relay is configured")},
        code=Code.BEACON_UNAVAILABLE,
        field="beacon",
    )


def accept(round: Round, signature: str, *, now: datetime, actor: Any = None) -> Round:
    """Store the beacon of the round's fixed beacon round once its signature is the
    chain's; a signature of any other round, or of any other key, is refused."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state != Round.State.CLOSED or locked.beacon_round is None:
            raise BeaconUnavailable(
                _("A beacon is taken only for a closed round that fixed one when it opened."),
                code=Code.BEACON_NOT_NOW,
                field="beacon",
            )
        if locked.beacon_signature:
            raise BeaconUnavailable(
                _("This round's beacon is already fixed."), code=Code.BEACON_FIXED, field="beacon"
            )
        try:
            randomness = drand.verify(chain_of(locked), locked.beacon_round, signature)
        except drand.BeaconError as error:
            raise BeaconUnavailable(str(error), code=Code.BEACON_INVALID, field="beacon") from None
        locked.beacon_signature, locked.beacon_randomness = signature, randomness
        locked.beacon_tried_at, locked.beacon_error = now, ""
        locked.save(
            update_fields=[
                "beacon_signature",
                "beacon_randomness",
                "beacon_tried_at",
                "beacon_error",
            ]
        )
        log_action(
            "tourdraw.round.beacon_fetched",
            locked,
            actor=actor,
            data={"round": locked.beacon_round, "randomness": randomness},
        )
    round.refresh_from_db()
    return round


def fetch_for(round: Round, *, now: datetime) -> bool:
    """Try once to fetch and store the round's beacon; on failure record why."""
    chain, number = chain_of(round), round.beacon_round
    assert number is not None
    try:
        signature = fetch(
            chain, number, settings.TOURDRAW_DRAND_RELAYS, timeout=settings.TOURDRAW_DRAND_TIMEOUT
        )
        accept(round, signature, now=now)
    except BeaconUnavailable as error:
        logger.warning("round %s waits for beacon round %d: %s", round.code, number, error)
        Round.objects.filter(pk=round.pk, beacon_signature="").update(
            beacon_tried_at=now, beacon_error=str(error)[:2000]
        )
        return False
    return True


def fetch_due_beacons(now: datetime) -> int:
    """Fetch the beacon of every closed round whose beacon round's time has come;
    a round whose relays all failed is tried again after ``RETRY``."""
    waiting = Round.objects.filter(
        state=Round.State.CLOSED, beacon_round__isnull=False, beacon_signature=""
    ).exclude(beacon_tried_at__gt=now - RETRY)
    due = [round for round in waiting if beacon_time(round) <= now.timestamp()]
    return sum(fetch_for(round, now=now) for round in due)
