"""Erasing personal data once nothing needs it (PIPL: kept no longer than necessary).

A person's name, ID number and birth date are erased ``TOURDRAW_RETENTION_DAYS``
after the last session of every round they are in (drawn or cancelled), or
after they were recorded if they are in none; group members the same time
after their group's visit. What stays is the keyed hash (``id_hash``), which
the no-show ban and the one-appearance rule match on and which nobody can
turn back into a number without the key; entries keep their public codes and
statistics keep their counts. Call-centre notes, delivered messages and
expired sessions go after the same period.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tourdraw.audit.services import log_action
from tourdraw.groups.models import GroupMember, GroupVisit
from tourdraw.lottery.models import EntryMember, Round
from tourdraw.notify.models import OutboxMessage
from tourdraw.people.models import Person
from tourdraw.visits.models import CallAttempt

BATCH = 500
_ENDED = (Round.State.DRAWN, Round.State.CANCELLED)


def retention_limit(now: datetime) -> datetime:
    return now - timedelta(days=settings.TOURDRAW_RETENTION_DAYS)


def erase_people(
    people: QuerySet[Person], *, now: datetime, reason: str, limit: int | None = None
) -> int:
    """Erase these persons' name, number and birth date, one audit entry each."""
    erased = 0
    todo = people.filter(erased_at__isnull=True).defer("id_number", "birth_date").order_by("pk")
    for person in todo[:limit]:
        with transaction.atomic():
            if not Person.objects.filter(pk=person.pk, erased_at__isnull=True).update(
                full_name="", id_number="", id_masked="", birth_date=None, erased_at=now
            ):
                continue  # erased meanwhile by another worker
            log_action("tourdraw.person.erased", person, data={"reason": reason})
            erased += 1
    return erased


def people_due(now: datetime) -> QuerySet[Person]:
    """Persons with nothing pending whose last round ended long enough ago."""
    limit = retention_limit(now)
    pending = EntryMember.objects.filter(person=OuterRef("pk")).filter(
        ~Q(round__state__in=_ENDED) | Q(round__slots__starts_at__gte=limit)
    )
    return Person.objects.filter(erased_at__isnull=True, created_at__lt=limit).exclude(
        Exists(pending)
    )


def erase_group_members_due(now: datetime) -> int:
    """Members of groups whose visit (or refusal) is long enough past, and the
    contact person with them."""
    limit = retention_limit(now)
    done = Q(slot__starts_at__lt=limit) | (Q(slot__isnull=True) & Q(decided_at__lt=limit))
    groups = GroupVisit.objects.filter(done)
    with transaction.atomic():
        erased = GroupMember.objects.filter(group__in=groups, erased_at__isnull=True).update(
            full_name="", id_number="", id_masked="", birth_date=None, erased_at=now
        )
        contacts = groups.exclude(contact_name="")
        for group in contacts:
            log_action("tourdraw.group.erased", group, data={"members": group.members.count()})
        contacts.update(contact_name="", contact_phone="", contact_email="")
    return erased


def run_duties(now: datetime) -> int:
    """The worker's privacy duties, on every tick: give up places drawn for
    deleted accounts at once; erase what is past its period once a day (the
    search for it reads every person, too much for a tick every two seconds)."""
    from tourdraw.people import rights

    rights.release_deleted_offers(now)
    day = timezone.localdate(now).isoformat()
    # add() is atomic in every cache backend: of several workers, one runs it.
    if not cache.add(f"tourdraw:retention:{day}", now.isoformat(), timeout=2 * 86400):
        return 0
    return erase_due(now)


def erase_due(now: datetime) -> int:
    """Erase everything past its retention period."""
    limit = retention_limit(now)
    erased = 0
    while True:
        batch = erase_people(people_due(now), now=now, reason="retention", limit=BATCH)
        erased += batch
        if batch < BATCH:
            break
    erased += erase_group_members_due(now)
    # Call-centre notes are free text about a winner; delivered messages name a
    # phone or address; expired sessions may hold a number waiting for its code.
    CallAttempt.objects.filter(offer__slot__starts_at__lt=limit).exclude(note="").update(note="")
    OutboxMessage.objects.filter(created_at__lt=limit).exclude(
        state=OutboxMessage.State.PENDING
    ).delete()
    Session.objects.filter(expire_date__lt=now).delete()
    return erased
