"""The audit trail of one round, exported beside its entries in the public log.

A round's trail is every audit entry about the round itself and about what
feeds or follows its draw: its slots and their places in the round, its
entries, their offers, tickets and promotions, and the groups kept in its
slots. Exported with the public log, an auditor can match each public
statement with who did what around it.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from tourdraw.audit.models import LogEntry
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Entry, Round, RoundSlot
from tourdraw.transparency.log import published
from tourdraw.transparency.models import LogRecord
from tourdraw.visits.models import Offer, Promotion, Ticket

FORMAT = "tourdraw-round-audit/1"


def _ids(rows: QuerySet[Any]) -> QuerySet[Any]:
    # object_id is text: compare with the ids as text, in the database.
    return rows.annotate(text_id=Cast("pk", CharField())).values("text_id")


def trail(round: Round) -> QuerySet[LogEntry]:
    """The audit entries of ``round``, oldest first."""
    entries = Entry.objects.filter(round=round)
    offers = Offer.objects.filter(entry__round=round)
    related = {
        "lottery.round": Round.objects.filter(pk=round.pk),
        "lottery.roundslot": RoundSlot.objects.filter(round=round),
        "catalog.slot": round.slots.all(),
        "lottery.entry": entries,
        "visits.offer": offers,
        "visits.ticket": Ticket.objects.filter(offer__entry__round=round),
        "visits.promotion": Promotion.objects.filter(round=round),
        "groups.groupvisit": GroupVisit.objects.filter(slot__round_slot__round=round),
    }
    matches = Q()
    for label, rows in related.items():
        matches |= Q(object_type=label, object_id__in=_ids(rows))
    return (
        LogEntry.objects.filter(matches)
        .select_related("actor__visitor")
        .order_by("created_at", "pk")
    )


def _actor(entry: LogEntry) -> str | None:
    """Staff by user name; a visitor only by number, as their user name holds
    their phone."""
    actor = entry.actor
    if actor is None:
        return None
    if hasattr(actor, "visitor"):
        return f"visitor:{actor.pk}"
    return str(actor.username)


def exported_trail(round: Round) -> Iterator[dict[str, Any]]:
    """The trail as exported: no personal data (audit data never holds any)."""
    for entry in trail(round).iterator(chunk_size=2000):
        yield {
            "time": entry.created_at.isoformat(),
            "action": entry.action,
            "actor": _actor(entry),
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "data": entry.data,
        }


def public_log(round: Round) -> Iterator[dict[str, Any]]:
    """The round's entries in the public log, as /transparency/log.json serves them."""
    for record in LogRecord.objects.filter(round_code=round.code).order_by("seq").iterator():
        yield published(record)
