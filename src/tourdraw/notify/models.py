from django.db import models
from django.utils.translation import gettext_lazy as _

from tourdraw.people.fields import EncryptedTextField


class OutboxMessage(models.Model):
    """A message to a person, written in the same transaction as the change it
    reports, and delivered at least once by the relay afterwards."""

    class Kind(models.TextChoices):
        SMS = "sms", _("SMS")
        VOICE = "voice", _("voice call")
        EMAIL = "email", _("email")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, gave up")

    kind = models.CharField(_("channel"), max_length=10, choices=Kind.choices)
    # A phone number or e-mail address: encrypted like every other contact.
    to = EncryptedTextField(_("to"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    language = models.CharField(_("language"), max_length=10)
    topic = models.CharField(_("about"), max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # A relay owns a message while claimed_until is in the future; a relay that
    # dies mid-send lets the claim lapse and another sends again (at least once).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The relay's one query: due messages, oldest first. Only pending
            # messages are in it, and a draw writes tens of thousands of rows at
            # once, so this one partial index stands where an index on each of
            # state, next_attempt_at and topic cost three writes (five on
            # PostgreSQL, with the pattern indexes) per message.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="outbox_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.topic} → {self.to}"
