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
from tourdraw.visits.models import CallAttempt, Offer

# Each event in words, when a person did it.
SENTENCES: dict[str, Promise] = {
    "tourdraw.round.created": gettext_lazy(
        "%(actor)s scheduled round %(object)s with %(slots)s sessions."
    ),
    "tourdraw.round.opened": gettext_lazy("%(actor)s opened round %(object)s for entries."),
    "tourdraw.round.closed": gettext_lazy(
        "%(actor)s closed round %(object)s early; %(entries)s entries are frozen."
    ),
    "tourdraw.round.drawn": gettext_lazy(
        "%(actor)s drew round %(object)s: %(placed)s of %(entries)s entries placed."
    ),
    "tourdraw.round.beacon_fetched": gettext_lazy(
        "%(actor)s fetched beacon round %(round)s for round %(object)s."
    ),
    "tourdraw.round.slots_added": gettext_lazy(
        "%(actor)s added %(slots)s sessions to round %(object)s."
    ),
    "tourdraw.entry.created": gettext_lazy(
        "A visitor entered round %(round)s: entry %(object)s, %(party)s persons, "
        "%(choices)s choices."
    ),
    "tourdraw.entry.changed": gettext_lazy(
        "A visitor changed entry %(object)s: %(party)s persons, %(choices)s choices."
    ),
    "tourdraw.entry.withdrawn": gettext_lazy("A visitor withdrew entry %(object)s."),
    "tourdraw.entry.left_waitlist": gettext_lazy("Entry %(object)s left the waitlist."),
    "tourdraw.entry.voided": gettext_lazy(
        "%(actor)s voided entry %(object)s: its ID document was proved to be another person's."
    ),
    "tourdraw.offer.confirmed": gettext_lazy(
        "%(actor)s confirmed the place of entry %(object)s (%(via)s)."
    ),
    "tourdraw.offer.declined": gettext_lazy(
        "%(actor)s declined the place of entry %(object)s (%(persons)s persons)."
    ),
    "tourdraw.offer.expired": gettext_lazy(
        "The place of entry %(object)s expired unconfirmed (%(persons)s persons)."
    ),
    "tourdraw.offer.cancelled": gettext_lazy(
        "%(actor)s cancelled the place of entry %(object)s (%(persons)s persons)."
    ),
    "tourdraw.offer.promoted": gettext_lazy(
        "Entry %(object)s was offered a place from the waitlist."
    ),
    "tourdraw.leftovers.opened": gettext_lazy(
        "%(actor)s opened the leftover places of session %(slot)s (%(free)s free)."
    ),
    "tourdraw.leftover.claimed": gettext_lazy(
        "%(actor)s claimed %(persons)s leftover places in session %(slot)s (entry %(entry)s)."
    ),
    "tourdraw.offer.called": gettext_lazy(
        "Call centre (%(actor)s) recorded “%(outcome)s” for entry %(object)s."
    ),
    "tourdraw.slot.cancelled": gettext_lazy(
        "%(actor)s cancelled session %(object)s: “%(reason)s”."
    ),
    "tourdraw.ticket.cancelled": gettext_lazy(
        "%(actor)s cancelled the ticket of entry %(object)s."
    ),
    "tourdraw.ticket.checked_in": gettext_lazy(
        "%(actor)s checked in %(persons)s persons of entry %(object)s at gate %(gate)s."
    ),
    "tourdraw.ticket.no_show": gettext_lazy(
        "Entry %(object)s did not come: its ticket is a no-show."
    ),
    "tourdraw.gate.synced": gettext_lazy(
        "%(actor)s synced gate %(gate)s for session %(object)s: %(accepted)s accepted, "
        "%(conflicts)s conflicts, %(refused)s refused."
    ),
    "tourdraw.group.requested": gettext_lazy(
        "Group visit %(object)s was requested for %(size)s persons."
    ),
    "tourdraw.group.approved": gettext_lazy(
        "%(actor)s approved group visit %(object)s for %(size)s persons."
    ),
    "tourdraw.group.declined": gettext_lazy(
        "%(actor)s declined group visit %(object)s: “%(reason)s”."
    ),
    "tourdraw.group.members_uploaded": gettext_lazy(
        "Group visit %(object)s sent its list of %(members)s members."
    ),
    "tourdraw.group.checked_in": gettext_lazy(
        "%(actor)s checked in %(persons)s persons of group visit %(object)s at gate %(gate)s."
    ),
    "tourdraw.group.erased": gettext_lazy(
        "The members' personal data of group visit %(object)s was erased."
    ),
    "tourdraw.identity.moved": gettext_lazy(
        "%(actor)s moved an ID document to the account that proved it theirs: "
        "%(entries_voided)s entries voided, %(places_released)s places released."
    ),
    "tourdraw.token.issued": gettext_lazy("%(actor)s issued API token %(prefix)s…."),
    "tourdraw.token.revoked": gettext_lazy("%(actor)s revoked API token %(prefix)s…."),
    "tourdraw.staff.second_factor_enrolled": gettext_lazy("%(actor)s enrolled a second factor."),
    "tourdraw.staff.recovery_codes_issued": gettext_lazy(
        "%(actor)s was issued new recovery codes."
    ),
    "tourdraw.staff.recovery_code_used": gettext_lazy("%(actor)s signed in with a recovery code."),
    "tourdraw.visitor.registered": gettext_lazy("A visitor registered."),
    "tourdraw.visitor.signed_in": gettext_lazy("A visitor signed in."),
    "tourdraw.visitor.profile_saved": gettext_lazy("A visitor saved their profile."),
    "tourdraw.visitor.deleted": gettext_lazy("A visitor deleted their account."),
    "tourdraw.person.corrected": gettext_lazy("A visitor corrected a person's details."),
    "tourdraw.person.erased": gettext_lazy("A person's personal data was erased (%(reason)s)."),
    "tourdraw.notice.added": gettext_lazy("%(actor)s added notice %(object)s: “%(text_en)s”."),
    "tourdraw.notice.changed": gettext_lazy("%(actor)s changed notice %(object)s."),
    "tourdraw.notice.removed": gettext_lazy("%(actor)s removed notice %(object)s: “%(text_en)s”."),
    "tourdraw.admin.added": gettext_lazy("%(actor)s added %(object)s in the admin."),
    "tourdraw.admin.changed": gettext_lazy("%(actor)s changed %(object)s in the admin."),
    "tourdraw.admin.deleted": gettext_lazy("%(actor)s deleted %(object)s in the admin."),
}
# When the system did it (no actor), where that reads otherwise than "The system ...".
BY_THE_SYSTEM: dict[str, Promise] = {
    "tourdraw.round.opened": gettext_lazy("Round %(object)s opened for entries."),
    "tourdraw.round.closed": gettext_lazy(
        "Round %(object)s closed at its closing time; %(entries)s entries are frozen."
    ),
    "tourdraw.round.drawn": gettext_lazy(
        "Round %(object)s was drawn: %(placed)s of %(entries)s entries placed."
    ),
    "tourdraw.round.beacon_fetched": gettext_lazy(
        "Beacon round %(round)s was fetched for round %(object)s."
    ),
    "tourdraw.staff.second_factor_enrolled": gettext_lazy(
        "A second factor was enrolled for a demo account."
    ),
}
CONSENT = gettext_lazy("A visitor accepted the %(kind)s (version %(version)s).")
UNKNOWN = gettext_lazy("%(actor)s: event “%(action)s” on %(object)s.")


# The kinds of event the filter offers: each action starting with the prefix.
KINDS: list[tuple[str, Promise]] = [
    ("tourdraw.round", gettext_lazy("Rounds")),
    ("tourdraw.slot", gettext_lazy("Sessions")),
    ("tourdraw.entry", gettext_lazy("Entries")),
    ("tourdraw.offer", gettext_lazy("Places and calls")),
    ("tourdraw.ticket", gettext_lazy("Tickets and check-ins")),
    ("tourdraw.gate", gettext_lazy("Gate devices")),
    ("tourdraw.group", gettext_lazy("Group visits")),
    ("tourdraw.notice", gettext_lazy("Visitor notices")),
    ("tourdraw.identity", gettext_lazy("ID document disputes")),
    ("tourdraw.admin", gettext_lazy("Changes in the admin")),
    ("tourdraw.token", gettext_lazy("API tokens")),
    ("tourdraw.staff", gettext_lazy("Staff sign-in")),
    ("tourdraw.visitor", gettext_lazy("Visitors")),
    ("tourdraw.person", gettext_lazy("Persons")),
    ("tourdraw.consent", gettext_lazy("Consent")),
]


# The state an event moves its object from and to, for the before/after table.
TRANSITIONS: dict[str, tuple[Promise, Promise]] = {
    "tourdraw.round.opened": (gettext_lazy("scheduled"), gettext_lazy("open for entries")),
    "tourdraw.round.closed": (gettext_lazy("open for entries"), gettext_lazy("closed")),
    "tourdraw.round.drawn": (gettext_lazy("closed"), gettext_lazy("drawn")),
    "tourdraw.entry.withdrawn": (gettext_lazy("entered"), gettext_lazy("withdrawn")),
    "tourdraw.entry.voided": (gettext_lazy("entered"), gettext_lazy("withdrawn")),
    "tourdraw.offer.confirmed": (gettext_lazy("awaiting confirmation"), gettext_lazy("confirmed")),
    "tourdraw.offer.declined": (gettext_lazy("awaiting confirmation"), gettext_lazy("declined")),
    "tourdraw.offer.expired": (gettext_lazy("awaiting confirmation"), gettext_lazy("expired")),
    "tourdraw.offer.cancelled": (gettext_lazy("held"), gettext_lazy("cancelled")),
    "tourdraw.slot.cancelled": (gettext_lazy("planned"), gettext_lazy("cancelled")),
    "tourdraw.ticket.cancelled": (gettext_lazy("valid"), gettext_lazy("cancelled")),
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
    "reason": gettext_lazy("reason"),
    "persons": gettext_lazy("persons"),
    "party": gettext_lazy("persons"),
    "size": gettext_lazy("persons"),
    "choices": gettext_lazy("choices"),
    "slots": gettext_lazy("sessions"),
    "entries": gettext_lazy("entries"),
    "placed": gettext_lazy("placed"),
    "round": gettext_lazy("round"),
    "entry": gettext_lazy("entry"),
    "via": gettext_lazy("confirmed by"),
    "outcome": gettext_lazy("call outcome"),
    "gate": gettext_lazy("gate"),
    "device": gettext_lazy("device"),
    "members": gettext_lazy("members"),
    "ticket": gettext_lazy("ticket"),
    "seed": gettext_lazy("seed"),
    "commitment": gettext_lazy("commitment"),
    "beacon_round": gettext_lazy("beacon round"),
    "randomness": gettext_lazy("randomness"),
    "entries_digest": gettext_lazy("entries digest"),
    "closing_digest": gettext_lazy("closing digest"),
    "copy_of": gettext_lazy("copy of"),
    "version": gettext_lazy("version"),
    "prefix": gettext_lazy("token prefix"),
    "choices_dropped": gettext_lazy("choices dropped"),
    "entries_withdrawn": gettext_lazy("entries withdrawn"),
    "places_cancelled": gettext_lazy("places cancelled"),
    "groups_released": gettext_lazy("groups released"),
    "accepted": gettext_lazy("accepted"),
    "conflicts": gettext_lazy("conflicts"),
    "refused": gettext_lazy("refused"),
    "refusals": gettext_lazy("refusals"),
    "entries_voided": gettext_lazy("entries voided"),
    "places_released": gettext_lazy("places released"),
    "bans_lifted": gettext_lazy("no-show bans lifted"),
    "evidence": gettext_lazy("evidence"),
    "from_visitor": gettext_lazy("from visitor"),
    "to_visitor": gettext_lazy("to visitor"),
    "message": gettext_lazy("admin message"),
    "demo": gettext_lazy("demo"),
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
    if "via" in data:  # a stored choice, told in the reader's language
        blanks["via"] = conditional_escape(dict(Offer.Via.choices).get(data["via"], data["via"]))
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
