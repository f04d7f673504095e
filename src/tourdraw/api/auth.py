from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from tourdraw.api.models import ApiToken

# How fresh "last used" is kept: writing it on every request would cost each
# request a write and a commit of its own.
LAST_USED_GRAIN = timedelta(minutes=5)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer td_...``: the token's user acts."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user__visitor")
            .filter(key_hash=ApiToken.digest(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_GRAIN:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


# A signed-in browser session works too (a mini-program's web view); it keeps
# Django's CSRF check for unsafe methods.
SIGNED_IN = [TokenAuth(), SessionAuth()]
