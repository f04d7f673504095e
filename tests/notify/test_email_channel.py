"""E-mail as a channel: a notice texted to a visitor who gave an address is
e-mailed too, written to the outbox with the change, and the relay delivers it
through Django's mail backend (memory in tests, files in development), retrying
when the mail server refuses."""

import re
import smtplib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

import tourdraw
from tests import support
from tests.test_production_settings import _production_env, _run
from tourdraw.groups import services as group_services
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Entry
from tourdraw.notify import outbox
from tourdraw.notify.models import OutboxMessage
from tourdraw.people import services as people_services
from tourdraw.people.models import Visitor
from tourdraw.visits import offers
from tourdraw.visits.models import Offer

EMAIL_CHANNEL = "tourdraw.notify.channels.EmailChannel"
_CJK = re.compile(r"[\u4e00-\u9fff]")


class RefusingBackend(BaseEmailBackend):
    """A mail server that hangs up, as smtplib reports it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def by_email(db: None, settings: Settings) -> None:
    """E-mail goes through the real channel and Django's memory backend; SMS and
    calls stay with the test's memory channel."""
    settings.TOURDRAW_CHANNELS = {**settings.TOURDRAW_CHANNELS, "email": EMAIL_CHANNEL}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _pending(entry: Entry) -> Offer:
    return Offer.objects.select_related("entry__visitor__user", "slot__tour__site").get(
        entry=entry, state=Offer.State.PENDING
    )


def _promoted_in_chinese() -> Offer:
    """A drawn round whose first winner declines: the waiting party, a Chinese
    visitor with an address, is offered the place."""
    _round, _slot, (winner, waiting) = support.drawn_round(2, [2], [2])
    visitor = waiting.visitor
    visitor.user.language = "zh-hans"
    visitor.user.save(update_fields=["language"])
    people_services.set_email(visitor, "li@example.cn")
    offers.decline_offer(_pending(winner), actor=None)
    return _pending(waiting)


def test_an_offer_is_emailed_in_chinese_and_the_relay_delivers_it(
    by_email: None, sent: list[object]
) -> None:
    offer = _promoted_in_chinese()
    made = OutboxMessage.objects.filter(topic="offer.made", object_id=str(offer.pk))
    assert sorted(made.values_list("kind", flat=True)) == ["email", "sms", "voice"]
    email = made.get(kind="email")
    assert (email.to, email.language, email.state) == ("li@example.cn", "zh-hans", "pending")
    assert outbox.relay_due(timezone.now()) >= 3
    delivered = [m for m in mail.outbox if m.to == ["li@example.cn"]]
    assert len(delivered) == 1
    assert delivered[0].subject == "tourdraw：您有名额，请确认"
    assert delivered[0].body == email.body and _CJK.search(delivered[0].body)
    assert offer.entry.code in delivered[0].body
    assert delivered[0].extra_headers["X-Tourdraw-Message"] == str(email.pk)
    assert OutboxMessage.objects.get(pk=email.pk).state == OutboxMessage.State.SENT


def test_a_visitor_without_an_address_gets_no_email(by_email: None) -> None:
    _round, _slot, (winner, _waiting) = support.drawn_round(2, [2], [2])
    offers.decline_offer(_pending(winner), actor=None)
    assert OutboxMessage.objects.filter(topic="offer.made").exists()
    assert not OutboxMessage.objects.filter(kind="email").exists()


def test_every_draw_winner_with_an_address_is_emailed_in_their_language(
    by_email: None,
) -> None:
    round = support.make_round(code="email-draw")
    slot = round.slots.first()
    assert slot is not None
    entries = [support.make_party_entry(round, n, 1, [slot.pk]) for n in (1, 2, 3)]
    english, chinese = entries[1].visitor, entries[2].visitor
    english.user.language = "en"
    english.user.save(update_fields=["language"])
    people_services.set_email(english, "second@example.com")
    people_services.set_email(chinese, "third@example.cn")
    rounds.close_round(round, now=timezone.now())
    support.draw_with_beacon(round)
    emails = {m.to: m for m in OutboxMessage.objects.filter(kind="email")}
    assert set(emails) == {"second@example.com", "third@example.cn"}
    first = emails["second@example.com"]
    offer = Offer.objects.get(entry=entries[1])
    assert (first.topic, first.object_id) == ("offer.made", str(offer.pk))
    assert first.subject == "tourdraw: you have a place, confirm it"
    assert emails["third@example.cn"].subject == "tourdraw：您有名额，请确认"
    # The draw ran at its beacon's time, which may be a little ahead of the clock.
    outbox.relay_due(first.next_attempt_at)
    delivered = {m.to[0]: m for m in mail.outbox}
    assert set(delivered) == {"second@example.com", "third@example.cn"}
    assert entries[1].code in delivered["second@example.com"].body
    assert _CJK.search(str(delivered["third@example.cn"].body))


def test_the_file_backend_writes_each_email_to_a_file(
    by_email: None, settings: Settings, tmp_path: Path, visitor: Visitor
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    people_services.set_email(visitor, "wang@example.com")
    message = outbox.enqueue_with_email(
        "sms",
        str(visitor.phone),
        visitor.email,
        "tourdraw: your ticket is ready.",
        subject="tourdraw: your ticket",
        topic="ticket.issued",
        language="en",
    )[1]
    assert outbox.deliver(message.pk)
    written = [path.read_text(encoding="utf-8") for path in tmp_path.iterdir()]
    assert len(written) == 1
    assert "To: wang@example.com" in written[0]
    assert "Subject: tourdraw: your ticket" in written[0]
    assert "tourdraw: your ticket is ready." in written[0]


def test_a_refused_email_is_retried_by_the_relay(by_email: None, settings: Settings) -> None:
    settings.EMAIL_BACKEND = "tests.notify.test_email_channel.RefusingBackend"
    message = outbox.enqueue(
        "email", "a@example.com", "hi", subject="tourdraw", topic="test", language="en"
    )
    now = timezone.now()
    assert outbox.relay_due(now) == 0
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 1)
    assert message.last_error.startswith("mail server: Connection unexpectedly closed")
    assert message.next_attempt_at >= now + timedelta(seconds=30)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.relay_due(message.next_attempt_at) == 1
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 2


def test_a_group_contact_is_emailed_in_chinese_when_their_session_is_cancelled(
    by_email: None,
) -> None:
    site = support.make_site()
    round = support.make_round(support.make_tour(site, code="group-tour"), code="group-round")
    slot = round.slots.first()
    assert slot is not None
    with translation.override("zh-hans"):  # the organiser asked in Chinese
        group = support.request_group(site, 10, contact_email="chen@school.example.hk")
    group_services.approve_visit(group, slot=slot, actor=None)
    group_services.release_visit(group, actor=None)
    email = OutboxMessage.objects.get(kind="email", topic="group.slot_cancelled")
    assert email.to == "chen@school.example.hk" and email.subject == "tourdraw：您团体的场次已取消"
    outbox.relay_due(timezone.now())
    # The request and the approval were e-mailed too (groups/notices.py); this is the last.
    [sent] = [message for message in mail.outbox if message.subject == email.subject]
    assert "港澳青年代表团" in sent.body


def test_development_writes_mail_to_files_and_production_needs_an_smtp_server(
    tmp_path: Path,
) -> None:
    show = "from django.conf import settings; print(settings.EMAIL_BACKEND, settings.EMAIL_HOST)"
    # This checkout's settings, whichever tourdraw the environment has installed.
    env = {**_production_env(tmp_path), "PYTHONPATH": str(Path(tourdraw.__file__).parents[1])}
    del env["EMAIL_HOST"]
    refused = _run(env, "-c", "import django; django.setup()")
    assert refused.returncode != 0 and "Set EMAIL_HOST" in refused.stderr
    filed = _run(
        {**env, "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "-c", show
    )
    assert filed.returncode != 0 and "refused outside development" in filed.stderr
    smtp = _run(
        {**env, "EMAIL_HOST": "smtp.example.com"}, "-c", "import django; django.setup(); " + show
    )
    assert smtp.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
    ]
    development = _run(
        {**env, "TOURDRAW_ENV": "development"}, "-c", "import django; django.setup(); " + show
    )
    assert development.stdout.split()[0] == "django.core.mail.backends.filebased.EmailBackend"
