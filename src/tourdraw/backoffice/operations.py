"""Operator pages: rounds, slot planning, dashboards, the audit log.

Every query is scoped to the sites where the user operates, so another
site's round, slot or log line is a 404 (or simply not listed)."""

from datetime import date, time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tourdraw.audit.models import LogEntry
from tourdraw.backoffice.forms import RoundForm
from tourdraw.backoffice.views import capability
from tourdraw.catalog.models import Slot, Tour
from tourdraw.catalog.services import SlotError, generate_slots, upcoming_slots
from tourdraw.edge import parse_id, parse_ids
from tourdraw.lottery import drawing, rounds
from tourdraw.lottery.models import Round
from tourdraw.people import access
from tourdraw.reports import exports, stats
from tourdraw.visits.cancellation import CancelError, cancel_slot

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
        },
    )


@require_POST
@capability(OPERATE)
def round_action(request: HttpRequest, round_id: int) -> HttpResponse:
    round = get_object_or_404(_rounds(request), pk=round_id)
    action = request.POST.get("action")
    now = timezone.now()
    try:
        if action == "close":
            if rounds.close_round(round, now=now, actor=request.user):
                messages.success(request, _("Closed early: the entries are frozen."))
            else:
                messages.error(request, _("Only an open round can be closed."))
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
    except (rounds.RoundError, drawing.DrawRefused) as error:
        messages.error(request, str(error.message))
    return redirect("backoffice:round", round_id=round.pk)


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


@capability(OPERATE)
def planning(request: HttpRequest) -> HttpResponse:
    tours = _tours(request)
    if request.method == "POST":
        tour = get_object_or_404(tours, pk=parse_id(request.POST.get("tour")))
        try:
            times = [
                time.fromisoformat(t.strip())
                for t in request.POST.get("times", "").split(",")
                if t.strip()
            ]
            made = generate_slots(
                tour,
                first_day=date.fromisoformat(request.POST.get("first_day", "")),
                last_day=date.fromisoformat(request.POST.get("last_day", "")),
                times=times,
                capacity=int(request.POST.get("capacity") or 0),
            )
        except ValueError:
            messages.error(
                request,
                _(
                    "Write days as YYYY-MM-DD, times as HH:MM separated by commas, "
                    "capacity as a number."
                ),
            )
        except SlotError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("%(count)d sessions in the plan.") % {"count": len(made)})
        return redirect("backoffice:planning")
    upcoming = upcoming_slots(cancelled=True).filter(tour__in=tours)[:300]
    return render(request, "backoffice/planning.html", {"tours": tours, "slots": upcoming})


@require_POST
@capability(OPERATE)
def slot_cancel(request: HttpRequest, slot_id: int) -> HttpResponse:
    slots = access.scope(Slot.objects.select_related("tour__site"), request.user, OPERATE)
    slot = get_object_or_404(slots, pk=slot_id)
    try:
        counts = cancel_slot(slot, reason=request.POST.get("reason", ""), actor=request.user)
    except CancelError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Cancelled; %(n)d people told.") % {"n": sum(counts.values())})
    return redirect("backoffice:planning")


@capability(OPERATE)
def dashboards(request: HttpRequest) -> HttpResponse:
    site_ids = access.site_ids(request.user, OPERATE)
    year = _year(request.GET.get("year", ""))
    by_month = stats.visitors_by_month(site_ids, year)
    sites = stats.sites(site_ids)
    table = "rounds" if request.GET.get("table") == "rounds" else "sites"
    if _wants_csv(request) and table == "sites":
        return exports.csv_response(
            f"visitors-{year}.csv",
            ["site", *[f"{year}-{m:02d}" for m in range(1, 13)]],
            ((site.code, *[by_month.get((site.pk, m), 0) for m in range(1, 13)]) for site in sites),
        )
    summaries = stats.round_summaries(list(_rounds(request).order_by("-opens_at")[:100]))
    if _wants_csv(request):
        return _rounds_csv(summaries)
    monthly = [sum(by_month.get((site.pk, m), 0) for site in sites) for m in range(1, 13)]
    peak = max(monthly) or 1
    total = sum(monthly)
    target = settings.TOURDRAW_ANNUAL_VISITS_TARGET
    context = {
        "year": year,
        "sites": [(site, [by_month.get((site.pk, m), 0) for m in range(1, 13)]) for site in sites],
        "bars": [_bar(m, n, peak) for m, n in enumerate(monthly, start=1)],
        "total": total,
        "target": target,
        "target_share": round_share(total, target) if site_ids is None else None,
        "summaries": summaries,
    }
    return render(request, "backoffice/dashboards.html", context)


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


def _year(raw: str) -> int:
    """The year asked for, or this year when the query holds no plausible one."""
    if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return timezone.localdate().year


CHART_HEIGHT = 120


def _bar(month: int, count: int, peak: int) -> dict[str, int]:
    """One month's bar in the SVG chart (drawn on the server: nothing from other hosts)."""
    height = round(CHART_HEIGHT * count / peak)
    return {
        "month": month,
        "count": count,
        "x": 10 + (month - 1) * 28,
        "y": 10 + CHART_HEIGHT - height,
        "height": height,
    }


def round_share(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


@capability(OPERATE)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = access.scope(LogEntry.objects.select_related("actor", "site"), request.user, OPERATE)
    for name in ("action", "object_type", "object_id"):
        if request.GET.get(name):
            entries = entries.filter(**{f"{name}__startswith": request.GET[name]})
    if request.GET.get("actor"):
        entries = entries.filter(actor__username=request.GET["actor"])
    if _wants_csv(request):
        return exports.csv_response(
            "audit.csv",
            ["time", "action", "actor", "site", "object_type", "object_id", "data"],
            (
                (
                    e.created_at.isoformat(),
                    e.action,
                    e.actor.username if e.actor else "",
                    e.site.code if e.site else "",
                    e.object_type,
                    e.object_id,
                    e.data,
                )
                for e in entries[:10000]
            ),
        )
    return render(
        request, "backoffice/audit.html", {"entries": entries[:200], "filters": request.GET}
    )
