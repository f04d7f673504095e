"""Every error is ``{"code", "message", "field"}``, with the services' own codes."""

import sys
from typing import Any

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tourdraw.api.schemas import FILLED, NO_NUL, PHONE_PATTERN
from tourdraw.errors import DomainError
from tourdraw.groups.services import GroupError
from tourdraw.lottery.entries import EntryRejected


def error(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: Any,
    field: str = "",
    **extra: Any,
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": str(message), "field": field, **extra}, status=status
    )


# A service's refusal is a 400 (a rule about the content: a checksum, an age, a
# closed round) unless it is about the input's form, which the schema states:
# such a refusal is a 422, as the schema's own, so that any the schema misses
# shows up as "the schema allows what the service refuses". Acting as the wrong
# kind of account is a 403.
SHAPE_CODES = {
    "required",
    "too_long",
    "name_required",
    "name_too_long",
    "reason_required",
    "phone_invalid",
    "invalid",
}
STATUS_BY_CODE = {**dict.fromkeys(SHAPE_CODES, 422), "not_a_visitor": 403}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        extra = {}
        if isinstance(exc, EntryRejected):
            extra["errors"] = [e.as_dict() for e in exc.errors]
        elif isinstance(exc, GroupError):
            extra["errors"] = [e.as_dict() for e in exc.problems]
        status = STATUS_BY_CODE.get(exc.code, 400)
        return error(api, request, status, exc.code, exc.message, exc.field, **extra)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error(
            api, request, 401, "not_signed_in", _("Sign in first (a bearer token or a session).")
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {403: "forbidden", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return error(api, request, exc.status_code, code, exc.message)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        location = [
            str(part)
            for part in first.get("loc", [])
            if part not in ("body", "query", "path", "payload")
        ]
        code, message = explain(first)
        return error(api, request, 422, code, message, ".".join(location))


def explain(problem: dict[str, Any]) -> tuple[str, Any]:
    """A schema's refusal in the words (and codes) the services use for the same rule."""
    kind = problem.get("type", "")
    context = problem.get("ctx") or {}
    if kind == "missing":
        return "required", _("This field is required.")
    if kind == "string_pattern_mismatch" and context.get("pattern") == PHONE_PATTERN:
        return "phone_invalid", _(
            "Give a mobile number of mainland China, Hong Kong, Macao or Taiwan, "
            "such as 13800138000 or +85291234567."
        )
    # A NUL never gets this far (see tourdraw.edge): a filled field was blank.
    if kind == "string_pattern_mismatch" and context.get("pattern") == FILLED:
        return "required", _("This field is required.")
    if kind == "string_pattern_mismatch" and context.get("pattern") == NO_NUL:
        return "invalid", _("Text may not contain NUL characters.")
    if kind == "string_too_long":
        return "too_long", _("At most %(limit)d characters.") % {"limit": context.get("max_length")}
    if kind == "literal_error":
        return "invalid_choice", _("Choose one of: %(choices)s.") % {
            "choices": context.get("expected", "")
        }
    return "invalid", problem.get("msg", _("Invalid input."))


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: what an uncaught exception answers.

    Under /api/ the answer keeps the API's shape. A database that does not
    answer (refused, or a connect or statement timeout) is a 503 to retry in a
    moment, not a fault of the request; anything else is a 500. Pages get the
    site's own 500.html, which reads neither the request nor the database.
    """
    error = sys.exc_info()[1]
    unavailable = isinstance(error, DatabaseError)
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    if unavailable:
        response = JsonResponse(
            {
                "code": "unavailable",
                "message": _("The service is briefly unavailable; try again in a moment."),
                "field": "",
            },
            status=503,
        )
        response["Retry-After"] = "5"
        return response
    return JsonResponse(
        {"code": "server_error", "message": _("Something went wrong on our side."), "field": ""},
        status=500,
    )
