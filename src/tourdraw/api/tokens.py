"""A visitor's API tokens: issued at sign-in, lapsing, listed and revoked by them."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tourdraw.api.models import ApiToken
from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError


def usable(now: datetime | None = None) -> QuerySet[ApiToken]:
    """Tokens that still open the API: not revoked, not lapsed."""
    now = now or timezone.now()
    return ApiToken.objects.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def issue_visitor_token(user: Any, *, now: datetime | None = None) -> tuple[ApiToken, str]:
    """A token for a visitor who just signed in with their code."""
    now = now or timezone.now()
    token, key = ApiToken.issue(
        user, "sign-in", used_at=now, expires_at=now + settings.TOURDRAW_VISITOR_TOKEN_TTL
    )
    log_action("tourdraw.token.issued", token, actor=user, data={"prefix": token.prefix})
    return token, key


def tokens_of(user: Any, *, now: datetime | None = None) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    return usable(now).filter(user=user).order_by("-created_at", "-pk")


def revoke(user: Any, token_id: int, *, now: datetime | None = None) -> ApiToken:
    """Revoke one of ``user``'s own tokens; another's is not found."""
    now = now or timezone.now()
    token = tokens_of(user, now=now).filter(pk=token_id).first()
    if token is None:
        raise DomainError(
            _("No such token, or it is already revoked."), code=Code.TOKEN_NOT_FOUND, field="token"
        )
    # Compare-and-set: of two revocations, one writes the time and the audit entry.
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        token.revoked_at = now
        log_action("tourdraw.token.revoked", token, actor=user, data={"prefix": token.prefix})
    return token
