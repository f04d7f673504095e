"""Opening and closing a round: a refused transition raises a RoundError with
its own code, changes nothing, and every caller shows the service's message."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import support
from tests.concurrency import at_once
from tourdraw.audit.models import LogEntry
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Round


def _closed(round: Round) -> Round:
    return rounds.close_round(round, now=timezone.now())


def test_opening_an_open_round_is_refused_as_already_open(round: Round) -> None:
    with pytest.raises(rounds.RoundError) as error:
        rounds.open_round(round, now=timezone.now())
    assert error.value.code == "round_already_open"
    assert round.code in str(error.value.message)
    assert LogEntry.objects.filter(action="tourdraw.round.opened").count() == 1


def test_opening_a_round_before_its_opening_time_is_refused(db: None) -> None:
    opens_at = timezone.now() + timedelta(days=1)
    round = support.make_round(
        opens_at=opens_at, closes_at=opens_at + timedelta(days=2), open_now=False
    )
    with pytest.raises(rounds.RoundError) as error:
        rounds.open_round(round, now=timezone.now())
    assert (error.value.code, error.value.field) == ("round_not_due", "opens_at")
    round.refresh_from_db()
    assert (round.state, round.commitment) == (Round.State.SCHEDULED, "")
    assert not LogEntry.objects.filter(action="tourdraw.round.opened").exists()


def test_a_closed_round_does_not_open_again(round: Round) -> None:
    commitment = _closed(round).commitment
    with pytest.raises(rounds.RoundError) as error:
        rounds.open_round(round, now=timezone.now())
    assert error.value.code == "round_not_scheduled"
    round.refresh_from_db()
    assert (round.state, round.commitment) == (Round.State.CLOSED, commitment)


def test_closing_a_round_that_has_not_opened_is_refused(db: None) -> None:
    round = support.make_round(open_now=False)
    with pytest.raises(rounds.RoundError) as error:
        rounds.close_round(round, now=timezone.now())
    assert error.value.code == "round_not_open"
    assert Round.objects.get(pk=round.pk).state == Round.State.SCHEDULED


def test_closing_a_closed_round_is_refused_and_seals_nothing_twice(round: Round) -> None:
    _closed(round)
    with pytest.raises(rounds.RoundError) as error:
        rounds.close_round(round, now=timezone.now())
    assert error.value.code == "round_already_closed"
    assert "already closed" in str(error.value.message)
    assert LogEntry.objects.filter(action="tourdraw.round.closed").count() == 1


def test_the_due_duties_count_only_the_rounds_they_changed(db: None) -> None:
    now = timezone.now()
    support.make_round(opens_at=now - timedelta(minutes=1), open_now=False)
    assert rounds.open_due_rounds(now) == 1
    assert rounds.open_due_rounds(now) == 0
    assert rounds.close_due_rounds(now + timedelta(days=3)) == 1
    assert rounds.close_due_rounds(now + timedelta(days=3)) == 0


def test_two_workers_closing_at_once_close_the_round_once(transactional_db: None) -> None:
    round = support.make_round()
    later = round.closes_at + timedelta(minutes=1)
    closed, failures = at_once(lambda: rounds.close_due_rounds(later))
    assert failures == []
    assert sorted(closed) == [0, 1]
    assert LogEntry.objects.filter(action="tourdraw.round.closed").count() == 1


def test_the_round_page_shows_why_it_cannot_be_closed(client: Client, round: Round) -> None:
    _closed(round)
    support.sign_in_staff(client, support.make_staff("op", "site_operator", round.tour.site))
    page = client.post(
        reverse("backoffice:round_action", args=[round.pk]), {"action": "close"}, follow=True
    )
    assert page.status_code == 200
    assert f"Round {round.code} is already closed; only an open round can be closed." in (
        page.content.decode()
    )


def test_the_api_answers_400_with_the_services_code(client: Client, round: Round) -> None:
    _closed(round)
    operator = support.make_staff("op", "site_operator", round.tour.site)
    token = support.api_token_headers(operator)["HTTP_AUTHORIZATION"]
    response = client.post(f"/api/v1/operator/rounds/{round.code}/close", HTTP_AUTHORIZATION=token)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("round_already_closed", "state")
    assert round.code in body["message"]


def test_the_close_command_exits_with_the_services_message(round: Round) -> None:
    _closed(round)
    with pytest.raises(CommandError) as error:
        call_command("close", round.code)
    assert str(error.value) == (
        f"Round {round.code} is already closed; only an open round can be closed."
    )
