"""A second step before anything that cannot be undone, without JavaScript.

The action's form posts once: the view answers with a page stating what will
happen, with a form that posts the same fields again plus ``confirm=yes``.
Only that second post reaches the service. Visitor and staff pages share it.
"""

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

from tourdraw.visits.models import Offer
from tourdraw.visits.offers import waitlist_open

FIELD = "confirm"
YES = "yes"


def confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get(FIELD) == YES


def ask(
    request: HttpRequest,
    *,
    question: str,
    consequence: str,
    button: str,
    back: str,
    carry: Iterable[str] = (),
    final: bool = True,
) -> HttpResponse:
    """The confirmation page: ``consequence`` says what will happen, ``carry``
    names the posted fields the confirming form sends again, ``back`` is where
    changing one's mind leads; ``final`` adds that it cannot be undone."""
    fields = [(name, value) for name in carry for value in request.POST.getlist(name)]
    context = {
        "question": question,
        "consequence": consequence,
        "button": button,
        "back": back,
        "fields": fields,
        "final": final,
        "field": FIELD,
        "yes": YES,
    }
    return render(request, "web/confirm.html", context)


def places_given_up(offer: Offer, *, by_visitor: bool) -> str:
    """Where an offer's places go when it is given up: down the waitlist, or
    nowhere once the visit is past the promotion cut-off."""
    params = {"n": offer.persons, "slot": offer.slot.label, "code": offer.entry.code}
    if waitlist_open(offer.slot, timezone.now()):
        if by_visitor:
            text = ngettext(
                "Your %(n)d place for %(slot)s goes to the next party on the waitlist.",
                "Your %(n)d places for %(slot)s go to the next party on the waitlist.",
                offer.persons,
            )
        else:
            text = ngettext(
                "The %(n)d place of %(code)s for %(slot)s goes to the next party on the waitlist.",
                "The %(n)d places of %(code)s for %(slot)s go to the next party on the waitlist.",
                offer.persons,
            )
    elif by_visitor:
        text = ngettext(
            "Your %(n)d place for %(slot)s is given up; the visit is too close to offer it "
            "to anyone else.",
            "Your %(n)d places for %(slot)s are given up; the visit is too close to offer "
            "them to anyone else.",
            offer.persons,
        )
    else:
        text = ngettext(
            "The %(n)d place of %(code)s for %(slot)s is given up; the visit is too close to "
            "offer it to anyone else.",
            "The %(n)d places of %(code)s for %(slot)s are given up; the visit is too close to "
            "offer them to anyone else.",
            offer.persons,
        )
    return text % params
