"""The i13 migrations convert rows written before them: birth dates sealed, masks
cut to the tail, phones and recipients encrypted, user names freed of phones."""

from datetime import date

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.support import resident_id
from tourdraw.people import crypto

BEFORE = [
    ("people", "0002_staff_roles"),
    ("groups", "0001_initial"),
    ("notify", "0002_outbox_one_due_index"),
]
NUMBER = resident_id(date(1985, 3, 14), "110105", 421)
PHONE = "+8613912345678"


def _migrate(targets):
    """Migrate to ``targets``; the models as they are then, every other app at its latest."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    named = {app for app, _ in targets}
    others = [leaf for leaf in loader.graph.leaf_nodes() if leaf[0] not in named]
    return loader.project_state([*targets, *others]).apps


def _old_rows(apps) -> None:
    now = timezone.now()
    user = apps.get_model("people", "User").objects.create(username=f"visitor-{PHONE}")
    visitor = apps.get_model("people", "Visitor").objects.create(user=user, phone=PHONE)
    apps.get_model("people", "Person").objects.create(
        owner=visitor,
        is_self=True,
        full_name="王建国",
        id_type="cn_resident",
        id_number=NUMBER,
        id_hash=crypto.id_hash("cn_resident", NUMBER),
        id_masked="110105********0421",
        birth_date=date(1985, 3, 14),
    )
    apps.get_model("people", "SignInCode").objects.create(
        phone=PHONE, code_hash="x" * 64, created_at=now, expires_at=now
    )
    site = apps.get_model("catalog", "Site").objects.create(
        code="old", name="厂", address="北京", operator_name="厂"
    )
    group = apps.get_model("groups", "GroupVisit").objects.create(
        site=site,
        organisation="学校",
        contact_name="陈老师",
        contact_phone=PHONE,
        size=5,
        preferred_dates="July",
        purpose="study",
        code="oldgroup",
        created_at=now,
    )
    apps.get_model("groups", "GroupMember").objects.create(
        group=group,
        position=0,
        full_name="学生",
        id_type="passport",
        id_number="E73920481",
        id_hash=crypto.id_hash("passport", "E73920481"),
        id_masked="E7*****81",
        birth_date=date(2005, 1, 5),
    )
    apps.get_model("notify", "OutboxMessage").objects.create(
        kind="sms",
        to=PHONE,
        body="hello",
        language="zh-hans",
        topic="test",
        next_attempt_at=now,
        created_at=now,
    )


def _raw_text() -> str:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows += [" | ".join(map(str, row)) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_existing_rows_are_converted(transactional_db):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _old_rows(_migrate(BEFORE))
    assert "1985-03-14" in _raw_text() and PHONE in _raw_text()

    _migrate(leaves)
    from tourdraw.groups.models import GroupMember, GroupVisit
    from tourdraw.notify.models import OutboxMessage
    from tourdraw.people.models import Person, SignInCode, Visitor

    person = Person.objects.get()
    assert (person.birth_date, person.id_number, person.id_masked) == (
        date(1985, 3, 14),
        NUMBER,
        "******" + NUMBER[-4:],
    )
    visitor = Visitor.objects.get()
    assert visitor.phone == PHONE and visitor.phone_hash == crypto.phone_hash(PHONE)
    assert PHONE not in visitor.user.username
    assert not SignInCode.objects.exists()  # pending codes are asked for again
    member = GroupMember.objects.get()
    assert (member.birth_date, member.id_masked) == (date(2005, 1, 5), "******481")
    assert GroupVisit.objects.get().contact_phone == PHONE
    assert OutboxMessage.objects.get().to == PHONE
    text = _raw_text()
    assert "1985-03-14" not in text and "2005-01-05" not in text
    assert PHONE not in text and PHONE[3:] not in text and "110105*" not in text
