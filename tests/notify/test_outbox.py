import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tourdraw.notify import outbox
from tourdraw.notify.channels import DeliveryError, EmailChannel, Message, WebhookChannel
from tourdraw.notify.models import OutboxMessage


class BrokenChannel:
    def send(self, message: Message) -> None:
        raise DeliveryError("gateway down")


def _enqueue(**kwargs):
    return outbox.enqueue("sms", "+8613900000001", "hello", topic="test", language="en", **kwargs)


def test_a_message_exists_only_if_its_change_committed(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        _enqueue()
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()


def test_a_crash_between_commit_and_delivery_still_delivers(db, sent):
    # The change commits with its message; then the process "dies": nothing was
    # sent and no task ran. The next relay sweep delivers it.
    with transaction.atomic():
        message = _enqueue()
    assert sent == []
    assert outbox.relay_due(timezone.now()) == 1
    assert [m.body for m in sent] == ["hello"]
    assert [m.id for m in sent] == [str(message.pk)]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT and message.attempts == 1


def test_a_relay_that_died_mid_send_lets_another_send_again(db, sent):
    message = _enqueue()
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=now + timedelta(minutes=1))
    assert outbox.relay_due(now) == 0  # still claimed by the other relay
    assert outbox.relay_due(now + timedelta(minutes=2)) == 1  # its claim lapsed
    assert len(sent) == 1


def test_failed_deliveries_are_retried_with_backoff_then_given_up(db, settings):
    settings.TOURDRAW_CHANNELS = {"sms": "tests.notify.test_outbox.BrokenChannel"}
    settings.TOURDRAW_OUTBOX_MAX_ATTEMPTS = 3
    message = _enqueue()
    # A tick a minute ahead: its failures count from then (the later of the
    # tick and the failure), which keeps the arithmetic below exact.
    now = timezone.now() + timedelta(minutes=1)
    assert outbox.deliver(message.pk, now=now) is False
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("pending", 1, "gateway down")
    assert message.next_attempt_at == now + timedelta(seconds=30)
    assert outbox.deliver(message.pk, now=now + timedelta(seconds=10)) is False  # not due yet
    assert OutboxMessage.objects.get().attempts == 1
    outbox.deliver(message.pk, now=now + timedelta(seconds=30))
    assert OutboxMessage.objects.get().next_attempt_at == now + timedelta(seconds=90)
    outbox.deliver(message.pk, now=now + timedelta(seconds=90))
    assert OutboxMessage.objects.get().state == OutboxMessage.State.FAILED


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(20) == timedelta(hours=1)


def test_the_task_worker_delivers_a_queued_message(transactional_db, sent):
    with transaction.atomic():
        _enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*")
    assert [m.body for m in sent] == ["hello"]
    assert OutboxMessage.objects.get().state == OutboxMessage.State.SENT


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((body, self.headers["X-Tourdraw-Signature"]))
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Gateway.received = []
    _Gateway.status = 200
    yield f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()


def test_the_webhook_channel_posts_json_signed_with_hmac(gateway):
    WebhookChannel(gateway, "s3cret").send(Message(kind="sms", to="+86139", body="你好", id="7"))
    body, signature = _Gateway.received[0]
    assert json.loads(body) == {
        "kind": "sms",
        "to": "+86139",
        "body": "你好",
        "subject": "",
        "id": "7",
    }
    assert signature == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()


def test_a_gateway_refusal_is_a_delivery_error(gateway):
    _Gateway.status = 503
    with pytest.raises(DeliveryError, match="503"):
        WebhookChannel(gateway, "s3cret").send(Message(kind="voice", to="+86139", body="hi"))


def test_the_email_channel_uses_djangos_mail_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailChannel().send(
        Message(kind="email", to="a@example.com", body="Your ticket", subject="tourdraw")
    )
    assert mail.outbox[0].subject == "tourdraw" and mail.outbox[0].to == ["a@example.com"]


def test_backoff_counts_from_the_failure_not_from_the_ticks_start(db, settings):
    # The relay's tick began five minutes ago (it was busy with other messages);
    # this message failed just now and must wait its 30 s from now.
    settings.TOURDRAW_CHANNELS = {"sms": "tests.notify.test_outbox.BrokenChannel"}
    tick = timezone.now() - timedelta(minutes=5)
    message = _enqueue(now=tick - timedelta(seconds=1))
    before = timezone.now()
    outbox.deliver(message.pk, now=tick)
    message.refresh_from_db()
    assert message.next_attempt_at >= before + timedelta(seconds=30)


class _Redirecting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(302)
        self.send_header("Location", "/landing")
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_message_answered_with_a_redirect_stays_pending(db, settings):
    # Followed, the redirect would GET the new address without the message and
    # the 200 there would count as delivered.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TOURDRAW_CHANNELS = {"sms": "tourdraw.notify.channels.WebhookChannel"}
    settings.TOURDRAW_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/sms"
    try:
        message = _enqueue()
        assert outbox.deliver(message.pk) is False
    finally:
        server.shutdown()
    message.refresh_from_db()
    assert (message.state, message.sent_at) == ("pending", None)
    assert "302" in message.last_error


@pytest.fixture
def garbling_gateway():
    """A gateway that answers with something that is not HTTP at all."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HELLO FROM A BROKEN GATEWAY\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/sms"
    listener.close()


def test_a_malformed_answer_is_a_failure_counted_and_finally_given_up(
    db, settings, garbling_gateway
):
    settings.TOURDRAW_CHANNELS = {"sms": "tourdraw.notify.channels.WebhookChannel"}
    settings.TOURDRAW_WEBHOOK_URL = garbling_gateway
    settings.TOURDRAW_OUTBOX_MAX_ATTEMPTS = 2
    message = _enqueue()
    assert outbox.deliver(message.pk) is False
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 1)
    assert "malformed" in message.last_error
    outbox.deliver(message.pk, now=message.next_attempt_at)
    assert OutboxMessage.objects.get().state == OutboxMessage.State.FAILED


def test_a_failure_the_channel_does_not_classify_is_marked_failed_after_its_attempts(db, settings):
    # A line break in the first 60 characters makes the e-mail's subject, which
    # Django's mail refuses with its own exception (not a DeliveryError).
    settings.TOURDRAW_CHANNELS = {"email": "tourdraw.notify.channels.EmailChannel"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TOURDRAW_OUTBOX_MAX_ATTEMPTS = 2
    message = outbox.enqueue("email", "a@example.com", "Hi\nthere", topic="test", language="en")
    assert outbox.relay_due(timezone.now()) == 0
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.last_error.startswith("BadHeaderError")
    outbox.relay_due(message.next_attempt_at)
    assert OutboxMessage.objects.get().state == OutboxMessage.State.FAILED
