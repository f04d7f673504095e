"""Entry receipts (spec section 6): what the entrant holds to check the draw.

A receipt states the entry as the draw will read it (party, tier, weight, the
digest of its choices in rank order) and is signed with the platform's log
key, so that its holder can later show that an entry dropped or altered after
the fact is not the one the platform accepted.
"""

from typing import Any

from tourdraw.lottery import statements
from tourdraw.lottery.draw import canonical
from tourdraw.lottery.entries import choices_of
from tourdraw.lottery.models import Entry
from tourdraw.transparency.keys import log_key


def receipt_for(entry: Entry) -> dict[str, Any]:
    """The signed receipt of ``entry`` as it stands now (after its last change)."""
    key = log_key()
    payload = statements.receipt_payload(
        round=entry.round.code,
        entry=entry.code,
        party=entry.party_size,
        tier=entry.tier,
        weight=entry.weight,
        choices=[choice.slot.code for choice in choices_of(entry)],
        time=entry.updated_at,
        key_id=key.id,
    )
    return {**payload, "signature": key.sign(canonical(payload))}


def filename(entry: Entry) -> str:
    return f"tourdraw-receipt-{entry.round.code}-{entry.code}.json"
