"""Delivery channels behind one interface.

A channel takes a finished message and hands it to the outside world (an SMS
gateway, a voice-call provider, a mail server, the console in development). It
raises ``DeliveryError`` when the outside world refuses, so the relay retries.
"""

import hashlib
import hmac
import http.client
import json
import logging
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger("tourdraw.notify")


@dataclass(frozen=True)
class Message:
    kind: str  # "sms", "voice" or "email"
    to: str
    body: str
    subject: str = ""
    id: str = ""  # the outbox id, so a receiver can drop a repeated delivery


class DeliveryError(Exception):
    pass


class Channel:
    def send(self, message: Message) -> None:
        raise NotImplementedError


class ConsoleChannel(Channel):
    """Development: the message goes to the log, where the developer reads it."""

    def send(self, message: Message) -> None:
        # Settings refuse it outside development; this holds if they are bypassed.
        if not settings.DEVELOPMENT:
            raise DeliveryError("the console channel prints messages: development only")
        logger.info("%s to %s: %s", message.kind, message.to, message.body)


class FileChannel(Channel):
    """Writes one JSON line per message; for demos and tests that read them back."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.DATA_DIR / "messages.jsonl")

    def send(self, message: Message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer we did not ask for: following it would GET the new
    address without the message and count a 2xx there as delivered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class WebhookChannel(Channel):
    """POSTs the message as JSON to a gateway (SMS or voice), signed with HMAC-SHA256
    of the body in ``X-Tourdraw-Signature``, so the gateway can trust the sender.
    Only a 2xx answer is a delivery; a redirect, an error status, a malformed
    answer or no answer within ``TOURDRAW_RELAY_DEADLINE`` is a failure."""

    def __init__(self, url: str | None = None, secret: str | None = None) -> None:
        self.url = url or settings.TOURDRAW_WEBHOOK_URL
        self.secret = secret or settings.TOURDRAW_WEBHOOK_SECRET

    def send(self, message: Message) -> None:
        body = json.dumps(asdict(message), ensure_ascii=False).encode("utf-8")
        signature = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(  # noqa: S310
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Tourdraw-Signature": f"sha256={signature}",
            },
        )
        deadline = settings.TOURDRAW_RELAY_DEADLINE.total_seconds()
        try:
            with _opener.open(request, timeout=deadline) as response:
                if not 200 <= response.status < 300:
                    raise DeliveryError(f"gateway answered {response.status}")
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"gateway answered {error.code}") from error
        except http.client.HTTPException as error:
            raise DeliveryError(f"gateway gave a malformed answer: {error!r}") from error
        except OSError as error:
            raise DeliveryError(f"gateway unreachable: {error}") from error


class EmailChannel(Channel):
    """Through Django's configured mail backend: SMTP in production, files in
    ``var/mail/`` in development, memory in tests. Plain text; the outbox id
    rides in a header, so a repeated delivery can be recognised."""

    def send(self, message: Message) -> None:
        email = EmailMessage(
            message.subject or message.body[:60],
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.to],
            headers={"X-Tourdraw-Message": message.id} if message.id else None,
        )
        try:
            sent = email.send()
        except OSError as error:  # smtplib's errors are OSErrors too
            raise DeliveryError(f"mail server: {error}") from error
        if sent != 1:
            raise DeliveryError("the mail backend sent nothing")


def channel_for(kind: str) -> Channel:
    """The channel configured for a kind of message (``TOURDRAW_CHANNELS``)."""
    path: Any = settings.TOURDRAW_CHANNELS[kind]
    channel: Channel = import_string(path)()
    return channel


def sms_channel() -> Channel:
    return channel_for("sms")
