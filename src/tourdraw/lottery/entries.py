"""Entering a round: every rule checked at once, each failure named."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model, Prefetch, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot, Tour
from tourdraw.errors import Code, DomainError
from tourdraw.lottery import eligibility, fairness
from tourdraw.lottery.codes import new_entry_code
from tourdraw.lottery.models import Entry, EntryChoice, EntryMember, Round
from tourdraw.lottery.rounds import accepts_entries, lock_round_for_entry
from tourdraw.people import crypto
from tourdraw.people.documents import Document, age_on
from tourdraw.people.models import Person, Visitor
from tourdraw.people.party import PartyMember, already_booked, check_party
from tourdraw.people.services import (
    PersonError,
    check_document,
    clean_name,
    get_or_create_people,
)
from tourdraw.visits import notices


@dataclass(frozen=True)
class CompanionInput:
    """A companion as typed, or one of the visitor's saved people (``person_id``),
    whose ID number is then not sent again."""

    full_name: str
    id_type: str = ""
    id_number: str = ""
    birth_date: date | None = None
    person_id: int | None = None
    # The entrant declares they are this child's guardian or have the
    # guardian's consent (PIPL: a child under 14's data needs it).
    guardian: bool = False


# Under this age on the visit date a companion's data is a child's (PIPL art. 31).
GUARDIAN_AGE = 14


class EntryRejected(DomainError):
    """One or more rules failed; ``errors`` has every one, the first leads."""


def _error(message: str, code: Code, field: str) -> DomainError:
    return DomainError(message, code=code, field=field)


@dataclass
class _Member:
    label: str
    # "entrant", or the companion's prefix ("companions.0.") a column follows.
    at: str
    full_name: str
    document: Document
    id_hash: str
    person: Person | None = None
    guardian: bool = False

    @property
    def who(self) -> PartyMember:
        return PartyMember(self.label, self.at, self.document.birth_date, self.id_hash)


def _saved_person(visitor: Visitor, companion: CompanionInput) -> Person | None:
    if companion.person_id is None or companion.id_number.strip():
        return None
    person = visitor.people.filter(pk=companion.person_id, erased_at__isnull=True).first()
    if person is None:
        raise PersonError(
            _("Enter the ID number."), code=Code.ID_NUMBER_REQUIRED, field="id_number"
        )
    return person


def check_round_open(round: Round, now: datetime) -> None:
    if accepts_entries(round, now):
        return
    if now < round.opens_at or round.state == Round.State.SCHEDULED:
        # The time is never last: its format may end in "a.m." and take the full stop.
        message = _("Entries for this round open at %(time)s: come back then.") % {
            "time": formats.date_format(timezone.localtime(round.opens_at), "DATETIME_FORMAT")
        }
    else:
        closed_at = round.closed_at or round.closes_at
        message = _("Entries for this round closed at %(time)s: no more can be made.") % {
            "time": formats.date_format(timezone.localtime(closed_at), "DATETIME_FORMAT")
        }
    raise EntryRejected.from_errors([_error(message, Code.ROUND_NOT_OPEN, "round")])


def _check(
    round: Round,
    visitor: Visitor,
    choice_ids: Sequence[int],
    companions: Sequence[CompanionInput],
    *,
    now: datetime,
    exclude_entry: Entry | None = None,
) -> tuple[list[Slot], list[_Member]]:
    entrant = _entrant(visitor)
    slots, errors = _choices(round, choice_ids)
    errors += _party_size(round.tour, companions)
    members, invalid = _party(visitor, entrant, companions, today=timezone.localdate(now))
    errors += invalid
    errors += check_party(
        [member.who for member in members],
        visit_dates=[slot.visit_date for slot in slots],
        min_age=round.tour.min_age,
        taken=_entered(round, members, exclude_entry),
    )
    errors += _guardians_missing(members[1:], slots)
    errors += _ineligible(round, members, now)
    if errors:
        raise EntryRejected.from_errors(errors)
    return slots, members


def _entrant(visitor: Visitor) -> Person:
    entrant = visitor.self_person
    if entrant is None:
        raise EntryRejected.from_errors(
            [
                _error(
                    _("Add your real name and ID document to your profile before entering."),
                    Code.PROFILE_INCOMPLETE,
                    "entrant",
                )
            ]
        )
    return entrant


def _choices(round: Round, choice_ids: Sequence[int]) -> tuple[list[Slot], list[DomainError]]:
    """The chosen slots, best first, and what is wrong with the choice."""
    errors = []
    if not choice_ids:
        errors.append(_error(_("Choose at least one slot."), Code.CHOICE_REQUIRED, "choices"))
    if len(choice_ids) > round.tour.max_choices:
        errors.append(
            _error(
                _("Choose at most %(max)d slots; you chose %(count)d.")
                % {"max": round.tour.max_choices, "count": len(choice_ids)},
                Code.TOO_MANY_CHOICES,
                "choices",
            )
        )
    # Only the chosen slots are read (a round may offer hundreds); an id no
    # database key can hold is simply not a slot of the round.
    ids = {slot_id for slot_id in choice_ids if 0 < slot_id < 2**63}
    offered = {
        slot.pk: slot for slot in round.slots.select_related("tour__site").filter(pk__in=ids)
    }
    slots: list[Slot] = []
    seen: set[int] = set()
    for index, slot_id in enumerate(choice_ids):
        slot = offered.get(slot_id)
        if slot is None:
            message = _("Choice %(rank)d is not a slot of this round.") % {"rank": index + 1}
            errors.append(_error(message, Code.CHOICE_UNKNOWN, f"choices.{index}"))
        elif slot_id in seen:
            message = _("You chose %(slot)s more than once; rank each slot once.") % {
                "slot": slot.label
            }
            errors.append(_error(message, Code.CHOICE_REPEATED, f"choices.{index}"))
        else:
            seen.add(slot_id)
            slots.append(slot)
    return slots, errors


def _party_size(tour: Tour, companions: Sequence[CompanionInput]) -> list[DomainError]:
    if len(companions) <= tour.max_companions:
        return []
    return [
        _error(
            _("A party has at most %(max)d companions; you named %(count)d.")
            % {"max": tour.max_companions, "count": len(companions)},
            Code.TOO_MANY_COMPANIONS,
            "companions",
        )
    ]


def _party(
    visitor: Visitor, entrant: Person, companions: Sequence[CompanionInput], *, today: date
) -> tuple[list[_Member], list[DomainError]]:
    """The entrant and the companions whose details hold, and what is wrong
    with the others (each message names the companion)."""
    members = [
        _Member(
            label=entrant.full_name,
            at="entrant",
            full_name=entrant.full_name,
            document=Document(entrant.id_type, "", entrant.birth_date),
            id_hash=entrant.id_hash,
            person=entrant,
        )
    ]
    errors = []
    for index, companion in enumerate(companions):
        try:
            members.append(_companion(visitor, companion, f"companions.{index}.", today=today))
        except PersonError as error:
            fallback = _("Companion %(number)d") % {"number": index + 1}
            label = " ".join(companion.full_name.split()) or fallback
            errors.append(_error(f"{label}: {error.message}", error.code, error.field))
    return members, errors


def _companion(visitor: Visitor, companion: CompanionInput, at: str, *, today: date) -> _Member:
    name = clean_name(companion.full_name, field=at + "full_name")
    saved = _saved_person(visitor, companion)
    if saved is not None:
        document = Document(saved.id_type, "", saved.birth_date)
        id_hash = saved.id_hash
    else:
        document = check_document(
            companion.id_type,
            companion.id_number,
            companion.birth_date,
            today=today,
            field_prefix=at,
        )
        id_hash = crypto.id_hash(document.doc_type, document.number)
    return _Member(
        label=name,
        at=at,
        full_name=name,
        document=document,
        id_hash=id_hash,
        person=saved,
        guardian=companion.guardian,
    )


def _needs_guardian(member: _Member, slots: list[Slot]) -> bool:
    return any(age_on(member.document.birth_date, s.visit_date) < GUARDIAN_AGE for s in slots)


def _guardians_missing(companions: list[_Member], slots: list[Slot]) -> list[DomainError]:
    return [
        _error(
            _(
                "%(name)s is under %(age)d: declare that you are their guardian or have "
                "their guardian's consent to give their personal data."
            )
            % {"name": member.label, "age": GUARDIAN_AGE},
            Code.GUARDIAN_REQUIRED,
            member.who.field("guardian"),
        )
        for member in companions
        if not member.guardian and _needs_guardian(member, slots)
    ]


def _ineligible(round: Round, members: list[_Member], now: datetime) -> list[DomainError]:
    site = round.tour.site
    errors = []
    ban = eligibility.no_show_ban(site, members[0].id_hash, now)
    if ban is not None:
        errors.append(ban)
    visits = eligibility.last_visits(site, [member.id_hash for member in members], now)
    for member in members:
        visited = visits.get(member.id_hash)
        if visited is not None:
            errors.append(
                eligibility.cooldown_error(
                    site, member.label, visited, member.who.field("id_number")
                )
            )
    return errors


def _entered(round: Round, members: list[_Member], exclude_entry: Entry | None) -> set[str]:
    """The ID hashes of these members already in another active entry of the round."""
    taken = EntryMember.objects.filter(
        round=round, active=True, id_hash__in=[member.id_hash for member in members]
    )
    if exclude_entry is not None:
        taken = taken.exclude(entry=exclude_entry)
    return set(taken.values_list("id_hash", flat=True))


def _fairness(round: Round, slots: list[Slot], members: list[_Member]) -> dict[str, int]:
    """The entry's tier and tickets, fixed now so the entrant can be told why."""
    lost = fairness.lost_rounds(round, members[0].id_hash)
    return {
        "tier": fairness.tier_for(
            round, [m.document.birth_date for m in members], [s.visit_date for s in slots]
        ),
        "weight": fairness.weight_for(round, lost),
        "lost_rounds": lost,
    }


def _store_party(entry: Entry, visitor: Visitor, slots: list[Slot], members: list[_Member]) -> None:
    entry.ranked_choices = EntryChoice.objects.bulk_create(
        EntryChoice(entry=entry, slot=slot, rank=rank) for rank, slot in enumerate(slots, start=1)
    )
    typed = [m for m in members if m.person is None]
    recorded = iter(
        get_or_create_people(visitor, [(m.full_name, m.document) for m in typed]) if typed else []
    )
    rows = []
    declared_at = timezone.now()
    for position, member in enumerate(members):
        person = member.person
        if person is None:
            person = next(recorded)
        elif person.full_name != member.full_name and not person.is_self:
            person.full_name = member.full_name
            person.save(update_fields=["full_name"])
        rows.append(
            EntryMember(
                entry=entry,
                round_id=entry.round_id,
                person=person,
                id_hash=member.id_hash,
                role=EntryMember.Role.ENTRANT if position == 0 else EntryMember.Role.COMPANION,
                position=position,
                guardian_declared_at=declared_at
                if member.guardian and _needs_guardian(member, slots)
                else None,
            )
        )
    entry.party = EntryMember.objects.bulk_create(rows)


_Row = TypeVar("_Row", bound=Model)


def _choices_read() -> QuerySet[EntryChoice]:
    return EntryChoice.objects.select_related("slot__tour__site").order_by("rank")


def _party_read() -> QuerySet[EntryMember]:
    # The ID numbers stay encrypted: what shows a party shows them masked.
    return (
        EntryMember.objects.select_related("person").defer("person__id_number").order_by("position")
    )


def with_party(rows: QuerySet[_Row], *, through: str = "") -> QuerySet[_Row]:
    """Entries (or the entries found ``through`` a relation, ``offer__entry__``)
    with their choices and parties read in one query each, not one per entry."""
    return rows.prefetch_related(
        Prefetch(f"{through}choices", _choices_read(), to_attr="ranked_choices"),
        Prefetch(f"{through}members", _party_read(), to_attr="party"),
    )


def choices_of(entry: Entry) -> list[EntryChoice]:
    """The entry's choices, best first, with their slots."""
    if not hasattr(entry, "ranked_choices"):
        entry.ranked_choices = list(_choices_read().filter(entry=entry))
    return entry.ranked_choices


def party_of(entry: Entry) -> list[EntryMember]:
    """The entry's party in order, entrant first, with their persons."""
    if not hasattr(entry, "party"):
        entry.party = list(_party_read().filter(entry=entry))
    return entry.party


def _raise_if_taken(round: Round, members: list[_Member], exclude_entry: Entry | None) -> None:
    """After an IntegrityError: a concurrent entry won the race for a person."""
    taken = _entered(round, members, exclude_entry)
    errors = [already_booked(member.who) for member in members if member.id_hash in taken]
    if errors:
        raise EntryRejected.from_errors(errors)


def enter_round(
    round: Round,
    visitor: Visitor,
    *,
    choices: Sequence[int],
    companions: Sequence[CompanionInput] = (),
    now: datetime | None = None,
) -> Entry:
    """Enter ``visitor`` with their party; ``choices`` are slot ids, best first."""
    now = now or timezone.now()
    check_round_open(round, now)
    slots, members = _check(round, visitor, choices, companions, now=now)
    # An IntegrityError is either a person taken by a concurrent entry (named
    # to the visitor) or, very rarely, a clash of random entry codes (retried).
    for _attempt in range(3):
        try:
            with transaction.atomic():
                check_round_open(lock_round_for_entry(round), now)
                entry = Entry.objects.create(
                    round=round,
                    visitor=visitor,
                    code=new_entry_code(),
                    party_size=len(members),
                    **_fairness(round, slots, members),
                )
                _store_party(entry, visitor, slots, members)
                log_action(
                    "tourdraw.entry.created",
                    entry,
                    actor=visitor.user,
                    data={"round": round.code, "party": len(members), "choices": len(slots)},
                )
            return entry
        except IntegrityError:
            _raise_if_taken(round, members, None)
    raise EntryRejected.from_errors(
        [_error(_("The entry could not be saved; please try again."), Code.ENTRY_CONFLICT, "entry")]
    )


def check_leftover_party(
    round: Round,
    visitor: Visitor,
    slot: Slot,
    companions: Sequence[CompanionInput],
    *,
    now: datetime,
) -> list[_Member]:
    """Every rule an entry meets, for a party claiming leftover places in
    ``slot`` of a drawn round (``visits.leftovers``): the entrant's profile, the
    party's size, each person's document, age on the slot's date and guardian,
    each person once and in no other party of the round (their own lottery entry
    included), the no-show ban and the cool-down."""
    _slots, members = _check(round, visitor, [slot.pk], companions, now=now)
    return members


def enter_leftover(round: Round, visitor: Visitor, slot: Slot, members: list[_Member]) -> Entry:
    """Store a party that claims leftover places in ``slot`` as an entry of the
    drawn round marked ``leftover``: no outcome, never on the waitlist, its party
    stored as any entry's. Called in the claim's transaction, under the slot's
    lock; a person a concurrent claim or entry took first is named (the
    one-appearance-per-round constraint is what decides it)."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    round=round,
                    visitor=visitor,
                    code=new_entry_code(),
                    party_size=len(members),
                    leftover=True,
                )
                _store_party(entry, visitor, [slot], members)
            return entry
        except IntegrityError:
            _raise_if_taken(round, members, None)
    raise EntryRejected.from_errors(
        [_error(_("The entry could not be saved; please try again."), Code.ENTRY_CONFLICT, "entry")]
    )


def change_entry(
    entry: Entry,
    *,
    choices: Sequence[int],
    companions: Sequence[CompanionInput] = (),
    now: datetime | None = None,
) -> Entry:
    """Replace an entry's choices and companions while the round is open."""
    now = now or timezone.now()
    round = entry.round
    check_round_open(round, now)
    if not entry.is_active:
        raise EntryRejected.from_errors(
            [_error(_("This entry was withdrawn."), Code.ENTRY_WITHDRAWN, "entry")]
        )
    slots, members = _check(
        round,
        entry.visitor,
        choices,
        companions,
        now=now,
        exclude_entry=entry,
    )
    try:
        with transaction.atomic():
            check_round_open(lock_round_for_entry(round), now)
            if not Entry.objects.filter(pk=entry.pk, state=Entry.State.ACTIVE).update(
                party_size=len(members), updated_at=now, **_fairness(round, slots, members)
            ):
                raise EntryRejected.from_errors(
                    [_error(_("This entry was withdrawn."), Code.ENTRY_WITHDRAWN, "entry")]
                )
            entry.choices.all().delete()
            entry.members.all().delete()
            _store_party(entry, entry.visitor, slots, members)
            log_action(
                "tourdraw.entry.changed",
                entry,
                actor=entry.visitor.user,
                data={"party": len(members), "choices": len(slots)},
            )
    except IntegrityError:
        _raise_if_taken(round, members, entry)
        raise
    entry.refresh_from_db()
    return entry


def _withdraw(entry: Entry, *, now: datetime, actor: Any, data: dict[str, Any] | None) -> None:
    if not Entry.objects.filter(pk=entry.pk, state=Entry.State.ACTIVE).update(
        state=Entry.State.WITHDRAWN, withdrawn_at=now, updated_at=now
    ):
        raise EntryRejected.from_errors(
            [_error(_("This entry was already withdrawn."), Code.ENTRY_WITHDRAWN, "entry")]
        )
    entry.members.update(active=False)
    log_action("tourdraw.entry.withdrawn", entry, actor=actor, data=data)


def withdraw_entry(entry: Entry, *, now: datetime | None = None) -> Entry:
    """Withdraw while the round is open; everyone in the party is free to enter again."""
    now = now or timezone.now()
    check_round_open(entry.round, now)
    with transaction.atomic():
        check_round_open(lock_round_for_entry(entry.round), now)
        _withdraw(entry, now=now, actor=entry.visitor.user, data=None)
    entry.refresh_from_db()
    return entry


def drop_choice(entry: Entry, slot: Slot, *, actor: Any, now: datetime) -> bool:
    """Take a cancelled session out of an entry's choices before the draw; an
    entry left with no choice is withdrawn. The visitor is told either way.
    True if the entry was withdrawn."""
    with transaction.atomic():
        round = lock_round_for_entry(entry.round)
        if round.state not in (Round.State.SCHEDULED, Round.State.OPEN):
            raise EntryRejected.from_errors(
                [
                    _error(
                        _("The round has closed; its entries are sealed."),
                        Code.ROUND_CLOSED,
                        "round",
                    )
                ]
            )
        EntryChoice.objects.filter(entry=entry, slot=slot).delete()
        remaining = list(entry.choices.order_by("rank"))
        data = {"slot": slot.code, "reason": "slot_cancelled"}
        if not remaining:
            _withdraw(entry, now=now, actor=actor, data=data)
            notices.entry_withdrawn_with_slot(entry, slot)
            return True
        for rank, kept in enumerate(remaining, start=1):
            if kept.rank != rank:
                EntryChoice.objects.filter(pk=kept.pk).update(rank=rank)
        log_action("tourdraw.entry.choice_dropped", entry, actor=actor, data=data)
        notices.choice_dropped(entry, slot)
    return False


def leave_waitlist(entry: Entry, *, now: datetime) -> bool:
    """Take a drawn round's entry off the waitlist for good (its visitor deleted
    their account): promotions pass it by. Returns False if it has an offer, or
    was not waiting; the offer is then given up through the visits services."""
    with transaction.atomic():
        left = Entry.objects.filter(
            pk=entry.pk,
            state=Entry.State.ACTIVE,
            round__state=Round.State.DRAWN,
            offer__isnull=True,
        ).update(state=Entry.State.WITHDRAWN, withdrawn_at=now, updated_at=now)
        if left:
            log_action("tourdraw.entry.left_waitlist", entry, data={"entry": entry.code})
    return bool(left)
