"""The round's fairness options: an entry's tier and its tickets in the hat."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tourdraw.lottery.models import DrawOutcome, Entry, Round
from tourdraw.people.documents import age_on

ADULT_AGE = 18


def tier_for(round: Round, birth_dates: Iterable[date], visit_dates: Iterable[date]) -> int:
    """0 is drawn first. With the minors rule, a party with someone under 18 on
    their earliest chosen day is tier 0, every other party tier 1."""
    if round.priority != Round.Priority.MINORS:
        return 0
    first_day = min(visit_dates)
    return 0 if any(age_on(born, first_day) < ADULT_AGE for born in birth_dates) else 1


def lost_rounds(round: Round, entrant_hash: str) -> int:
    """Earlier rounds at this site, drawn within the window, in which the entrant
    was in an entry that the draw did not place and the waitlist never reached."""
    if not round.repeat_weight_days:
        return 0
    since = round.opens_at - timedelta(days=round.repeat_weight_days)
    return (
        DrawOutcome.objects.filter(
            round__tour__site_id=round.tour.site_id,
            round__drawn_at__gte=since,
            round__drawn_at__lt=round.opens_at,
            slot__isnull=True,
            entry__offer__isnull=True,
            entry__members__id_hash=entrant_hash,
        )
        .exclude(round=round)
        .values("round")
        .distinct()
        .count()
    )


def weight_for(round: Round, lost: int) -> int:
    return min(1 + lost, round.repeat_weight_cap)


def explain(entry: Entry) -> str:
    """Why the entry holds the tickets it holds, for the entrant to read."""
    tickets = ngettext(
        "Your entry holds %(weight)d ticket in the draw.",
        "Your entry holds %(weight)d tickets in the draw.",
        entry.weight,
    ) % {"weight": entry.weight}
    if entry.lost_rounds:
        tickets += " " + ngettext(
            "One extra for %(lost)d earlier round at this site you were not drawn in.",
            "Extra tickets for %(lost)d earlier rounds at this site you were not drawn in.",
            entry.lost_rounds,
        ) % {"lost": entry.lost_rounds}
        if entry.weight < 1 + entry.lost_rounds:
            tickets += " " + _("This round allows at most %(cap)d tickets per entry.") % {
                "cap": entry.round.repeat_weight_cap
            }
    if entry.round.priority == Round.Priority.MINORS:
        if entry.tier == 0:
            tickets += " " + _("Parties with a child under 18 are drawn first: yours is one.")
        else:
            tickets += " " + _(
                "Parties with a child under 18 are drawn first; yours is drawn after them."
            )
    return tickets
