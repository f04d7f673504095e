"""Planning slots."""

from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tourdraw.catalog.models import Slot, Tour
from tourdraw.errors import Code, DomainError


class SlotError(DomainError):
    pass


def upcoming_slots(*, cancelled: bool = False, now: datetime | None = None) -> QuerySet[Slot]:
    """Sessions that have not started, soonest first, with their tour and site;
    cancelled ones only when ``cancelled`` (planning lists them, marked)."""
    found = (
        Slot.objects.filter(starts_at__gt=now or timezone.now())
        .select_related("tour__site")
        .order_by("starts_at")
    )
    return found if cancelled else found.filter(cancelled_at__isnull=True)


# Monday is 0, as date.weekday() counts.
EVERY_DAY = frozenset(range(7))
# The most days one plan may span: a year, so a typo in a year cannot create
# thousands of sessions.
MAX_PLAN_DAYS = 366


def generate_slots(
    tour: Tour,
    *,
    first_day: date,
    last_day: date,
    times: Iterable[time],
    capacity: int,
    weekdays: Collection[int] = EVERY_DAY,
    duration: timedelta | None = None,
) -> list[Slot]:
    """Create a slot for every day in the range that falls on one of ``weekdays``
    (0 is Monday), at each time of day (site time), in one transaction.

    Slots that already exist at the same start are left as they are, so the
    same plan can be run again after a change without duplicates.
    """
    if last_day < first_day:
        raise SlotError(
            _("The last day is before the first day."),
            code=Code.DATE_RANGE_REVERSED,
            field="last_day",
        )
    if (last_day - first_day).days >= MAX_PLAN_DAYS:
        raise SlotError(
            _("A plan spans at most %(days)d days; choose an earlier last day.")
            % {"days": MAX_PLAN_DAYS},
            code=Code.PLAN_TOO_LONG,
            field="last_day",
        )
    days = set(weekdays) & EVERY_DAY
    if not days:
        raise SlotError(
            _("Tick at least one day of the week."), code=Code.WEEKDAYS_REQUIRED, field="weekdays"
        )
    if capacity < 1:
        raise SlotError(
            _("Capacity must be at least 1 person."), code=Code.CAPACITY_INVALID, field="capacity"
        )
    times = sorted(set(times))
    if not times:
        raise SlotError(
            _("Give at least one time of day."), code=Code.TIMES_REQUIRED, field="times"
        )
    length = duration or timedelta(minutes=tour.duration_minutes)
    tz = tour.site.tzinfo
    starts: list[datetime] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in days:
            starts.extend(
                datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=tz)
                for at in times
            )
        day += timedelta(days=1)
    with transaction.atomic():
        existing = set(
            Slot.objects.filter(tour=tour, starts_at__in=starts).values_list("starts_at", flat=True)
        )
        new = [
            Slot(tour=tour, starts_at=start, ends_at=start + length, capacity=capacity)
            for start in starts
            if start not in existing
        ]
        Slot.objects.bulk_create(new)
    return list(Slot.objects.filter(tour=tour, starts_at__in=starts).order_by("starts_at"))
