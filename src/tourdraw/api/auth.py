from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from tourdraw.api.models import ApiToken


class TokenAuth(HttpBearer):
    """``Authorization: Bearer td_...``: the token's user acts."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.digest(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


# A signed-in browser session works too (a mini-program's web view); it keeps
# Django's CSRF check for unsafe methods.
SIGNED_IN = [TokenAuth(), SessionAuth()]
