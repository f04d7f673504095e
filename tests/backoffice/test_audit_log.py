"""The audit log reads in words: each event a sentence with a link to its
object, what it changed before and after, and never a Python repr."""

from datetime import time, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.audit import changes
from tourdraw.audit.services import log_action
from tourdraw.backoffice.planning import week_code
from tourdraw.catalog.services import generate_slots
from tourdraw.groups import services as group_services
from tourdraw.lottery import rounds
from tourdraw.people.models import User
from tourdraw.visits import calls
from tourdraw.visits.cancellation import cancel_slot
from tourdraw.visits.models import Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client: Client) -> User:
    user = support.make_staff("op-1", "site_operator", support.make_site())
    support.sign_in_staff(client, user)
    return user


def _page(client: Client, query: str = "") -> str:
    response = client.get(f"{reverse('backoffice:audit')}{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "{&#x27;" not in html and "{'" not in html and "datetime." not in html
    return html


def _row(html: str, text: str) -> str:
    """The table row holding ``text``."""
    found = [row for row in html.split("<tr><td><time")[1:] if text in row]
    assert found, text
    return found[0]


def test_an_operator_closing_a_round_early_reads_as_a_sentence_with_the_state_change(
    client: Client, operator: User
) -> None:
    round = support.make_round(support.make_tour(support.make_site()))
    rounds.close_round(round, now=timezone.now(), actor=operator)
    row = _row(_page(client), "closed round")
    link = f'<a href="{reverse("backoffice:round", args=[round.pk])}">{round.code}</a>'
    assert f"op-1 closed round {link} early; 0 entries are frozen." in row
    assert '<th scope="row">state</th><td>open for entries</td><td>closed</td>' in row


def test_a_call_centre_outcome_names_the_entry_and_links_to_it(
    client: Client, operator: User
) -> None:
    _round, _slot, entries = support.drawn_round(10, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    calls.record_call(offer, agent=operator, outcome="no_answer")
    html = _page(client, "?action=tourdraw.offer")
    history = f"{reverse('backoffice:audit')}?object_type=visits.offer&amp;object_id={offer.pk}"
    assert (
        f"Call centre (op-1) recorded “no answer” for entry "
        f'<a href="{history}">{entries[0].code}</a>.'
    ) in html
    assert "closed round" not in html


def test_a_cancelled_session_links_to_its_week_and_a_group_to_its_page(
    client: Client, operator: User
) -> None:
    site = support.make_site()
    day = timezone.localdate() + timedelta(days=20)
    slot = generate_slots(
        support.make_tour(site), first_day=day, last_day=day, times=[time(10)], capacity=40
    )[0]
    group = support.request_group(site, 10, organisation="Beijing No. 4 School")
    group_services.approve_visit(group, slot=slot, actor=operator)
    cancel_slot(slot, reason="Storm warning", actor=operator)
    html = _page(client)
    week = f"{reverse('backoffice:planning')}?week={week_code(day)}#slot-{slot.pk}"
    assert (
        f'op-1 cancelled session <a href="{week}">Factory tour {slot.label}</a>: “Storm warning”.'
        in html
    )
    cancelled = _row(html, "cancelled session")
    assert "<td>planned</td><td>cancelled</td>" in cancelled
    assert "<dt>groups released</dt><dd>1</dd>" in cancelled
    group_url = reverse("backoffice:group", args=[group.pk])
    group_link = f'<a href="{group_url}">#{group.pk} Beijing No. 4 School</a>'
    assert f"op-1 approved group visit {group_link} for 10 persons." in html
    assert "<td>requested</td><td>approved</td>" in _row(html, "approved group visit")


def test_an_admin_change_shows_before_and_after_and_withholds_personal_data(
    client: Client, operator: User
) -> None:
    site = support.make_site()
    group = support.request_group(site, 10, organisation="Old name")
    before = changes.snapshot(group)
    group.organisation = "New name"
    group.contact_name = "王小明"
    group.save()
    changes.record("changed", group, actor=operator, before=before, after=changes.snapshot(group))
    row = _row(_page(client), "in the admin")
    assert f'op-1 changed <a href="{reverse("backoffice:group", args=[group.pk])}">' in row
    assert '<th scope="row">organisation</th><td>Old name</td><td>New name</td>' in row
    assert '<th scope="row">contact_name</th><td>withheld</td><td>withheld</td>' in row
    assert "王小明" not in row and "陈老师" not in row


def test_times_and_lists_in_an_events_data_are_spelled_out(client: Client, operator: User) -> None:
    round = support.make_round(support.make_tour(support.make_site()))
    log_action(
        "tourdraw.round.slots_added",
        round,
        actor=operator,
        data={"slots": [4, 5], "at": "2026-01-20T09:30:00+08:00", "extra": {"a": 1}},
    )
    row = _row(_page(client), "sessions to round")
    assert "op-1 added 2 sessions to round" in row
    assert "<dt>sessions</dt><dd>4, 5</dd>" in row
    assert "<dt>extra</dt><dd>a: 1</dd>" in row
    assert "T09:30:00" not in row


def test_the_log_filters_by_date_and_type_through_a_form_and_pages(
    client: Client, operator: User
) -> None:
    round = support.make_round(support.make_tour(support.make_site()))
    for n in range(55):
        log_action("tourdraw.round.slots_added", round, actor=operator, data={"slots": [n]})
    first = _page(client, "?action=tourdraw.round.slots_added")
    assert first.count("sessions to round") == 50
    assert "Page 1 of 2 (55 events)" in first
    assert "page=2" in first
    second = _page(client, "?action=tourdraw.round.slots_added&page=2")
    assert second.count("sessions to round") == 5
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "sessions to round" not in _page(client, f"?date_to={yesterday}")
    assert _page(client, f"?date_from={yesterday}").count("sessions to round") == 50
    bad = client.get(reverse("backoffice:audit") + "?date_from=yesterday")
    assert bad.status_code == 400
    assert "From: Write the first day as YYYY-MM-DD." in bad.content.decode()


def test_another_sites_events_are_not_listed(client: Client, operator: User) -> None:
    other = support.make_tour(support.make_site("nio", name="蔚来"), code="nio-tour")
    round = support.make_round(other, code="nio-round")
    rounds.close_round(round, now=timezone.now(), actor=None)
    assert "nio-round" not in _page(client)


def test_the_sentences_read_in_chinese_too(client: Client, operator: User) -> None:
    round = support.make_round(support.make_tour(support.make_site()))
    rounds.close_round(round, now=timezone.now(), actor=operator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("backoffice:audit")).content.decode()
    link = f'<a href="{reverse("backoffice:round", args=[round.pk])}">{round.code}</a>'
    assert f"op-1 提前截止了抽签轮次 {link} 的报名；0 份报名已冻结。" in html
    assert "<td>报名中</td><td>报名已截止</td>" in html


def test_how_a_place_was_confirmed_reads_in_the_readers_language(
    client: Client, operator: User
) -> None:
    _round, _slot, entries = support.drawn_round(2, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    log_action("tourdraw.offer.confirmed", offer, actor=operator, data={"via": "call"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = _page(client)
    assert "（电话）" in html or "(电话)" in html
    assert "(call)" not in html and "（call）" not in html
