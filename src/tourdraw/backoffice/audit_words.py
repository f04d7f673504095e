"""The audit log in words: each event as a sentence, its data as labelled values.

The log stores a dotted action and a JSON object (audit/services.py); the
back office reads them here as "op-1 closed round winter-1 early" and a table
of what changed, before and after. A value is never shown as Python writes it
(``{'a': 1}``, ``datetime.date(...)``): lists, objects and times are spelled
out. Personal data the log withheld stays withheld.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tourdraw.audit.changes import WITHHELD
from tourdraw.visits.models import CallAttempt

L = gettext_lazy

# Each event in words, when a person did it.
SENTENCES: dict[str, Promise] = {
    "tourdraw.round.created": L("%(actor)s scheduled round %(object)s with %(slots)s sessions."),
    "tourdraw.round.opened": L("%(actor)s opened round %(object)s for entries."),
    "tourdraw.round.closed": L(
        "%(actor)s closed round %(object)s early; %(entries)s entries are frozen."
    ),
    "tourdraw.round.drawn": L(
        "%(actor)s drew round %(object)s: %(placed)s of %(entries)s entries placed."
    ),
    "tourdraw.round.beacon_fetched": L(
        "%(actor)s fetched beacon round %(round)s for round %(object)s."
    ),
    "tourdraw.round.slots_added": L("%(actor)s added %(slots)s sessions to round %(object)s."),
    "tourdraw.entry.created": L(
        "A visitor entered round %(round)s: entry %(object)s, %(party)s persons, "
        "%(choices)s choices."
    ),
    "tourdraw.entry.changed": L(
        "A visitor changed entry %(object)s: %(party)s persons, %(choices)s choices."
    ),
    "tourdraw.entry.withdrawn": L("A visitor withdrew entry %(object)s."),
    "tourdraw.entry.left_waitlist": L("Entry %(object)s left the waitlist."),
    "tourdraw.entry.voided": L(
        "%(actor)s voided entry %(object)s: its ID document was proved to be another person's."
    ),
    "tourdraw.offer.confirmed": L("%(actor)s confirmed the place of entry %(object)s (%(via)s)."),
    "tourdraw.offer.declined": L(
        "%(actor)s declined the place of entry %(object)s (%(persons)s persons)."
    ),
    "tourdraw.offer.expired": L(
        "The place of entry %(object)s expired unconfirmed (%(persons)s persons)."
    ),
    "tourdraw.offer.cancelled": L(
        "%(actor)s cancelled the place of entry %(object)s (%(persons)s persons)."
    ),
    "tourdraw.offer.promoted": L("Entry %(object)s was offered a place from the waitlist."),
    "tourdraw.offer.called": L(
        "Call centre (%(actor)s) recorded “%(outcome)s” for entry %(object)s."
    ),
    "tourdraw.slot.cancelled": L("%(actor)s cancelled session %(object)s: “%(reason)s”."),
    "tourdraw.ticket.cancelled": L("%(actor)s cancelled the ticket of entry %(object)s."),
    "tourdraw.ticket.checked_in": L(
        "%(actor)s checked in %(persons)s persons of entry %(object)s at gate %(gate)s."
    ),
    "tourdraw.ticket.no_show": L("Entry %(object)s did not come: its ticket is a no-show."),
    "tourdraw.gate.synced": L(
        "%(actor)s synced gate %(gate)s for session %(object)s: %(accepted)s accepted, "
        "%(conflicts)s conflicts, %(refused)s refused."
    ),
    "tourdraw.group.requested": L("Group visit %(object)s was requested for %(size)s persons."),
    "tourdraw.group.approved": L("%(actor)s approved group visit %(object)s for %(size)s persons."),
    "tourdraw.group.declined": L("%(actor)s declined group visit %(object)s: “%(reason)s”."),
    "tourdraw.group.members_uploaded": L(
        "Group visit %(object)s sent its list of %(members)s members."
    ),
    "tourdraw.group.checked_in": L(
        "%(actor)s checked in %(persons)s persons of group visit %(object)s at gate %(gate)s."
    ),
    "tourdraw.group.erased": L("The members' personal data of group visit %(object)s was erased."),
    "tourdraw.identity.moved": L(
        "%(actor)s moved an ID document to the account that proved it theirs: "
        "%(entries_voided)s entries voided, %(places_released)s places released."
    ),
    "tourdraw.token.issued": L("%(actor)s issued API token %(prefix)s…."),
    "tourdraw.token.revoked": L("%(actor)s revoked API token %(prefix)s…."),
    "tourdraw.staff.second_factor_enrolled": L("%(actor)s enrolled a second factor."),
    "tourdraw.staff.recovery_codes_issued": L("%(actor)s was issued new recovery codes."),
    "tourdraw.staff.recovery_code_used": L("%(actor)s signed in with a recovery code."),
    "tourdraw.visitor.registered": L("A visitor registered."),
    "tourdraw.visitor.signed_in": L("A visitor signed in."),
    "tourdraw.visitor.profile_saved": L("A visitor saved their profile."),
    "tourdraw.visitor.deleted": L("A visitor deleted their account."),
    "tourdraw.person.corrected": L("A visitor corrected a person's details."),
    "tourdraw.person.erased": L("A person's personal data was erased (%(reason)s)."),
    "tourdraw.admin.added": L("%(actor)s added %(object)s in the admin."),
    "tourdraw.admin.changed": L("%(actor)s changed %(object)s in the admin."),
    "tourdraw.admin.deleted": L("%(actor)s deleted %(object)s in the admin."),
}
# When the system did it (no actor), where that reads otherwise than "The system ...".
BY_THE_SYSTEM: dict[str, Promise] = {
    "tourdraw.round.opened": L("Round %(object)s opened for entries."),
    "tourdraw.round.closed": L(
        "Round %(object)s closed at its closing time; %(entries)s entries are frozen."
    ),
    "tourdraw.round.drawn": L(
        "Round %(object)s was drawn: %(placed)s of %(entries)s entries placed."
    ),
    "tourdraw.round.beacon_fetched": L("Beacon round %(round)s was fetched for round %(object)s."),
    "tourdraw.staff.second_factor_enrolled": L("A second factor was enrolled for a demo account."),
}
CONSENT = L("A visitor accepted the %(kind)s (version %(version)s).")
UNKNOWN = L("%(actor)s: event “%(action)s” on %(object)s.")


# The kinds of event the filter offers: each action starting with the prefix.
KINDS: list[tuple[str, Promise]] = [
    ("tourdraw.round", L("Rounds")),
    ("tourdraw.slot", L("Sessions")),
    ("tourdraw.entry", L("Entries")),
    ("tourdraw.offer", L("Places and calls")),
    ("tourdraw.ticket", L("Tickets and check-ins")),
    ("tourdraw.gate", L("Gate devices")),
    ("tourdraw.group", L("Group visits")),
    ("tourdraw.identity", L("ID document disputes")),
    ("tourdraw.admin", L("Changes in the admin")),
    ("tourdraw.token", L("API tokens")),
    ("tourdraw.staff", L("Staff sign-in")),
    ("tourdraw.visitor", L("Visitors")),
    ("tourdraw.person", L("Persons")),
    ("tourdraw.consent", L("Consent")),
]


# The state an event moves its object from and to, for the before/after table.
TRANSITIONS: dict[str, tuple[Promise, Promise]] = {
    "tourdraw.round.opened": (L("scheduled"), L("open for entries")),
    "tourdraw.round.closed": (L("open for entries"), L("closed")),
    "tourdraw.round.drawn": (L("closed"), L("drawn")),
    "tourdraw.entry.withdrawn": (L("entered"), L("withdrawn")),
    "tourdraw.entry.voided": (L("entered"), L("withdrawn")),
    "tourdraw.offer.confirmed": (L("awaiting confirmation"), L("confirmed")),
    "tourdraw.offer.declined": (L("awaiting confirmation"), L("declined")),
    "tourdraw.offer.expired": (L("awaiting confirmation"), L("expired")),
    "tourdraw.offer.cancelled": (L("held"), L("cancelled")),
    "tourdraw.slot.cancelled": (L("planned"), L("cancelled")),
    "tourdraw.ticket.cancelled": (L("valid"), L("cancelled")),
    "tourdraw.group.approved": (
        pgettext_lazy("group visit", "requested"),
        pgettext_lazy("group visit", "approved"),
    ),
    "tourdraw.group.declined": (
        pgettext_lazy("group visit", "requested"),
        pgettext_lazy("group visit", "declined"),
    ),
}

# What each key of an event's data means.
KEYS: dict[str, Promise] = {
    "reason": L("reason"),
    "persons": L("persons"),
    "party": L("persons"),
    "size": L("persons"),
    "choices": L("choices"),
    "slots": L("sessions"),
    "entries": L("entries"),
    "placed": L("placed"),
    "round": L("round"),
    "entry": L("entry"),
    "via": L("confirmed by"),
    "outcome": L("call outcome"),
    "gate": L("gate"),
    "device": L("device"),
    "members": L("members"),
    "ticket": L("ticket"),
    "seed": L("seed"),
    "commitment": L("commitment"),
    "beacon_round": L("beacon round"),
    "randomness": L("randomness"),
    "entries_digest": L("entries digest"),
    "closing_digest": L("closing digest"),
    "copy_of": L("copy of"),
    "version": L("version"),
    "prefix": L("token prefix"),
    "choices_dropped": L("choices dropped"),
    "entries_withdrawn": L("entries withdrawn"),
    "places_cancelled": L("places cancelled"),
    "groups_released": L("groups released"),
    "accepted": L("accepted"),
    "conflicts": L("conflicts"),
    "refused": L("refused"),
    "refusals": L("refusals"),
    "entries_voided": L("entries voided"),
    "places_released": L("places released"),
    "bans_lifted": L("no-show bans lifted"),
    "evidence": L("evidence"),
    "from_visitor": L("from visitor"),
    "to_visitor": L("to visitor"),
    "message": L("admin message"),
    "demo": L("demo"),
}
# Keys the sentence or the before/after table already says.
_SAID = frozenset({"via", "changes"})


def shown(value: Any) -> str:
    """A value as a reader reads it: never a Python repr."""
    if value is None or value == "":
        return "—"
    if value == WITHHELD:
        return _("withheld")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(shown(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {shown(item)}" for key, item in value.items()) or "—"
    if isinstance(value, str):
        moment = _moment(value)
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT") if moment else value
    return str(value)


def _moment(text: str) -> datetime | None:
    if not (len(text) >= 16 and text[4:5] == "-" and "T" in text):
        return None
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    if moment is not None and timezone.is_aware(moment):
        return timezone.localtime(moment)
    return moment


def _blank(value: Any) -> str:
    """A value in a sentence's blank: a list counts its items."""
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, str) and value in CallAttempt.Outcome.values:
        return str(CallAttempt.Outcome(value).label)
    return shown(value)


class _Blanks(dict[str, SafeString]):
    def __missing__(self, key: str) -> SafeString:
        return SafeString("—")


def sentence(action: str, data: dict[str, Any], *, actor: str, obj: SafeString) -> SafeString:
    """The event in words, ``obj`` (a link) in its place; the actor's name and
    every value escaped."""
    blanks = _Blanks({key: conditional_escape(_blank(value)) for key, value in data.items()})
    blanks.update(actor=conditional_escape(actor or _("The system")), object=obj)
    blanks["action"] = conditional_escape(action)
    template = SENTENCES.get(action, UNKNOWN)
    if not actor and action in BY_THE_SYSTEM:
        template = BY_THE_SYSTEM[action]
    if action.startswith("tourdraw.consent."):
        template = CONSENT
        blanks["kind"] = conditional_escape(action.rsplit(".", 1)[1].replace("_", " "))
    return mark_safe(escape(str(template)) % blanks)  # noqa: S308 (every blank escaped above)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def changes(action: str, data: dict[str, Any]) -> list[Change]:
    """What the event changed, field by field: the admin's recorded changes,
    or the state an event moves its object between."""
    found = [
        Change(str(field), shown(values.get("before")), shown(values.get("after")))
        for field, values in (data.get("changes") or {}).items()
        if isinstance(values, dict)
    ]
    if action in TRANSITIONS:
        before, after = TRANSITIONS[action]
        found.insert(0, Change(_("state"), str(before), str(after)))
    return found


def details(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The event's other data, each value labelled."""
    return [
        (str(KEYS.get(key, key)), shown(value)) for key, value in data.items() if key not in _SAID
    ]
