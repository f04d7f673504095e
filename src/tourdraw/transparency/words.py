"""Each public log entry told in a sentence, for the /transparency/ page.

The JSON at /transparency/log.json is what a verifier checks; these words are
for the entrant who wants to see, on a phone, what was fixed and when.
"""

import json
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tourdraw.transparency.models import LogRecord


def _short(value: str) -> str:
    return f"{value[:12]}…"


def describe(record: LogRecord) -> str:
    body: dict[str, Any] = json.loads(record.body)
    describe_kind = _DESCRIBERS.get(record.kind)
    if describe_kind is None:
        return _("Entry of kind %(kind)s.") % {"kind": record.kind}
    return describe_kind(body)


def _opening(body: dict[str, Any]) -> str:
    beacon = body.get("beacon", {})
    return _(
        "The round opened. Commitment %(commitment)s; the draw will use drand round "
        "%(round)s of chain %(chain)s, published at %(time)s, after entries close at %(closes)s."
    ) % {
        "commitment": _short(str(body.get("commitment", ""))),
        "round": beacon.get("round"),
        "chain": beacon.get("chain", {}).get("name", ""),
        "time": beacon.get("time"),
        "closes": body.get("closes_at"),
    }


def _closing(body: dict[str, Any]) -> str:
    slots = body.get("slots", [])
    return _(
        "Entries closed: %(entries)s entries, %(persons)s persons, entries digest %(digest)s. "
        "The lottery seats %(places)s places in %(slots)s slots (%(reserved)s kept for groups)."
    ) % {
        "entries": body.get("entries"),
        "persons": body.get("persons"),
        "digest": _short(str(body.get("entries_digest", ""))),
        "places": sum(slot.get("capacity", 0) for slot in slots),
        "slots": len(slots),
        "reserved": sum(slot.get("reserved", 0) for slot in slots),
    }


def _beacon(body: dict[str, Any]) -> str:
    return _("drand round %(round)s was published; its randomness is %(randomness)s.") % {
        "round": body.get("round"),
        "randomness": _short(str(body.get("randomness", ""))),
    }


def _draw(body: dict[str, Any]) -> str:
    return _(
        "The draw was published: %(entries)s entries, %(placed)s placed; record digest %(digest)s."
    ) % {
        "entries": body.get("entries"),
        "placed": body.get("placed"),
        "digest": _short(str(body.get("record_digest", ""))),
    }


_REASONS = {
    "declined": lambda: _("declined"),
    "expired": lambda: _("not confirmed in time"),
    "cancelled": lambda: _("ticket cancelled"),
    "slot_cancelled": lambda: _("session cancelled"),
}


def _release(body: dict[str, Any]) -> str:
    reason = _REASONS.get(str(body.get("reason")), lambda: str(body.get("reason")))()
    persons = int(body.get("persons", 0))
    freed = ngettext(
        "Entry %(entry)s freed %(n)d place in %(slot)s (%(reason)s).",
        "Entry %(entry)s freed %(n)d places in %(slot)s (%(reason)s).",
        persons,
    ) % {"entry": body.get("entry"), "n": persons, "slot": body.get("slot"), "reason": reason}
    promotions = body.get("promotions", [])
    if not body.get("waitlist_open"):
        then = _("The waitlist was closed for this session: no one was promoted.")
    elif not promotions:
        then = _("No entry on the waitlist fitted the free places.")
    else:
        names = ", ".join(f"{p['entry']} ({p['persons']})" for p in promotions)
        then = _("Promoted from the waitlist: %(names)s.") % {"names": names}
    return f"{freed} {then}"


_DESCRIBERS = {
    "opening": _opening,
    "closing": _closing,
    "beacon": _beacon,
    "draw": _draw,
    "release": _release,
}
