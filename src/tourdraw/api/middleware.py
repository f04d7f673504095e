"""Idempotency keys and rate limits for the API's POST requests."""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from tourdraw import limits
from tourdraw.api.models import IdempotencyKey

PREFIX = "/api/"
SIGN_IN = "/api/v1/auth/"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _owner(request: HttpRequest) -> str | None:
    """Whose Idempotency-Keys these are: the verified user's, or nobody's. An
    anonymous sender has no identity to scope a key to (an address is shared by
    everyone behind it), so their keys are not kept and never replayed."""
    key, verified = limits.sender(request)
    return hashlib.sha256(key.encode()).hexdigest() if verified else None


def _error(status: int, code: str, message: str, field: str = "") -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "field": field}, status=status)


class ApiWritesMiddleware:
    """For writes under /api/: a rate limit per sender (429 with Retry-After); and
    for POSTs, ``Idempotency-Key``: the same key and body get the first response
    again, the same key with another body gets 409 (PUT and DELETE are idempotent
    by themselves)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in WRITES or not request.path.startswith(PREFIX):
            return self.get_response(request)
        if limits.over_write_limit(request, "api-writes", settings.TOURDRAW_API_WRITE_RATE):
            limited = _error(429, "rate_limited", _("Too many requests; try again in a minute."))
            limited["Retry-After"] = "60"
            return limited
        key = request.headers.get("Idempotency-Key", "").strip()
        # Sign-in answers carry a bearer token, which must never be stored in clear.
        owner = _owner(request)
        if request.method != "POST" or not key or owner is None or request.path.startswith(SIGN_IN):
            return self.get_response(request)
        if len(key) > 200:
            return _error(
                400,
                "invalid",
                _("An Idempotency-Key has at most 200 characters."),
                "Idempotency-Key",
            )
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    owner=owner, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            earlier = IdempotencyKey.objects.get(owner=owner, key=key)
            if earlier.request_hash != fingerprint:
                return _error(
                    409,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was used for another request."),
                    "Idempotency-Key",
                )
            if earlier.status is None:
                return _error(
                    409,
                    "idempotency_in_progress",
                    _("The first request with this key is still running."),
                )
            replay = HttpResponse(
                bytes(earlier.body), status=earlier.status, content_type=earlier.content_type
            )
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = self.get_response(request)
        if response.status_code >= 500:
            record.delete()  # let the client retry a failure of ours
            return response
        IdempotencyKey.objects.filter(pk=record.pk).update(
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
        return response
