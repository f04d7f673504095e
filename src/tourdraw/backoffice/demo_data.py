"""Demo data modelled on the real case: the Xiaomi EV factory's lottery, and
three other factories that run tours the same way.

Synthetic visitors enter through the same service as real ones, so every
demo entry has passed every rule.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from tourdraw.catalog import notices
from tourdraw.catalog.models import Site, Slot, Tour
from tourdraw.catalog.services import generate_slots
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import beacon, drawing, entries, rounds
from tourdraw.lottery.models import Round, RoundSlot
from tourdraw.people import consent, documents
from tourdraw.people.models import User, Visitor
from tourdraw.people.services import check_document, get_or_create_person
from tourdraw.visits import gate, offers
from tourdraw.visits.models import Offer, Ticket

# The express round closes this soon after the demo starts, so the worker alone
# takes it through close, beacon, draw and (offers lapsing) promotions.
EXPRESS_CLOSES_IN = timedelta(minutes=3)
# The operator's password in clear, beside keys.env, so each start can print it.
OPERATOR_FILE = "demo-operator.txt"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建文宇浩然子轩梓涵"
# Beijing districts, and other provinces' capitals, for plausible ID regions.
REGIONS = [
    "110101",
    "110105",
    "110108",
    "110115",
    "120101",
    "130102",
    "310101",
    "320102",
    "370102",
    "440103",
    "510104",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def resident_id(rng: random.Random, birth_date: date) -> str:
    first17 = f"{rng.choice(REGIONS)}{birth_date:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + documents.cn_check_character(first17)


def _birth_date(rng: random.Random, today: date, low: int, high: int) -> date:
    return today - timedelta(days=rng.randrange(low * 366, high * 365))


def _site(code: str, **fields: object) -> Site:
    site, _ = Site.objects.update_or_create(code=code, defaults=fields)
    return site


def _tour(site: Site, code: str, **fields: object) -> Tour:
    tour, _ = Tour.objects.update_or_create(site=site, code=code, defaults=fields)
    return tour


def _round(tour: Tour, code: str, slots: list[Slot], **fields: object) -> Round:
    round = Round.objects.create(tour=tour, code=code, **fields)
    RoundSlot.objects.bulk_create(RoundSlot(round=round, slot=slot) for slot in slots)
    return round


def _draw_with_fetched_beacon(round: Round) -> None:
    """Fetch the round's beacon from the configured relays (the demo's local
    chain) and draw it, as the worker does when its time comes."""
    fetched_at = datetime.fromtimestamp(beacon.beacon_time(round), UTC)
    if not beacon.fetch_for(round, now=max(fetched_at, round.draws_at)):
        round.refresh_from_db()
        raise RuntimeError(f"the demo's beacon could not be fetched: {round.beacon_error}")
    drawing.draw_round(round, now=max(fetched_at, round.draws_at))


def _visitor(rng: random.Random, number: int, today: date) -> Visitor:
    phone = f"+86139{number:08d}"
    user = User.objects.create_user(username=f"visitor-{number}", language="zh-hans")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    visitor = Visitor.objects.create(user=user, phone=phone)
    # Demo visitors have read the notice in force and agreed, as on the profile page.
    consent.give(
        visitor, version=consent.current_version(), notice=True, sensitive=True, now=timezone.now()
    )
    birth = _birth_date(rng, today, 20, 60)
    document = check_document("cn_resident", resident_id(rng, birth), None, today=today)
    get_or_create_person(visitor, full_name=_name(rng), document=document, is_self=True)
    return visitor


def _fill(round: Round, visitors: list[Visitor], rng: random.Random, *, at: datetime) -> int:
    """Enter each visitor with zero to two companions and one to three choices."""
    slot_ids = list(round.round_slots.values_list("slot_id", flat=True))
    today = timezone.localdate(at)
    for visitor in visitors:
        party = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 2])):
            adult = rng.random() < 0.6
            birth = _birth_date(rng, today, 18, 70) if adult else _birth_date(rng, today, 7, 16)
            party.append(
                entries.CompanionInput(
                    full_name=_name(rng),
                    id_type="cn_resident",
                    id_number=resident_id(rng, birth),
                    guardian=not adult,
                )
            )
        choices = rng.sample(slot_ids, k=min(len(slot_ids), rng.choice([1, 2, 3, 3])))
        entries.enter_round(round, visitor, choices=choices, companions=party, now=at)
    return len(visitors)


def _decide_offers(round: Round, rng: random.Random) -> int:
    """Most winners confirm (some on the phone), a few give up, so places go
    down the waitlist; the rest never answer and lapse."""
    confirmed = 0
    decided_at = round.draws_at + timedelta(hours=3)
    pending = Offer.objects.filter(entry__round=round, state=Offer.State.PENDING)
    for offer in pending.order_by("pk"):
        roll = rng.random()
        if roll < 0.8:
            via = Offer.Via.CALL if roll < 0.3 else Offer.Via.ONLINE
            offers.confirm_offer(offer, actor=None, accepted_rules=True, via=via, now=decided_at)
            confirmed += 1
        elif roll < 0.9:
            offers.decline_offer(offer, actor=None, now=decided_at)
    return confirmed


def _visit(round: Round, rng: random.Random) -> int:
    """Most confirmed parties came (a few without everyone); the rest are no-shows."""
    persons = 0
    for ticket in Ticket.objects.filter(
        offer__entry__round=round, state=Ticket.State.VALID
    ).select_related("offer__slot__tour__site"):
        if rng.random() < 0.1:
            continue
        slot = ticket.offer.slot
        members = list(ticket.offer.entry.members.values_list("pk", flat=True))
        if len(members) > 1 and rng.random() < 0.1:
            members = members[:-1]
        gate.check_in(
            ticket,
            members,
            slot=slot,
            gate="东门 East gate",
            staff=None,
            now=slot.starts_at - timedelta(minutes=rng.randrange(5, 50)),
        )
        persons += len(members)
    gate.mark_no_shows(timezone.now())
    return persons


def _delegation(site: Site, slot: Slot, rng: random.Random, *, at: datetime) -> GroupVisit:
    """The Hong Kong and Macao youth delegation: places kept before the draw."""
    delegation = group_services.request_visit(
        site,
        organisation="港澳青年代表团 Hong Kong and Macao youth delegation",
        contact_name="陈老师",
        contact_phone="+85291234567",
        size=30,
        preferred_dates="任意工作日",
        purpose="科技交流 Technology exchange",
        now=at - timedelta(days=5),
    )
    group_services.approve_visit(delegation, slot=slot, actor=None, now=at)
    today = timezone.localdate()
    members = "full_name,id_type,id_number,birth_date\n" + "".join(
        f"{_name(rng)},cn_resident,{resident_id(rng, _birth_date(rng, today, 18, 30))},\n"
        for _ in range(30)
    )
    group_services.upload_members(delegation, members)
    return delegation


def _waiting_groups(site: Site, future_slot: Slot) -> int:
    """A school waits for a decision; a study-tour company has places kept."""
    group_services.request_visit(
        site,
        organisation="北京市第一中学 Beijing No. 1 Middle School",
        contact_name="王老师",
        contact_phone="13800138000",
        size=40,
        preferred_dates="寒假 winter break",
        purpose="研学 Study tour",
    )
    company = group_services.request_visit(
        site,
        organisation="未来研学旅行社 Future Study Tours",
        contact_name="李经理",
        contact_phone="13900139000",
        size=20,
        preferred_dates="下周 next week",
        purpose="投资者考察 Investors' visit",
    )
    group_services.approve_visit(company, slot=future_slot, actor=None)
    return 2


class _Factory(NamedTuple):
    """One of the other factories: its site, its one tour, and that tour's sessions."""

    code: str
    site: dict[str, object]
    tour_code: str
    tour: dict[str, object]
    times: list[time]
    capacity: int


OTHER_SITES = [
    _Factory(
        "nio",
        {
            "name": "蔚来合肥先进制造基地",
            "name_en": "NIO Hefei Advanced Manufacturing Base",
            "address": "安徽省合肥市新桥科技创新示范区",
            "address_en": "Xinqiao Innovation Zone, Hefei, Anhui",
            "operator_name": "蔚来",
        },
        "neopark-tour",
        {
            "name": "智能制造参观",
            "name_en": "Smart manufacturing tour",
            "duration_minutes": 90,
            "min_age": 6,
            "max_companions": 2,
        },
        [time(10, 0), time(14, 0)],
        40,
    ),
    _Factory(
        "mengniu",
        {
            "name": "蒙牛乳业工业旅游基地",
            "name_en": "Mengniu Dairy Industrial Tourism Park",
            "address": "内蒙古呼和浩特市和林格尔县",
            "address_en": "Horinger County, Hohhot, Inner Mongolia",
            "operator_name": "蒙牛乳业",
        },
        "dairy-tour",
        {
            "name": "牧场到餐桌之旅",
            "name_en": "From pasture to table",
            "duration_minutes": 120,
            "min_age": 3,
            "max_companions": 3,
        },
        [time(9, 0), time(14, 30)],
        80,
    ),
    _Factory(
        "tsingtao",
        {
            "name": "青岛啤酒博物馆及生产线",
            "name_en": "Tsingtao Beer Museum and Brewery",
            "address": "山东省青岛市市北区登州路56号",
            "address_en": "56 Dengzhou Road, Shibei District, Qingdao, Shandong",
            "operator_name": "青岛啤酒",
        },
        "brewery-tour",
        {
            "name": "百年酿造之旅",
            "name_en": "A century of brewing",
            "duration_minutes": 90,
            "min_age": 6,
            "max_companions": 2,
        },
        [time(10, 0), time(15, 0)],
        50,
    ),
]
XIAOMI_TIMES = [time(9, 30), time(13, 30), time(15, 30)]

# What each demo site tells its visitors: (kind, Chinese, English), for every tour.
SITE_NOTICES: dict[str, list[tuple[str, str, str]]] = {
    "xiaomi-ev": [
        (
            "phones",
            "参观期间手机须装入密封袋，车间内禁止拍照。",
            "Phones are sealed in a bag for the whole tour; no photography in the workshops.",
        ),
        (
            "dress",
            "请穿着包头平底鞋，车间内不得穿凉鞋、拖鞋或高跟鞋。",
            "Wear closed, flat shoes: no sandals, slippers or high heels in the workshops.",
        ),
        (
            "documents",
            "每人携带报名时填写的身份证件原件，闸口逐一核验。",
            "Everyone brings the original of the ID document named in the entry; "
            "it is checked at the gate.",
        ),
    ],
    "nio": [
        (
            "phones",
            "生产区内禁止拍照和录像，手机请调至静音。",
            "No photos or video in the production area; set phones to silent.",
        ),
        (
            "documents",
            "请携带报名时填写的身份证件原件。",
            "Bring the original of the ID document named in the entry.",
        ),
    ],
    "mengniu": [
        (
            "dress",
            "牧场参观请穿平底鞋；进入生产区须穿戴鞋套和发帽。",
            "Wear flat shoes on the farm; shoe covers and a hair net are worn in production.",
        ),
        (
            "documents",
            "请携带报名时填写的身份证件原件。",
            "Bring the original of the ID document named in the entry.",
        ),
    ],
    "tsingtao": [
        (
            "other",
            "未满18岁的参观者不参加品酒环节。",
            "Visitors under 18 do not take part in the tasting.",
        ),
        (
            "documents",
            "请携带报名时填写的身份证件原件。",
            "Bring the original of the ID document named in the entry.",
        ),
    ],
}


@dataclass
class _Xiaomi:
    """The Xiaomi tour, its past and open rounds, and the slots the story uses."""

    tour: Tour
    past: Round
    current: Round
    past_slots: list[Slot]
    open_slots: list[Slot]


@transaction.atomic
def load(*, now: datetime | None = None, entrants: int = 300) -> dict[str, int]:
    now = now or timezone.now()
    rng = random.Random(20260120)  # the same demo every time
    today = timezone.localdate(now)
    xiaomi = _xiaomi_rounds(_xiaomi_tour(), now=now, today=today)
    others = [_other_round(factory, now=now, today=today) for factory in OTHER_SITES]
    express = _express_round(xiaomi.tour, now=now, today=today)
    _site_notices()
    visitors = [_visitor(rng, number, today) for number in range(entrants + 160)]
    return _play(xiaomi, others, express, visitors, rng, now=now, entrants=entrants)


def _site_notices() -> None:
    """Each demo site's notices, written once (as an operator would) and kept."""
    for site in Site.objects.filter(code__in=SITE_NOTICES, notices__isnull=True):
        for order, (kind, text, text_en) in enumerate(SITE_NOTICES[site.code]):
            notices.add_notice(
                site, notices.NoticeText(kind, text, text_en, order=order), actor=None
            )


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


def _xiaomi_tour() -> Tour:
    xiaomi = _site(
        "xiaomi-ev",
        name="小米汽车超级工厂",
        name_en="Xiaomi EV Factory",
        address="北京市北京经济技术开发区",
        address_en="Beijing Economic-Technological Development Area (E-Town), Beijing",
        operator_name="小米汽车",
        rules="参观期间手机需装入密封袋，车间内禁止拍照。",
        rules_en="Phones are sealed in pouches during the visit; no photography in the workshops.",
    )
    return _tour(
        xiaomi,
        "factory-tour",
        name="超级工厂参观",
        name_en="Factory tour",
        description="乘坐观光车参观压铸、冲压、车身车间，参观展厅，试驾，并在员工餐厅用餐。",
        description_en=(
            "A tour bus through the die-casting, stamping and body shops, then the "
            "exhibition hall, a test drive and a cafeteria meal."
        ),
        duration_minutes=150,
        rules="每位参观者须携带身份证件原件；儿童须年满6周岁；不得替换同行人员。",
        rules_en=(
            "Everyone brings their original ID document; children must be at least 6; "
            "no substitutions."
        ),
    )


def _xiaomi_slots(tour: Tour, first: date, last: date) -> list[Slot]:
    return generate_slots(tour, first_day=first, last_day=last, times=XIAOMI_TIMES, capacity=60)


def _xiaomi_rounds(tour: Tour, *, now: datetime, today: date) -> _Xiaomi:
    # The past round was oversubscribed, as the real ones are: 400 parties for
    # six sessions of 60, so its results show a waitlist.
    past_slots = _xiaomi_slots(tour, today - timedelta(days=2), today - timedelta(days=1))
    open_slots = _xiaomi_slots(tour, today + timedelta(days=7), today + timedelta(days=20))
    next_slots = _xiaomi_slots(tour, today + timedelta(days=21), today + timedelta(days=34))
    past = _round(
        tour,
        f"xiaomi-ev-{today - timedelta(days=2):%Y-%m-%d}",
        past_slots,
        title="工厂参观第1轮抽签",
        title_en="Factory tour, round 1",
        opens_at=_at(today - timedelta(days=30), 10),
        closes_at=_at(today - timedelta(days=23), 10),
        draws_at=_at(today - timedelta(days=23), 12),
    )
    current = _round(
        tour,
        f"xiaomi-ev-{today + timedelta(days=7):%Y-%m-%d}",
        open_slots,
        title="工厂参观第2轮抽签",
        title_en="Factory tour, round 2",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=3),
        draws_at=now + timedelta(days=3, hours=1),
    )
    _round(
        tour,
        f"xiaomi-ev-{today + timedelta(days=21):%Y-%m-%d}",
        next_slots,
        title="工厂参观第3轮抽签（寒假加场）",
        title_en="Factory tour, round 3 (winter break)",
        opens_at=now + timedelta(days=7),
        closes_at=now + timedelta(days=12),
        draws_at=now + timedelta(days=12, hours=1),
    )
    return _Xiaomi(tour, past, current, past_slots, open_slots)


def _other_round(factory: _Factory, *, now: datetime, today: date) -> Round:
    tour = _tour(_site(factory.code, **factory.site), factory.tour_code, **factory.tour)
    slots = generate_slots(
        tour,
        first_day=today + timedelta(days=10),
        last_day=today + timedelta(days=16),
        times=factory.times,
        capacity=factory.capacity,
    )
    return _round(
        tour,
        f"{factory.code}-{today + timedelta(days=10):%Y-%m-%d}",
        slots,
        title=f"{tour.name} 抽签",
        title_en=f"{tour.name_en}: lottery",
        opens_at=now - timedelta(hours=6),
        closes_at=now + timedelta(days=4),
        draws_at=now + timedelta(days=4, hours=1),
    )


def _express_round(tour: Tour, *, now: datetime, today: date) -> Round:
    return _round(
        tour,
        f"xiaomi-ev-express-{today + timedelta(days=5):%Y-%m-%d}",
        generate_slots(
            tour,
            first_day=today + timedelta(days=5),
            last_day=today + timedelta(days=6),
            times=[time(11, 0)],
            capacity=10,
        ),
        title="工厂参观加急轮（演示：几分钟内完成）",
        title_en="Factory tour, express round (demo: done in minutes)",
        opens_at=now - timedelta(hours=1),
        closes_at=now + EXPRESS_CLOSES_IN,
        # Drawn once the beacon round (10 minutes after the close) is out.
        draws_at=now + EXPRESS_CLOSES_IN + timedelta(minutes=11),
        confirm_window=timedelta(minutes=15),
    )


def _play(
    xiaomi: _Xiaomi,
    others: list[Round],
    express: Round,
    visitors: list[Visitor],
    rng: random.Random,
    *,
    now: datetime,
    entrants: int,
) -> dict[str, int]:
    """The rounds' story so far, through the services: entries, draws, visits."""
    past, past_slots = xiaomi.past, xiaomi.past_slots
    site = xiaomi.tour.site
    counts = {}
    rounds.open_round(past, now=past.opens_at)
    counts["past"] = _fill(past, visitors[:400], rng, at=past.opens_at + timedelta(hours=2))
    # The delegation's places are kept before the round closes: its closing
    # statement publishes the capacity left to the lottery.
    delegation = _delegation(site, past_slots[-1], rng, at=past.closes_at - timedelta(hours=1))
    rounds.close_round(past, now=past.closes_at)
    _draw_with_fetched_beacon(past)
    counts["past_confirmed"] = _decide_offers(past, rng)
    rounds.open_round(xiaomi.current, now=now)
    counts["current"] = _fill(xiaomi.current, visitors[:entrants], rng, at=now)
    for index, other in enumerate(others):
        rounds.open_round(other, now=now)
        batch = visitors[entrants + index * 40 : entrants + (index + 1) * 40]
        counts[other.code] = _fill(other, batch, rng, at=now)
    rounds.open_round(express, now=express.opens_at)
    counts["express"] = _fill(express, visitors[entrants + 120 :], rng, at=now)
    # The past round's visits happened after these entries were made: its
    # no-shows are barred from rounds opening later.
    counts["past_visitors"] = _visit(past, rng) + group_services.check_in_members(
        delegation,
        list(delegation.members.values_list("pk", flat=True)),
        slot=past_slots[-1],
        gate="东门 East gate",
        staff=None,
        now=past_slots[-1].starts_at - timedelta(minutes=20),
    )
    counts["groups_waiting"] = _waiting_groups(site, xiaomi.open_slots[4])
    return counts


def _kept_password(path: Path) -> str:
    """The password kept in ``path``; made and written (owner-only) on first use."""
    password = path.read_text("utf-8").strip() if path.exists() else ""
    if not password:
        password = secrets.token_urlsafe(12)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(password + "\n", "utf-8")
    return password


def operator_account(data_dir: Path) -> tuple[User, str]:
    """The demo's operator and its password, the same on every start.

    The password is made once and kept in ``data_dir`` (like keys.env); the
    account's hash is set only when it does not match, so a restart neither
    asks for a new password nor signs anyone out (a new hash ends every session).
    """
    password = _kept_password(data_dir / OPERATOR_FILE)
    operator = User.objects.filter(username="operator").first()
    if operator is None:
        operator = User.objects.create_superuser("operator", password=password)
    elif not operator.check_password(password):
        operator.set_password(password)
        operator.save(update_fields=["password"])
    return operator, password
