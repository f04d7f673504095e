import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token: a visitor's after sign-in, or a partner system's, which
    acts with its user's staff roles. Only a hash of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("starts with"), max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A visitor's token lapses (settings.TOURDRAW_VISITOR_TOKEN_TTL); a partner
    # system's, issued by an admin, has none.
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(
        cls,
        user: object,
        name: str,
        *,
        used_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> tuple["ApiToken", str]:
        """A new token; the key is returned once and never stored. A token
        issued at sign-in is ``used_at`` then; a partner's is unused until it is."""
        key = "td_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_hash=cls.digest(key),
            prefix=key[:8],
            last_used_at=used_at,
            expires_at=expires_at,
        )
        return token, key


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key`` and the response it got, so that a retry of the
    same request gets the same answer instead of a second entry or check-in."""

    owner = models.CharField(max_length=64)  # a hash of who sent it (token, session or IP)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)  # method, path and body
    status = models.PositiveSmallIntegerField(null=True)  # None while the first is running
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # While status is None: until when the first request holds the key; after
    # that it is taken to have died, and a retry runs (api/idempotency.py).
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_age")]

    def __str__(self) -> str:
        return self.key
