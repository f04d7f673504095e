"""Builders shared by the tests: real objects made through the real services."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from django.db import connection
from django.utils import timezone

from tourdraw.catalog.models import Site, Slot, Tour
from tourdraw.catalog.services import generate_slots
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import beacon, drawing, rounds, testchain
from tourdraw.lottery.models import Draw, Entry, Round, RoundSlot
from tourdraw.notify.channels import Channel, Message
from tourdraw.people import consent, documents
from tourdraw.people.models import User, Visitor
from tourdraw.people.services import save_profile

SENT: list[Message] = []
T = TypeVar("T")
# The local drand chain every test's rounds fix their beacon on (conftest sets it).
CHAIN = testchain.LocalChain()


def present(value: T | None) -> T:
    """``value``, which the test knows is there (a first row, a regex match)."""
    assert value is not None
    return value


@contextmanager
def past_the_database_guards() -> Iterator[None]:
    """Write as someone holding the database's superuser would: on PostgreSQL with
    its triggers off (session_replication_role), so that what the draw itself
    checks can be shown on both databases."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def beacon_moment(round: Round) -> datetime:
    """When the round's fixed beacon round is published."""
    round.refresh_from_db()
    return datetime.fromtimestamp(beacon.beacon_time(round), UTC)


def give_beacon(round: Round) -> None:
    """Store the round's beacon as the worker would after fetching it: the local
    chain's signature of the fixed round, checked by ``beacon.accept``."""
    round.refresh_from_db()
    assert round.beacon_round is not None
    signature = CHAIN.beacon(round.beacon_round)["signature"]
    beacon.accept(round, signature, now=beacon_moment(round))


def draw_with_beacon(round: Round, now: datetime | None = None) -> Draw:
    """Draw a closed round through the service, its beacon fetched first; the draw
    runs at ``now`` or, if that is earlier, at its beacon round's time."""
    round.refresh_from_db()
    if not round.beacon_signature:
        give_beacon(round)
    at = max(now or timezone.now(), beacon_moment(round))
    return drawing.draw_round(round, now=at)


class MemoryChannel(Channel):
    """Stands where the SMS gateway stands, keeping what was sent for the test."""

    def send(self, message: Message) -> None:
        SENT.append(message)


def resident_id(birth_date: date, region: str = "110101", sequence: int = 123) -> str:
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + documents.cn_check_character(first17)


def make_site(code: str = "xiaomi-ev", **fields: Any) -> Site:
    """The site with this code, made on first use (tests share one per code)."""
    defaults = {
        "name": "小米汽车超级工厂",
        "name_en": "Xiaomi EV Factory",
        "address": "北京",
        "operator_name": "小米汽车",
    }
    site, _ = Site.objects.get_or_create(code=code, defaults={**defaults, **fields})
    return site


def make_staff(username: str, role: str, site: Site | None) -> User:
    from tourdraw.people.models import StaffRole

    user = User.objects.create_user(username, password=f"{username}-pass-123")
    StaffRole.objects.create(user=user, role=role, site=site)
    return user


def sign_in_staff(client: Any, user: User) -> None:
    """Sign ``user`` in on the test client past both factors, as the staff
    sign-in pages would: an authenticator enrolled through the service with the
    code it shows, and the session marked as having passed it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.oath import totp

    from tourdraw.people import second_factor

    if second_factor.is_enrolled(user):
        device = second_factor.TOTPDevice.objects.get(user=user, confirmed=True)
    else:
        pending = second_factor.pending_device(user)
        device, _ = second_factor.confirm_enrolment(user, f"{totp(pending.bin_key):06d}")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def api_token_headers(user: User) -> dict[str, str]:
    """Test-client headers that act as ``user`` through a new API token."""
    from tourdraw.api.models import ApiToken

    _, key = ApiToken.issue(user, "partner system")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def make_tour(site: Site | None = None, **fields: Any) -> Tour:
    site = site or make_site()
    defaults = {"code": "factory-tour", "name": "超级工厂参观", "name_en": "Factory tour"}
    return Tour.objects.create(site=site, **{**defaults, **fields})


def make_slots(tour: Tour, first_day: date, days: int = 1, capacity: int = 60) -> list[Slot]:
    return generate_slots(
        tour,
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
        times=[time(9, 30), time(13, 30)],
        capacity=capacity,
    )


def make_round(
    tour: Tour | None = None,
    *,
    code: str = "xiaomi-ev-round-1",
    slots: list[Slot] | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    open_now: bool = True,
) -> Round:
    tour = tour or make_tour()
    now = timezone.now()
    opens_at = opens_at or now - timedelta(hours=1)
    closes_at = closes_at or now + timedelta(days=2)
    round = Round.objects.create(
        tour=tour,
        code=code,
        title="第1轮",
        title_en="Round 1",
        opens_at=opens_at,
        closes_at=closes_at,
        draws_at=closes_at + timedelta(hours=1),
    )
    if slots is None:
        slots = make_slots(tour, timezone.localdate(now) + timedelta(days=10), days=2)
    RoundSlot.objects.bulk_create(RoundSlot(round=round, slot=slot) for slot in slots)
    if open_now:
        rounds.open_round(round, now=max(opens_at, now - timedelta(days=3650)))
    return round


def give_consent(visitor: Visitor) -> None:
    """The privacy notice and the sensitive-PI consent, as the profile page records them."""
    consent.give(
        visitor,
        version=consent.current_version(),
        notice=True,
        sensitive=True,
        now=timezone.now(),
    )


def make_visitor(
    phone: str = "+8613900000001",
    *,
    name: str = "王建国",
    birth_date: date = date(1985, 3, 14),
    sequence: int = 123,
) -> Visitor:
    user = User.objects.create_user(username=f"visitor-{secrets.token_hex(6)}")
    visitor = Visitor.objects.create(user=user, phone=phone)
    give_consent(visitor)
    save_profile(
        visitor,
        full_name=name,
        id_type="cn_resident",
        id_number=resident_id(birth_date, sequence=sequence),
        birth_date=None,
        today=timezone.localdate(),
    )
    return visitor


def make_party_entry(round: Round, number: int, party: int, choices: list[int]) -> Entry:
    """An entry of ``party`` persons by a fresh visitor (number keeps IDs unique)."""
    from tourdraw.lottery.entries import CompanionInput, enter_round

    visitor = make_visitor(
        f"+86137{number:08d}",
        sequence=number % 1000,
        name=f"访客{number}",
        birth_date=date(1980, 1, 1) + timedelta(days=number),
    )
    companions = [
        CompanionInput(
            full_name=f"同伴{number}-{k}",
            id_type="cn_resident",
            id_number=resident_id(date(1970, 1, 1) + timedelta(days=number * 3 + k), "310101", k),
        )
        for k in range(party - 1)
    ]
    return enter_round(round, visitor, choices=choices, companions=companions)


def drawn_round(
    capacity: int,
    placed: list[int],
    waiting: list[int],
    *,
    days_ahead: int = 10,
    group: GroupVisit | None = None,
) -> tuple[Round, Slot, list[Entry]]:
    """A round as a draw left it, with a chosen order: the ``placed`` parties hold
    pending offers in the slot, the ``waiting`` ones follow in that order; ``group``
    is approved in the slot before the round closes.

    Setting the order by hand (instead of searching for a seed) keeps waitlist
    tests about the waitlist rule, which reads only this state.
    """
    tour = make_tour()
    slot = generate_slots(
        tour,
        first_day=timezone.localdate() + timedelta(days=days_ahead),
        last_day=timezone.localdate() + timedelta(days=days_ahead),
        times=[time(9, 30)],
        capacity=capacity,
    )[0]
    round = make_round(tour, slots=[slot])
    entries = [
        make_party_entry(round, 1000 + n, party, [slot.pk])
        for n, party in enumerate(placed + waiting)
    ]
    if group is not None:
        group_services.approve_visit(group, slot=slot, actor=None)
    rounds.close_round(round, now=timezone.now())
    settle_draw(round, slot, entries, placed=len(placed))
    return round, slot, entries


def settle_draw(round: Round, slot: Slot, entries: list[Entry], *, placed: int) -> None:
    """Leave a closed round as a draw in the order of ``entries`` would: the
    first ``placed`` hold pending offers in ``slot``, the others wait."""
    from tourdraw.lottery.models import DrawOutcome
    from tourdraw.visits.models import Offer

    now = timezone.now()
    for position, entry in enumerate(entries, start=1):
        is_placed = position <= placed
        DrawOutcome.objects.create(
            round=round, entry=entry, position=position, slot=slot if is_placed else None
        )
        if is_placed:
            Offer.objects.create(
                entry=entry,
                slot=slot,
                persons=entry.party_size,
                source="draw",
                deadline=now + timedelta(days=2),
                created_at=now,
            )
    Round.objects.filter(pk=round.pk).update(state=Round.State.DRAWN, drawn_at=now)
    round.refresh_from_db()


def request_group(
    site: Site, size: int = 30, *, organisation: str = "港澳青年代表团", contact_email: str = ""
) -> GroupVisit:
    """An organised group's request for a visit to ``site``, not yet decided."""
    return group_services.request_visit(
        site,
        organisation=organisation,
        contact_name="陈老师",
        contact_phone="+85291234567",
        contact_email=contact_email,
        size=size,
        preferred_dates="July",
        purpose="Youth exchange",
    )
