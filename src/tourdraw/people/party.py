"""Who may be in a party: old enough on the day of the visit, each person once,
and not already in another party.

One rule, one place: an entry's party (``lottery.entries``), a group's member
list (``groups.services``) and any later flow check their people here, so a
violation carries the same code and reads the same wherever it happens.

It lives in ``people``, below both flows, because its rules are about persons
and their documents and need nothing from either flow: each flow knows in its
own way who is already taken (another entry of the round; another group, or a
party holding an offer, in the session) and passes their ID hashes in. Like
``documents`` it reads no database, so the rules are tested without one.

Codes raised: ``under_min_age``, ``person_repeated``, ``person_already_booked``.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _

from tourdraw.errors import Code, DomainError
from tourdraw.people.documents import age_on


@dataclass(frozen=True)
class PartyMember:
    """A person of a party as the rules see them."""

    # Who they are in a message: a name, or a member list's row and name.
    label: str
    # Where a form shows their problems: a prefix a column follows
    # ("companions.0.", "members.2."), or a whole field ("entrant", whose
    # details are in the profile, not in the form).
    at: str
    birth_date: date
    id_hash: str

    def field(self, column: str) -> str:
        return self.at + column if self.at.endswith(".") else self.at


def under_min_age(member: PartyMember, visit_date: date, min_age: int) -> DomainError | None:
    """The tour's minimum age holds on the day of the visit, not on the day of entry."""
    age = age_on(member.birth_date, visit_date)
    if age >= min_age:
        return None
    return DomainError(
        _(
            "%(name)s will be %(age)d on %(date)s; everyone must be at least %(min_age)d "
            "on the day of the visit."
        )
        % {
            "name": member.label,
            "age": age,
            "date": formats.date_format(visit_date, "DATE_FORMAT"),
            "min_age": min_age,
        },
        code=Code.UNDER_MIN_AGE,
        field=member.field("birth_date"),
    )


def repeated(member: PartyMember, earlier: PartyMember) -> DomainError:
    return DomainError(
        _("%(name)s has the same ID document as %(other)s; each person comes once.")
        % {"name": member.label, "other": earlier.label},
        code=Code.PERSON_REPEATED,
        field=member.field("id_number"),
    )


def already_booked(member: PartyMember) -> DomainError:
    return DomainError(
        _("%(name)s is already in another party; each person comes in one party only.")
        % {"name": member.label},
        code=Code.PERSON_ALREADY_BOOKED,
        field=member.field("id_number"),
    )


def problems_by_member(
    members: Sequence[PartyMember],
    *,
    visit_dates: Sequence[date],
    min_age: int,
    taken: Collection[str],
) -> list[list[DomainError]]:
    """Every rule for every member: one list per member, in the party's order.

    ``taken`` are the ID hashes already in another party. A person named twice
    is reported there once, as repeated; their age and booking are reported
    where they first appear.
    """
    first: dict[str, PartyMember] = {}
    problems: list[list[DomainError]] = []
    for member in members:
        earlier = first.setdefault(member.id_hash, member)
        if earlier is not member:
            problems.append([repeated(member, earlier)])
            continue
        found = [under_min_age(member, visit_date, min_age) for visit_date in visit_dates]
        if member.id_hash in taken:
            found.append(already_booked(member))
        problems.append([problem for problem in found if problem is not None])
    return problems


def check_party(
    members: Sequence[PartyMember],
    *,
    visit_dates: Sequence[date],
    min_age: int,
    taken: Collection[str],
) -> list[DomainError]:
    """Every rule for every member, in the party's order (see ``problems_by_member``)."""
    return [
        problem
        for found in problems_by_member(
            members, visit_dates=visit_dates, min_age=min_age, taken=taken
        )
        for problem in found
    ]
