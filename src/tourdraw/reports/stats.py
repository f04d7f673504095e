"""Numbers for the dashboards: demand, confirmations, visits. Read-only."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tourdraw.catalog.models import Site, Slot
from tourdraw.groups.models import GroupMember
from tourdraw.lottery.models import Entry, Round
from tourdraw.visits import capacity
from tourdraw.visits.models import CheckIn, NoShow, Offer


@dataclass(frozen=True)
class SlotDemand:
    slot: Slot
    capacity: int  # for the lottery: groups' places taken out
    entries: int
    persons: int

    @property
    def oversubscription(self) -> float:
        return self.persons / self.capacity if self.capacity else 0.0

    @property
    def chance(self) -> float:
        """The share of persons asking for this slot who could be seated, so far."""
        return min(1.0, self.capacity / self.persons) if self.persons else 1.0


def slot_demand(round: Round) -> list[SlotDemand]:
    active = Q(entry_choices__entry__state=Entry.State.ACTIVE)
    slots = round.slots.select_related("tour__site").annotate(
        entries_count=Count("entry_choices", filter=active),
        persons_count=Sum("entry_choices__entry__party_size", filter=active),
    )
    return [
        SlotDemand(
            slot,
            max(slot.capacity - capacity.reserved_for_groups(slot), 0),
            slot.entries_count,
            slot.persons_count or 0,
        )
        for slot in slots.order_by("starts_at")
    ]


@dataclass(frozen=True)
class RoundSummary:
    round: Round
    entries: int
    persons: int
    capacity: int
    offers: dict[str, int]
    no_shows: int

    @property
    def oversubscription(self) -> float:
        return self.persons / self.capacity if self.capacity else 0.0


def round_summary(round: Round) -> RoundSummary:
    entries = round.entries.filter(state=Entry.State.ACTIVE).aggregate(
        n=Count("id"), persons=Sum("party_size")
    )
    places = round.slots.aggregate(n=Sum("capacity"))["n"] or 0
    offers = dict(
        Offer.objects.filter(entry__round=round)
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    no_shows = NoShow.objects.filter(ticket__offer__entry__round=round).count()
    return RoundSummary(round, entries["n"], entries["persons"] or 0, places, offers, no_shows)


def visitors_by_month(site_ids: set[int] | None, year: int) -> dict[tuple[int, int], int]:
    """Persons who passed a gate, by (site, month): lottery parties and groups."""
    checkins = CheckIn.objects.filter(checked_in_at__year=year)
    members = GroupMember.objects.filter(checked_in_at__year=year)
    if site_ids is not None:
        checkins = checkins.filter(ticket__offer__slot__tour__site_id__in=site_ids)
        members = members.filter(group__site_id__in=site_ids)
    counts: dict[tuple[int, int], int] = {}
    for queryset, site_path, field in (
        (checkins, "ticket__offer__slot__tour__site_id", "checked_in_at"),
        (members, "group__site_id", "checked_in_at"),
    ):
        rows = (
            queryset.annotate(month=TruncMonth(field))
            .values_list(site_path, "month")
            .annotate(n=Count("id"))
        )
        for site_id, month, n in rows:
            key = (
                site_id,
                timezone.localtime(month).month if timezone.is_aware(month) else month.month,
            )
            counts[key] = counts.get(key, 0) + n
    return counts


def visitors_this_year(site_ids: set[int] | None, today: date | None = None) -> int:
    today = today or timezone.localdate()
    return sum(visitors_by_month(site_ids, today.year).values())


def sites(site_ids: set[int] | None) -> list[Site]:
    queryset = Site.objects.order_by("code")
    return list(queryset if site_ids is None else queryset.filter(pk__in=site_ids))
