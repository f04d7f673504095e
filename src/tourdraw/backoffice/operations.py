"""Operator pages: rounds, cancelling a session, dashboards.

Every query is scoped to the sites where the user operates, so another
site's round, slot or log line is a 404 (or simply not listed)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tourdraw.backoffice.forms import DashboardsForm, RoundForm
from tourdraw.backoffice.views import capability
from tourdraw.catalog.models import Slot, Tour
from tourdraw.catalog.services import upcoming_slots
from tourdraw.edge import parse_id, parse_ids
from tourdraw.errors import DomainError
from tourdraw.lottery import drawing, rounds
from tourdraw.lottery.models import Round
from tourdraw.people import access
from tourdraw.reports import charts, exports, stats
from tourdraw.visits import leftovers
from tourdraw.visits.cancellation import cancel_slot, who_is_affected
from tourdraw.web import confirmation

OPERATE = "operate"


def _rounds(request: HttpRequest) -> Any:
    return access.scope(Round.objects.select_related("tour__site"), request.user, OPERATE)


def _tours(request: HttpRequest) -> Any:
    return access.scope(Tour.objects.select_related("site"), request.user, OPERATE)


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


@capability(OPERATE)
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "backoffice/index.html", {"rounds": _rounds(request).order_by("-opens_at")[:50]}
    )


@capability(OPERATE)
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    round = get_object_or_404(_rounds(request), pk=round_id)
    demand = stats.slot_demand(round)
    if _wants_csv(request):
        return exports.csv_response(
            f"{round.code}-demand.csv",
            ["slot", "capacity", "entries", "persons", "oversubscription", "chance"],
            (
                (
                    row.slot.code,
                    row.capacity,
                    row.entries,
                    row.persons,
                    f"{row.oversubscription:.2f}",
                    f"{row.chance:.3f}",
                )
                for row in demand
            ),
        )
    unassigned = upcoming_slots().filter(tour=round.tour, round_slot__isnull=True)[:100]
    return render(
        request,
        "backoffice/round.html",
        {
            "round": round,
            "demand": demand,
            "summary": stats.round_summary(round),
            "unassigned": unassigned,
            "leftovers": leftovers.overview(round) if round.state == Round.State.DRAWN else [],
        },
    )


@require_POST
@capability(OPERATE)
def round_action(request: HttpRequest, round_id: int) -> HttpResponse:
    round = get_object_or_404(_rounds(request), pk=round_id)
    action = request.POST.get("action")
    # Closing and drawing ask first; in another state the service refuses at once.
    asked = (action, round.state) in (("close", Round.State.OPEN), ("draw", Round.State.CLOSED))
    if asked and not confirmation.confirmed(request):
        return _ask_round(request, round, closing=action == "close")
    now = timezone.now()
    try:
        if action == "close":
            rounds.close_round(round, now=now, actor=request.user)
            messages.success(request, _("Closed early: the entries are frozen."))
        elif action == "draw":
            result = drawing.draw_round(round, now=now, actor=request.user)
            messages.success(
                request, _("Drawn: %(placed)d parties placed.") % {"placed": result.placed_entries}
            )
        elif action == "add_slots":
            slots = Slot.objects.filter(
                tour=round.tour, pk__in=parse_ids(request.POST.getlist("slot"))
            )
            added = rounds.add_slots(round, list(slots), actor=request.user)
            messages.success(request, _("%(count)d sessions added.") % {"count": added})
        elif action == "open_leftovers":
            slot = get_object_or_404(round.slots.all(), pk=parse_id(request.POST.get("slot")))
            opening = leftovers.open_leftovers(slot, actor=request.user, now=now)
            messages.success(
                request,
                _("The leftover places of %(slot)s are open to claims.")
                % {"slot": opening.slot.label},
            )
    except (rounds.RoundError, drawing.DrawRefused, leftovers.LeftoverError) as error:
        messages.error(request, str(error.message))
    return redirect("backoffice:round", round_id=round.pk)


def _ask_round(request: HttpRequest, round: Round, *, closing: bool) -> HttpResponse:
    """What closing early or drawing now will do to this round, in numbers."""
    summary = stats.round_summary(round)
    params = {
        "round": round.tr("title"),
        "entries": formats.number_format(summary.entries, force_grouping=True),
        "places": formats.number_format(summary.capacity, force_grouping=True),
        "slots": round.slots.count(),
        "closes": formats.date_format(
            timezone.localtime(round.closes_at, round.tour.site.tzinfo), "DATETIME_FORMAT"
        ),
    }
    if closing:
        question = _("Close %(round)s now?")
        consequence = ngettext(
            "%(entries)s entry is sealed and no one else can enter. Entries were due to close "
            "at %(closes)s.",
            "%(entries)s entries are sealed and no one else can enter. Entries were due to close "
            "at %(closes)s.",
            summary.entries,
        )
        button = _("Close the round now")
    else:
        question = _("Draw %(round)s now?")
        consequence = ngettext(
            "%(entries)s entry is drawn for %(places)s places in %(slots)d sessions and the "
            "result is published at once. A round is drawn only once.",
            "%(entries)s entries are drawn for %(places)s places in %(slots)d sessions and the "
            "result is published at once. A round is drawn only once.",
            summary.entries,
        )
        button = _("Draw the round now")
    return confirmation.ask(
        request,
        question=question % params,
        consequence=consequence % params,
        button=button,
        back=reverse("backoffice:round", args=[round.pk]),
        carry=["action"],
    )


@capability(OPERATE)
def round_create(request: HttpRequest) -> HttpResponse:
    source = None
    if request.GET.get("copy"):
        source = get_object_or_404(_rounds(request), pk=parse_id(request.GET["copy"]))
    tours = _tours(request)
    initial = (
        {"tour": source.tour_id, "title": source.title, "title_en": source.title_en}
        if source
        else {}
    )
    form = RoundForm(
        request.POST if request.method == "POST" else None, tours=tours, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round = rounds.create_round(
                data["tour"],
                code=data["code"],
                title=data["title"],
                title_en=data["title_en"],
                slots=list(data["slot"]),
                actor=request.user,
                copy_of=source,
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                draws_at=data["draws_at"],
            )
        except rounds.RoundError as error:
            form.add_domain_errors([error])
        else:
            messages.success(request, _("Round scheduled."))
            return redirect("backoffice:round", round_id=round.pk)
    free_slots = upcoming_slots().filter(tour__in=tours, round_slot__isnull=True)[:300]
    return render(
        request,
        "backoffice/round_form.html",
        {"form": form, "source": source, "free_slots": free_slots},
        status=400 if form.errors else 200,
    )


@require_POST
@capability(OPERATE)
def slot_cancel(request: HttpRequest, slot_id: int) -> HttpResponse:
    slots = access.scope(Slot.objects.select_related("tour__site"), request.user, OPERATE)
    slot = get_object_or_404(slots, pk=slot_id)
    reason = request.POST.get("reason", "")
    # Without a reason, or cancelled already, the service refuses at once, unasked.
    if reason.strip() and slot.cancelled_at is None and not confirmation.confirmed(request):
        affected = who_is_affected(slot)
        return confirmation.ask(
            request,
            question=_("Cancel the session %(slot)s?") % {"slot": slot.label},
            consequence=_(
                "Parties losing their places: %(parties)d (%(persons)d persons). Entries "
                "losing this choice: %(entries)d. Groups losing their kept places: %(groups)d. "
                "Everyone affected is sent an SMS with your reason: “%(reason)s”."
            )
            % {**affected, "reason": reason.strip()},
            button=_("Cancel the session"),
            back=reverse("backoffice:planning"),
            carry=["reason"],
        )
    try:
        counts = cancel_slot(slot, reason=request.POST.get("reason", ""), actor=request.user)
    except DomainError as error:  # its own refusals, or one of the services it goes through
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Cancelled; %(n)d people told.") % {"n": sum(counts.values())})
    return redirect("backoffice:planning")


@capability(OPERATE)
def dashboards(request: HttpRequest) -> HttpResponse:
    site_ids = access.site_ids(request.user, OPERATE)
    form = DashboardsForm(request.GET)
    # Bad input: this year's page, with what was wrong (and no CSV).
    asked = form.cleaned_data if form.is_valid() else {}
    year = asked.get("year") or timezone.localdate().year
    by_month = stats.visitors_by_month(site_ids, year)
    sites = stats.sites(site_ids)
    table = asked.get("table") or "sites"
    wants_csv = bool(asked) and _wants_csv(request)
    if wants_csv and table == "sites":
        return exports.csv_response(
            f"visitors-{year}.csv",
            ["site", *[f"{year}-{m:02d}" for m in range(1, 13)]],
            ((site.code, *[by_month.get((site.pk, m), 0) for m in range(1, 13)]) for site in sites),
        )
    summaries = stats.round_summaries(list(_rounds(request).order_by("-opens_at")[:100]))
    if wants_csv:
        return _rounds_csv(summaries)
    per_site = [(site, [by_month.get((site.pk, m), 0) for m in range(1, 13)]) for site in sites]
    monthly = [sum(counts[m] for _site, counts in per_site) for m in range(12)]
    total = sum(monthly)
    context = {
        "form": form,
        "year": year,
        "sites": [(site, counts, sum(counts)) for site, counts in per_site],
        "months": charts.months(_("Visitors per month in %(year)s") % {"year": year}, monthly),
        "site_charts": [
            charts.months(
                _("%(site)s: visitors per month in %(year)s")
                % {"site": site.tr("name"), "year": year},
                counts,
            )
            for site, counts in per_site
        ],
        "total": total,
        "progress": (
            charts.progress(total, settings.TOURDRAW_CITY_VISITS_TARGET, year)
            if site_ids is None
            else None
        ),
        "summaries": summaries,
        "funnels": [charts.funnel(summary) for summary in summaries[:FUNNELS]],
    }
    return render(
        request, "backoffice/dashboards.html", context, status=400 if form.errors else 200
    )


# The latest rounds whose funnel the dashboards draw; the table lists them all.
FUNNELS = 6
ROUNDS_CSV_OFFERS = ("confirmed", "pending", "declined", "expired", "cancelled")


def _rounds_csv(summaries: list[stats.RoundSummary]) -> HttpResponse:
    return exports.csv_response(
        "rounds.csv",
        [
            "round",
            "site",
            "entries",
            "persons",
            "places",
            "oversubscription",
            *ROUNDS_CSV_OFFERS,
            "no_shows",
        ],
        (
            (
                s.round.code,
                s.round.tour.site.code,
                s.entries,
                s.persons,
                s.capacity,
                f"{s.oversubscription:.2f}",
                *(s.offers.get(state, 0) for state in ROUNDS_CSV_OFFERS),
                s.no_shows,
            )
            for s in summaries
        ),
    )
