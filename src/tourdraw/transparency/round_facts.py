"""What a round's public page states before the first entry (issue 12, item 5):
the places the lottery seats in each slot, the beacon fixed at open, and the
fairness options, in the figures the draw itself uses."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from tourdraw.catalog.models import Slot
from tourdraw.lottery import drand
from tourdraw.lottery.models import Round
from tourdraw.visits import capacity


@dataclass(frozen=True)
class SlotPlaces:
    slot: Slot
    lottery: int  # what the draw seats: the slot's capacity less the groups' places
    groups: int  # kept for approved group visits, outside the lottery


def slot_places(round: Round, slots: list[Slot]) -> list[SlotPlaces]:
    """Each slot's places as the draw counts them: once the round is closed, as
    its closing statement fixed them; before, as they stand
    (``capacity.reserved_by_slot``, which the closing statement is made from)."""
    if round.closing_statement:
        fixed = {s["code"]: s for s in json.loads(round.closing_statement)["slots"]}
        return [
            SlotPlaces(slot, fixed[slot.code]["capacity"], fixed[slot.code]["reserved"])
            for slot in slots
            if slot.code in fixed
        ]
    reserved = capacity.reserved_by_slot(slots)
    rows = []
    for slot in slots:
        groups = reserved.get(slot.pk, 0)
        rows.append(SlotPlaces(slot, max(slot.capacity - groups, 0), groups))
    return rows


@dataclass(frozen=True)
class Beacon:
    chain: str
    chain_hash: str
    round: int
    time: datetime  # when drand publishes that round


def beacon(round: Round) -> Beacon | None:
    """The drand round fixed when the round opened; None before it opens."""
    if round.beacon_round is None or not round.beacon_chain:
        return None
    chain = drand.Chain.from_json(round.beacon_chain)
    published = datetime.fromtimestamp(drand.round_time(chain, round.beacon_round), UTC)
    return Beacon(chain.name, chain.hash, round.beacon_round, published)
