"""Numbers for the dashboards: demand, confirmations, visits. Read-only."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tourdraw.catalog.models import Site, Slot
from tourdraw.groups.models import GroupMember
from tourdraw.lottery.models import Draw, DrawOutcome, Entry, EntryChoice, Round, RoundSlot
from tourdraw.transparency import round_facts
from tourdraw.visits import capacity
from tourdraw.visits.models import CheckIn, NoShow, Offer


@dataclass(frozen=True)
class Demand:
    """Active entries and their persons: a round's, or a slot's."""

    entries: int = 0
    persons: int = 0


@dataclass(frozen=True)
class RoundDemand:
    total: Demand
    by_slot: dict[int, Demand]  # by slot id; a slot nobody chose is not there


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
    """Each slot's demand, counted now (the public page's may be a minute old)."""
    demand = _demand(_count_demand(round)).by_slot
    slots = list(round.slots.select_related("tour__site").order_by("starts_at"))
    reserved = capacity.reserved_by_slot(slots)
    rows = []
    for slot in slots:
        found = demand.get(slot.pk, Demand())
        places = max(slot.capacity - reserved.get(slot.pk, 0), 0)
        rows.append(SlotDemand(slot, places, found.entries, found.persons))
    return rows


# How long the public round page's counts may be old: while a round is open,
# and once its entries can no longer change.
PUBLIC_DEMAND_TTL = 60
SETTLED_DEMAND_TTL = 3600


def public_demand(round: Round) -> RoundDemand:
    """The demand the public round page shows, counted at most once a minute per round.

    Counting goes through every active entry's choices: at 100,000 entries that
    took 0.5 s on PostgreSQL and 1 s on SQLite, on the page everyone reloads while
    a round is open. Once the round has closed its entries cannot change, and the
    counts are kept for an hour.
    """
    key = f"tourdraw:public-demand:{round.pk}"
    counted = cache.get(key)
    if counted is None:
        counted = _count_demand(round)
        settled = round.state not in (Round.State.SCHEDULED, Round.State.OPEN)
        cache.set(key, counted, SETTLED_DEMAND_TTL if settled else PUBLIC_DEMAND_TTL)
    return _demand(counted)


# (entries, persons) for the round, and by slot id: plain tuples, which the
# cache keeps as they are, where a pickled class may change with a deploy.
_Counted = tuple[tuple[int, int], dict[int, tuple[int, int]]]


def _count_demand(round: Round) -> _Counted:
    # Leftover claims came after the draw: they are no demand for it.
    active = round.entries.filter(state=Entry.State.ACTIVE, leftover=False)
    total = active.aggregate(entries=Count("id"), persons=Sum("party_size"))
    rows = (
        EntryChoice.objects.filter(entry__in=active)
        .values_list("slot_id")
        .annotate(entries=Count("id"), persons=Sum("entry__party_size"))
    )
    by_slot = {slot_id: (entries, persons) for slot_id, entries, persons in rows}
    return (total["entries"], total["persons"] or 0), by_slot


def _demand(counted: _Counted) -> RoundDemand:
    total, by_slot = counted
    return RoundDemand(Demand(*total), {slot: Demand(*d) for slot, d in by_slot.items()})


@dataclass(frozen=True)
class RoundSummary:
    round: Round
    entries: int
    persons: int
    capacity: int
    offers: dict[str, int]
    no_shows: int
    placed: int = 0  # entries given a place, in the draw or from the waitlist
    checked_in: int = 0  # tickets of its parties that passed a gate

    @property
    def oversubscription(self) -> float:
        return self.persons / self.capacity if self.capacity else 0.0


def round_summary(round: Round) -> RoundSummary:
    return round_summaries([round])[0]


def round_summaries(rounds: Sequence[Round]) -> list[RoundSummary]:
    """:func:`round_summary` of each round, in the same order: six queries for
    them all, however many rounds the dashboard lists."""
    ids = [round.pk for round in rounds]
    active = list(
        Entry.objects.filter(round__in=ids, state=Entry.State.ACTIVE, leftover=False)
        .values("round")
        .annotate(n=Count("id"), persons=Sum("party_size"))
    )
    entries = _by_round(active)
    persons = {row["round"]: row["persons"] or 0 for row in active}
    places = _by_round(
        RoundSlot.objects.filter(round__in=ids).values("round").annotate(n=Sum("slot__capacity"))
    )
    offers: dict[int, dict[str, int]] = {round_id: {} for round_id in ids}
    by_state = (
        Offer.objects.filter(entry__round__in=ids)
        .values("entry__round", "state")
        .annotate(n=Count("id"))
        .values_list("entry__round", "state", "n")
    )
    for round_id, state, n in by_state:
        offers[round_id][state] = n
    no_shows = _by_round(
        NoShow.objects.filter(ticket__offer__entry__round__in=ids)
        .values(round=F("ticket__offer__entry__round"))
        .annotate(n=Count("id"))
    )
    placed = _by_round(
        Offer.objects.filter(entry__round__in=ids)
        .values(round=F("entry__round"))
        .annotate(n=Count("entry", distinct=True))
    )
    checked_in = _by_round(
        CheckIn.objects.filter(ticket__offer__entry__round__in=ids)
        .values(round=F("ticket__offer__entry__round"))
        .annotate(n=Count("ticket", distinct=True))
    )
    return [
        RoundSummary(
            round,
            entries.get(round.pk, 0),
            persons.get(round.pk, 0),
            places.get(round.pk, 0),
            offers[round.pk],
            no_shows.get(round.pk, 0),
            placed.get(round.pk, 0),
            checked_in.get(round.pk, 0),
        )
        for round in rounds
    ]


def _by_round(rows: Any) -> dict[int, int]:
    return {row["round"]: row["n"] or 0 for row in rows}


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


def sites(site_ids: set[int] | None) -> list[Site]:
    queryset = Site.objects.order_by("code")
    return list(queryset if site_ids is None else queryset.filter(pk__in=site_ids))


@dataclass(frozen=True)
class SlotOdds:
    """A slot's places and demand now: how many persons ask for each place."""

    places: round_facts.SlotPlaces
    demand: Demand

    @property
    def persons_per_place(self) -> float | None:
        """Persons of active entries choosing the slot, per place the draw seats
        in it; None for a slot the lottery seats no one in."""
        lottery = self.places.lottery
        return self.demand.persons / lottery if lottery else None


def slot_odds(
    round: Round, slots: list[Slot], *, demand: RoundDemand | None = None
) -> list[SlotOdds]:
    """Each slot's persons per place, for all ``slots`` at once: the public
    demand (two queries, cached a minute; or ``demand``, already read) over the
    places (one query, or the closing statement). The one place these odds are
    computed, so that the counts can later be kept by the worker instead."""
    by_slot = (demand or public_demand(round)).by_slot
    return [
        SlotOdds(places, by_slot.get(places.slot.pk, Demand()))
        for places in round_facts.slot_places(round, slots)
    ]


class _Placed:
    """Entries, and how many of them a draw placed."""

    entries: int
    placed: int

    @property
    def share(self) -> float:
        """The share of entries placed (0 to 1)."""
        return self.placed / self.entries if self.entries else 0.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)


@dataclass(frozen=True)
class PastRound(_Placed):
    """A drawn round as its draw counted it: entries and their persons, the
    places the lottery seated, and the entries it placed."""

    round: Round
    entries: int
    persons: int
    places: int
    placed: int


def past_rounds(site: Site) -> list[PastRound]:
    """Every drawn round of the site's tours, most recent draw first: three
    queries at most, however many rounds there are."""
    drawn = list(
        Round.objects.filter(tour__site=site, state=Round.State.DRAWN, draw__isnull=False)
        .select_related("draw", "tour")
        .order_by("-draw__drawn_at", "-pk")
    )
    ids = [round.pk for round in drawn]
    persons = _by_round(
        DrawOutcome.objects.filter(round__in=ids)
        .values("round")
        .annotate(n=Sum("entry__party_size"))
    )
    places = _places(drawn)
    return [
        PastRound(
            round,
            round.draw.entries,
            persons.get(round.pk, 0),
            places.get(round.pk, 0),
            round.draw.placed_entries,
        )
        for round in drawn
    ]


def _places(drawn: list[Round]) -> dict[int, int]:
    """The places each round's lottery seated, as its closing statement fixed
    them; a round closed before statements had them counts its slots' capacity."""
    places = {
        round.pk: sum(slot["capacity"] for slot in json.loads(round.closing_statement)["slots"])
        for round in drawn
        if round.closing_statement
    }
    older = [round.pk for round in drawn if not round.closing_statement]
    if older:
        places.update(
            _by_round(
                RoundSlot.objects.filter(round__in=older)
                .values("round")
                .annotate(n=Sum("slot__capacity"))
            )
        )
    return places


@dataclass(frozen=True)
class PastShare(_Placed):
    """The entries a tour's earlier draws placed, all rounds together."""

    rounds: int
    entries: int
    placed: int


def past_share(round: Round) -> PastShare | None:
    """What the tour's earlier draws placed (one query): every draw of the tour
    for a round not yet drawn, those before it for a drawn one. None before
    the tour has any."""
    earlier = Draw.objects.filter(round__tour_id=round.tour_id).exclude(round=round)
    if round.drawn_at is not None:
        # Rounds drawn at the same moment (one beacon) count in the order made.
        earlier = earlier.filter(
            Q(drawn_at__lt=round.drawn_at) | Q(drawn_at=round.drawn_at, round_id__lt=round.pk)
        )
    totals = earlier.aggregate(
        rounds=Count("id"), entries=Sum("entries"), placed=Sum("placed_entries")
    )
    if not totals["rounds"]:
        return None
    return PastShare(totals["rounds"], totals["entries"] or 0, totals["placed"] or 0)
