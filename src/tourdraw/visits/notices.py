"""What visitors are told, in their own language, through the outbox."""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tourdraw.catalog import notices as site_notices
from tourdraw.catalog.models import Slot
from tourdraw.lottery.models import Entry, Round
from tourdraw.notify import outbox
from tourdraw.visits.models import Offer, Ticket


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# The e-mail's subject for each topic (its body is the SMS's text), rendered
# in the visitor's language.
SUBJECTS = {
    "offer.made": gettext_lazy("tourdraw: you have a place, confirm it"),
    "offer.reminder": gettext_lazy("tourdraw: reminder, confirm your place"),
    "offer.expired": gettext_lazy("tourdraw: your place went to the waitlist"),
    "offer.declined": gettext_lazy("tourdraw: you declined your place"),
    "ticket.issued": gettext_lazy("tourdraw: your ticket"),
    "ticket.cancelled": gettext_lazy("tourdraw: your ticket is cancelled"),
    "entry.choice_dropped": gettext_lazy("tourdraw: a session you chose was cancelled"),
    "entry.withdrawn": gettext_lazy("tourdraw: your entry is withdrawn"),
    "offer.slot_cancelled": gettext_lazy("tourdraw: your session was cancelled"),
}


def _send(offer: Offer, topic: str, body: str, *, kinds: tuple[str, ...] = ("sms",)) -> None:
    for kind in kinds:
        _send_to(offer.entry, kind, topic, body, about=offer)


def _send_to(entry: Entry, kind: str, topic: str, body: str, *, about: Offer | Entry) -> None:
    """By ``kind`` to the visitor's phone; an SMS by e-mail too, if they gave an address."""
    visitor = entry.visitor
    outbox.enqueue_with_email(
        kind,
        str(visitor.phone),
        visitor.email if kind == "sms" else "",
        body,
        subject=str(SUBJECTS[topic]),
        topic=topic,
        language=visitor.user.language,
        about=about,
    )


def _deadline(offer: Offer) -> str:
    local = timezone.localtime(offer.deadline, offer.slot.tour.site.tzinfo)
    return formats.date_format(local, "DATETIME_FORMAT")


OFFER_MADE = gettext_lazy(
    "tourdraw: you have a place for %(tour)s on %(slot)s for %(persons)d. "
    "Confirm by %(deadline)s: %(link)s"
)


def _offer_made_body(offer: Offer) -> str:
    return str(OFFER_MADE) % {
        "tour": offer.slot.tour.tr("name"),
        "slot": offer.slot.label,
        "persons": offer.persons,
        "deadline": _deadline(offer),
        "link": _link(reverse("web:entry_detail", args=[offer.entry.code])),
    }


def offer_made(offer: Offer) -> None:
    """Called and texted at once: winners who miss the call lose the place."""
    with translation.override(offer.entry.visitor.user.language):
        _send(offer, "offer.made", _offer_made_body(offer), kinds=("voice", "sms"))


class DrawWinner(NamedTuple):
    """A placement of a draw, as the draw holds it when it writes the offer."""

    entry_id: int
    code: str
    persons: int
    slot: Slot
    slot_id: int
    deadline: datetime


def offers_made_by_draw(round: Round, winners: Iterable[DrawWinner], *, now: datetime) -> None:
    """The same call and SMS (and e-mail, to those who gave an address) to every
    winner of a draw, in one bulk insert.

    Call it in the draw's transaction, after the offers are written. The texts
    come from ``winners``, which the draw already holds; only the offer ids and
    each winner's phone and language are read. A draw has tens of thousands of
    winners but only a few slots, languages and party sizes: each slot's parts
    are rendered once per language, each text once per party size, and split
    where the entry code goes, so a winner's text is two halves and their code.
    """
    by_entry = {winner.entry_id: winner for winner in winners}
    # The phone as stored (E.164 text, decrypted): no parsing of 25k numbers.
    rows = Offer.objects.filter(entry__round=round, source=Offer.Source.DRAW).values_list(
        "pk",
        "entry_id",
        "entry__visitor__phone",
        "entry__visitor__email",
        "entry__visitor__user__language",
    )
    placeholder = "ENTRYCODE0"
    # NUL where the entry code goes: no text or translation holds one.
    link = _link(reverse("web:entry_detail", args=[placeholder])).replace(placeholder, "\0")
    slot_parts: dict[tuple[str, int], tuple[str, dict[str, str]]] = {}
    halves: dict[tuple[str, int, int], list[str]] = {}
    subjects: dict[str, str] = {}
    offer_type = Offer._meta.label_lower
    messages: list[outbox.Outgoing] = []
    for pk, entry_id, phone, email, language in rows:
        winner = by_entry[entry_id]
        key = (language, winner.slot_id, winner.persons)
        if key not in halves:
            if (language, winner.slot_id) not in slot_parts:
                slot_parts[language, winner.slot_id] = _offer_made_parts(winner, language)
            template, parts = slot_parts[language, winner.slot_id]
            text = template % {**parts, "persons": winner.persons, "link": link}
            halves[key] = text.split("\0")
        head, tail = halves[key]
        body = head + winner.code + tail
        messages.append(("voice", phone, body, "offer.made", language, offer_type, str(pk), ""))
        messages.append(("sms", phone, body, "offer.made", language, offer_type, str(pk), ""))
        if email:
            if language not in subjects:
                with translation.override(language):
                    subjects[language] = str(SUBJECTS["offer.made"])
            subject = subjects[language]
            messages.append(
                ("email", email, body, "offer.made", language, offer_type, str(pk), subject)
            )
    outbox.enqueue_many(messages, now=now)


def _offer_made_parts(winner: DrawWinner, language: str) -> tuple[str, dict[str, str]]:
    """OFFER_MADE in ``language``, and what it says of the winner's slot, as
    ``_offer_made_body`` writes them."""
    slot = winner.slot
    with translation.override(language):
        local = timezone.localtime(winner.deadline, slot.tour.site.tzinfo)
        return str(OFFER_MADE), {
            "tour": slot.tour.tr("name"),
            "slot": slot.label,
            "deadline": formats.date_format(local, "DATETIME_FORMAT"),
        }


def offer_reminder(offer: Offer) -> None:
    with translation.override(offer.entry.visitor.user.language):
        body = _(
            "tourdraw: reminder, your place on %(slot)s is kept only until %(deadline)s. "
            "Confirm: %(link)s"
        ) % {
            "slot": offer.slot.label,
            "deadline": _deadline(offer),
            "link": _link(reverse("web:entry_detail", args=[offer.entry.code])),
        }
        _send(offer, "offer.reminder", body)


def offer_lapsed(offer: Offer) -> None:
    with translation.override(offer.entry.visitor.user.language):
        if offer.state == Offer.State.EXPIRED:
            body = _(
                "tourdraw: your place on %(slot)s was not confirmed in time and has gone "
                "to the waitlist."
            )
        else:
            body = _("tourdraw: you declined your place on %(slot)s. It goes to the waitlist.")
        _send(offer, f"offer.{offer.state}", body % {"slot": offer.slot.label})


def ticket_issued(ticket: Ticket) -> None:
    offer = ticket.offer
    with translation.override(offer.entry.visitor.user.language):
        body = _(
            "tourdraw: confirmed. %(tour)s, %(slot)s, %(persons)d persons. Bring every "
            "person's ID document. Your ticket: %(link)s"
        ) % {
            "tour": offer.slot.tour.tr("name"),
            "slot": offer.slot.label,
            "persons": offer.persons,
            "link": _link(reverse("web:ticket", args=[ticket.code])),
        }
        told = site_notices.lines(offer.slot.tour, offer.entry.visitor.user.language)
        _send(offer, "ticket.issued", " ".join([body, *told]))


def ticket_cancelled(ticket: Ticket) -> None:
    offer = ticket.offer
    with translation.override(offer.entry.visitor.user.language):
        body = _("tourdraw: your ticket for %(slot)s is cancelled.") % {"slot": offer.slot.label}
        _send(offer, "ticket.cancelled", body)


def choice_dropped(entry: Entry, slot: Slot) -> None:
    with translation.override(entry.visitor.user.language):
        body = _(
            "tourdraw: the session %(slot)s was cancelled; your entry keeps its other choices."
        ) % {"slot": slot.label}
        _send_to(entry, "sms", "entry.choice_dropped", body, about=entry)


def entry_withdrawn_with_slot(entry: Entry, slot: Slot) -> None:
    with translation.override(entry.visitor.user.language):
        body = _(
            "tourdraw: the session %(slot)s was cancelled; it was your only choice, so your "
            "entry is withdrawn."
        ) % {"slot": slot.label}
        _send_to(entry, "sms", "entry.withdrawn", body, about=entry)


def place_cancelled(offer: Offer) -> None:
    """The offer's session was cancelled, and the place (or ticket) with it."""
    with translation.override(offer.entry.visitor.user.language):
        body = _(
            "tourdraw: the session %(slot)s was cancelled, and your place with it. We are sorry."
        ) % {"slot": offer.slot.label}
        _send(offer, "offer.slot_cancelled", body)
