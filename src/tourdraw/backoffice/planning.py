"""Slot planning: a week's sessions as a calendar, adding many at once and
cancelling many at once after one confirmation.

Each query is scoped to the sites where the user operates: another site's
tour or session is not listed and cannot be chosen."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from tourdraw.backoffice.views import capability
from tourdraw.catalog.models import Slot, Tour
from tourdraw.catalog.services import SlotError, generate_slots
from tourdraw.people import access
from tourdraw.visits import capacity
from tourdraw.visits.bulk_cancellation import BulkCancellation, affected_by, cancel_slots
from tourdraw.visits.cancellation import CancelError
from tourdraw.web.forms import DomainErrorsMixin

OPERATE = "operate"

WEEKDAYS = [
    (0, pgettext_lazy("day of the week", "Mon")),
    (1, pgettext_lazy("day of the week", "Tue")),
    (2, pgettext_lazy("day of the week", "Wed")),
    (3, pgettext_lazy("day of the week", "Thu")),
    (4, pgettext_lazy("day of the week", "Fri")),
    (5, pgettext_lazy("day of the week", "Sat")),
    (6, pgettext_lazy("day of the week", "Sun")),
]


def week_code(day: date) -> str:
    """``2026-W05``: the ISO week holding ``day``, as ``?week=`` takes it."""
    year, number, _weekday = day.isocalendar()
    return f"{year}-W{number:02d}"


class WeekForm(forms.Form):
    week = forms.RegexField(
        regex=r"^\d{4}-W\d{2}$",
        required=False,
        error_messages={"invalid": gettext_lazy("Write the week as YYYY-Www, e.g. 2026-W05.")},
    )

    def clean_week(self) -> date:
        """The Monday of the week asked for; of this week when none is."""
        raw = self.cleaned_data["week"]
        if not raw:
            today = timezone.localdate()
            return today - timedelta(days=today.weekday())
        try:
            return date.fromisocalendar(int(raw[:4]), int(raw[6:]), 1)
        except ValueError:
            raise ValidationError(
                _("%(week)s is not a week of its year.") % {"week": raw}
            ) from None


FIRST_DAY_FORMAT = gettext_lazy("Write the first day as YYYY-MM-DD.")
LAST_DAY_FORMAT = gettext_lazy("Write the last day as YYYY-MM-DD.")


def day_field(label: Any, invalid: Any, *, required: bool = True) -> forms.DateField:
    """A day written as the date picker sends it, YYYY-MM-DD, and nothing else."""
    return forms.DateField(
        label=label,
        required=required,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": invalid},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _parse_times(raw: str) -> list[time]:
    try:
        return [time.fromisoformat(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ValidationError(
            _("Write times as HH:MM separated by commas, e.g. 09:30, 13:30.")
        ) from None


class TourField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.site.tr('name')} · {obj.tr('name')}"


class SlotPlanForm(DomainErrorsMixin, forms.Form):
    tour = TourField(label=gettext_lazy("Tour"), queryset=Tour.objects.none())
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Days of the week"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every day."),
    )
    times = forms.CharField(
        label=gettext_lazy("Times of day"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "09:30, 13:30, 15:30"}),
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity (persons)"),
        min_value=1,
        max_value=10_000,
        initial=60,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value"),
            gettext_lazy("Write the capacity as a whole number of persons, 1 to 10000."),
        ),
    )
    first_day = day_field(gettext_lazy("First day"), FIRST_DAY_FORMAT)
    last_day = day_field(gettext_lazy("Last day"), LAST_DAY_FORMAT)

    def __init__(self, *args: Any, tours: QuerySet[Tour], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tour"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = tours

    def clean_times(self) -> list[time]:
        times = _parse_times(self.cleaned_data["times"])
        if not times:
            raise ValidationError(_("Give at least one time of day."))
        return times


class BulkCancelForm(forms.Form):
    slot = forms.ModelMultipleChoiceField(
        queryset=Slot.objects.none(),
        error_messages={
            "required": gettext_lazy("Tick the sessions to cancel first."),
            "invalid_choice": gettext_lazy(
                "A ticked session is no longer open to cancel; reload the week."
            ),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to everyone affected)"), max_length=300, required=False
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    week = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, slots: QuerySet[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["slot"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = slots


@dataclass(frozen=True)
class Cell:
    slot: Slot
    booked: int  # persons in pending and confirmed offers and in approved groups
    selectable: bool  # not started, not cancelled


def _calendar(tours: QuerySet[Tour], monday: date) -> list[tuple[Tour, list[list[Cell]]]]:
    """For each tour with a session in the week, its sessions day by day (site time)."""
    start = datetime.combine(monday, time(), tzinfo=timezone.get_current_timezone())
    found = list(
        Slot.objects.filter(
            tour__in=tours,
            starts_at__gte=start - timedelta(days=1),
            starts_at__lt=start + timedelta(days=8),
        )
        .select_related("tour__site")
        .order_by("tour__site__code", "tour__code", "starts_at")
    )
    week = [slot for slot in found if 0 <= (slot.visit_date - monday).days < 7]
    booked = capacity.promised_by_slot(week)
    now = timezone.now()
    rows: dict[int, tuple[Tour, list[list[Cell]]]] = {}
    for slot in week:
        days = rows.setdefault(slot.tour_id, (slot.tour, [[] for _ in range(7)]))[1]
        selectable = slot.cancelled_at is None and slot.starts_at > now
        days[(slot.visit_date - monday).days].append(Cell(slot, booked.get(slot.pk, 0), selectable))
    return list(rows.values())


def _tours(request: HttpRequest) -> QuerySet[Tour]:
    return access.scope(Tour.objects.select_related("site"), request.user, OPERATE)


def _cancellable(request: HttpRequest) -> QuerySet[Slot]:
    slots = Slot.objects.filter(cancelled_at__isnull=True, starts_at__gt=timezone.now())
    return access.scope(slots.select_related("tour__site"), request.user, OPERATE)


def _page(
    request: HttpRequest,
    tours: QuerySet[Tour],
    week: WeekForm,
    plan: SlotPlanForm,
    *,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"week_form": week, "plan": plan, "weekdays": WEEKDAYS}
    if week.is_valid():
        monday = week.cleaned_data["week"]
        context.update(
            monday=monday,
            sunday=monday + timedelta(days=6),
            week=week_code(monday),
            days=[monday + timedelta(days=n) for n in range(7)],
            previous=week_code(monday - timedelta(days=7)),
            next=week_code(monday + timedelta(days=7)),
            calendar=_calendar(tours, monday),
        )
    else:
        status = 400
    return render(request, "backoffice/planning.html", context, status=status)


def _week_url(code: str) -> str:
    return f"{reverse('backoffice:planning')}?week={code}"


def _back(raw: str) -> str:
    """The planning week the ticked sessions came from, or this week."""
    week = WeekForm({"week": raw})
    return _week_url(week_code(week.cleaned_data["week"])) if week.is_valid() else _week_url("")


@capability(OPERATE)
def planning(request: HttpRequest) -> HttpResponse:
    tours = _tours(request)
    week = WeekForm(request.GET)
    if request.method != "POST":
        return _page(request, tours, week, SlotPlanForm(tours=tours))
    plan = SlotPlanForm(request.POST, tours=tours)
    if not plan.is_valid():
        return _page(request, tours, week, plan, status=400)
    data = plan.cleaned_data
    try:
        made = generate_slots(
            data["tour"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            times=data["times"],
            capacity=data["capacity"],
            weekdays=data["weekdays"] or range(7),
        )
    except SlotError as error:
        plan.add_domain_errors([error])
        return _page(request, tours, week, plan, status=400)
    messages.success(request, _("%(count)d sessions in the plan.") % {"count": len(made)})
    return redirect(_week_url(week_code(data["first_day"])))


@require_POST
@capability(OPERATE)
def bulk_cancel(request: HttpRequest) -> HttpResponse:
    """The ticked sessions: first a page saying whom cancelling them reaches,
    then, once confirmed with a reason, each cancelled through the service."""
    form = BulkCancelForm(request.POST, slots=_cancellable(request))
    back = _back(request.POST.get("week", ""))
    valid = form.is_valid()
    if form.has_error("slot"):
        for error in form.errors["slot"]:
            messages.error(request, str(error))
        return redirect(back)
    slots = list(form.cleaned_data["slot"])
    if valid and form.cleaned_data["confirmed"]:
        try:
            done = cancel_slots(slots, reason=form.cleaned_data["reason"], actor=request.user)
        except CancelError as error:
            form.add_error("reason", str(error.message))
        else:
            _report(request, done)
            return redirect(back)
    return render(
        request,
        "backoffice/planning_cancel.html",
        {"form": form, "slots": slots, "affected": affected_by(slots), "back": back},
        status=400 if form.errors else 200,
    )


def _report(request: HttpRequest, done: BulkCancellation) -> None:
    if done.cancelled:
        messages.success(
            request,
            _("%(slots)d sessions cancelled; %(told)d entries, parties and groups told.")
            % {"slots": len(done.cancelled), "told": done.told},
        )
    for slot, error in done.refused:
        messages.error(request, f"{slot.tour.tr('name')} {slot.label}: {error.message}")
