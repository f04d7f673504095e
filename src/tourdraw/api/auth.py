from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from tourdraw.api import tokens
from tourdraw.api.models import ApiToken

# How fresh "last used" is kept: writing it on every request would cost each
# request a write and a commit of its own.
LAST_USED_GRAIN = timedelta(minutes=5)
_UNSET = object()


def bearer_token(request: HttpRequest) -> ApiToken | None:
    """The usable token this request's ``Authorization: Bearer`` header names,
    or None; looked up once per request (the write limits and the API's
    authentication both ask)."""
    found = getattr(request, "_tourdraw_token", _UNSET)
    if found is _UNSET:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        found = None
        if scheme.lower() == "bearer" and key.strip():
            found = (
                tokens.usable()
                .select_related("user__visitor")
                .filter(key_hash=ApiToken.digest(key.strip()), user__is_active=True)
                .first()
            )
        request._tourdraw_token = found  # type: ignore[attr-defined]  # a per-request memo
    return found  # type: ignore[return-value]  # a token or None once looked up


class TokenAuth(HttpBearer):
    """``Authorization: Bearer td_...``: the token's user acts."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = bearer_token(request)
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_GRAIN:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


# A signed-in browser session works too (a mini-program's web view); it keeps
# Django's CSRF check for unsafe methods.
SIGNED_IN = [TokenAuth(), SessionAuth()]
