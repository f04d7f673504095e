"""Delivery channels behind one interface.

A channel takes a finished message and hands it to the outside world (an SMS
gateway, a voice-call provider, a mail server, the console in development). It
raises ``DeliveryError`` when the outside world refuses, so the caller can retry.
"""

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("tourdraw.notify")


@dataclass(frozen=True)
class Message:
    kind: str  # "sms", "voice" or "email"
    to: str
    body: str
    subject: str = ""


class DeliveryError(Exception):
    pass


class Channel:
    def send(self, message: Message) -> None:
        raise NotImplementedError


class ConsoleChannel(Channel):
    """Development: the message goes to the log, where the developer reads it."""

    def send(self, message: Message) -> None:
        logger.info("%s to %s: %s", message.kind, message.to, message.body)


class FileChannel(Channel):
    """Writes one JSON line per message; for demos and tests that read them back."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.DATA_DIR / "messages.jsonl")

    def send(self, message: Message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")


def sms_channel() -> Channel:
    channel: Channel = import_string(settings.TOURDRAW_SMS_CHANNEL)()
    return channel
