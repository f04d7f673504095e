"""A visitor's e-mail address and a group contact's: checked, encrypted at rest,
shown masked, in the data export, erased with the account."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.audit.models import LogEntry
from tourdraw.errors import Code
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupVisit
from tourdraw.people import rights
from tourdraw.people import services as people_services
from tourdraw.people.models import Visitor

ADDRESS = "wang.jianguo@example.com"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_it_keeps_the_address_encrypted_and_reads_it_back(visitor: Visitor) -> None:
    people_services.set_email(visitor, f"  {ADDRESS} ")
    raw = _raw("people_visitor", "email", visitor.pk)
    assert ADDRESS not in raw and "example" not in raw and raw != ""
    assert Visitor.objects.get(pk=visitor.pk).email == ADDRESS
    entry = LogEntry.objects.get(action="tourdraw.visitor.email_changed")
    assert ADDRESS not in json.dumps(entry.data) and entry.data == {"given": True}


@pytest.mark.parametrize("bad", ["wang", "wang@", "wang@example", "王@例子", "a b@example.com"])
def test_it_refuses_a_malformed_address_with_a_specific_message(visitor: Visitor, bad: str) -> None:
    with pytest.raises(people_services.PersonError) as refused:
        people_services.set_email(visitor, bad)
    assert refused.value.code == Code.EMAIL_INVALID and refused.value.field == "email"
    assert "name@example.com" in str(refused.value.message)
    assert Visitor.objects.get(pk=visitor.pk).email == ""


def test_it_refuses_an_address_longer_than_smtp_takes(visitor: Visitor) -> None:
    with pytest.raises(people_services.PersonError) as refused:
        people_services.set_email(visitor, "a" * 250 + "@example.com")
    assert refused.value.code == Code.TOO_LONG


def test_an_empty_address_removes_it(visitor: Visitor) -> None:
    people_services.set_email(visitor, ADDRESS)
    people_services.set_email(visitor, "  ")
    assert Visitor.objects.get(pk=visitor.pk).email == ""


def test_the_profile_shows_the_address_masked_and_the_form_says_what_is_wrong(
    client: Client, visitor: Visitor
) -> None:
    client.force_login(visitor.user)
    refused = client.post(reverse("web:email"), {"email": "wang@example"})
    assert refused.status_code == 200
    assert "Enter a whole e-mail address, such as name@example.com." in refused.content.decode()
    saved = client.post(reverse("web:email"), {"email": ADDRESS})
    assert saved.status_code == 302 and saved["Location"] == reverse("web:profile")
    profile = client.get(reverse("web:profile")).content.decode()
    assert "w•••@example.com" in profile and ADDRESS not in profile


def test_the_email_page_reads_in_chinese(client: Client, visitor: Visitor) -> None:
    client.force_login(visitor.user)
    html = client.post(
        reverse("web:email"), {"email": "wang@"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "电子邮件地址" in html and "name@example.com" in html
    assert "Enter a whole e-mail address" not in html


def test_the_address_is_in_the_export_and_erased_with_the_account(visitor: Visitor) -> None:
    people_services.set_email(visitor, ADDRESS)
    assert rights.export_data(visitor)["visitor"]["email"] == ADDRESS
    rights.delete_account(visitor, now=timezone.now())
    assert Visitor.objects.get(pk=visitor.pk).email == ""
    assert _raw("people_visitor", "email", visitor.pk) == ""


def test_the_web_download_holds_the_address(client: Client, visitor: Visitor) -> None:
    people_services.set_email(visitor, ADDRESS)
    client.force_login(visitor.user)
    data = json.loads(client.get(reverse("web:my_data") + "?download=1").content)
    assert data["visitor"]["email"] == ADDRESS


def _group(email: str) -> GroupVisit:
    return support.request_group(support.make_site(), 20, contact_email=email)


def test_a_group_contacts_address_is_checked_and_encrypted(db: None) -> None:
    group = _group(" chen@school.example.hk ")
    assert GroupVisit.objects.get(pk=group.pk).contact_email == "chen@school.example.hk"
    assert "school" not in _raw("groups_groupvisit", "contact_email", group.pk)
    with pytest.raises(group_services.GroupError) as refused:
        _group("chen at school")
    assert refused.value.code == Code.EMAIL_INVALID and refused.value.field == "contact_email"


def test_the_group_request_page_says_what_is_wrong_with_the_address(
    client: Client, db: None
) -> None:
    site = support.make_site()
    response = client.post(
        reverse("web:group_request", args=[site.code]),
        {
            "organisation": "港澳青年代表团",
            "contact_name": "陈老师",
            "contact_phone": "+85291234567",
            "contact_email": "chen@",
            "size": "20",
            "preferred_dates": "July",
            "purpose": "Youth exchange",
        },
    )
    assert response.status_code == 200
    assert "Enter a whole e-mail address" in response.content.decode()
    assert not GroupVisit.objects.exists()


def test_a_contact_email_given_before_it_was_sealed_is_encrypted_by_the_migration(
    transactional_db: None,
) -> None:
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("groups", "0004_i13_erasure")])
    apps = (
        MigrationExecutor(connection)
        .loader.project_state(
            [("groups", "0004_i13_erasure"), *[leaf for leaf in leaves if leaf[0] != "groups"]]
        )
        .apps
    )
    site = apps.get_model("catalog", "Site").objects.create(
        code="old", name="厂", address="北京", operator_name="厂"
    )
    old = apps.get_model("groups", "GroupVisit").objects.create(
        site=site,
        organisation="学校",
        contact_name="陈老师",
        contact_phone="+85291234567",
        contact_email="chen@school.example.hk",
        size=5,
        preferred_dates="July",
        purpose="study",
        code="oldgroup",
        created_at=timezone.now(),
    )
    MigrationExecutor(connection).migrate(leaves)
    assert "school" not in _raw("groups_groupvisit", "contact_email", old.pk)
    assert GroupVisit.objects.get(pk=old.pk).contact_email == "chen@school.example.hk"
