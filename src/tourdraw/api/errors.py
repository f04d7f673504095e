"""Every error is ``{"code", "message", "field"}`` (and ``errors`` when there
are several), with a code of the registry (tourdraw.errors.Code) and its status."""

import sys
from typing import Any

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tourdraw.api.schemas import FILLED, NO_NUL, PHONE_PATTERN
from tourdraw.errors import Code, DomainError

# The codes of the statuses django-ninja raises HttpError with.
_HTTP_ERROR_CODES = {
    403: Code.FORBIDDEN,
    405: Code.METHOD_NOT_ALLOWED,
}


def body(code: Code, message: Any, field: str = "") -> dict[str, Any]:
    return {"code": code.value, "message": str(message), "field": field}


def error(
    api: NinjaAPI, request: HttpRequest, code: Code, message: Any, field: str = ""
) -> HttpResponse:
    """The answer to a refusal, with its code's status."""
    return api.create_response(request, body(code, message, field), status=code.status)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.code.status)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(api, request, Code.NOT_FOUND, _("Not found."))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error(
            api, request, Code.NOT_SIGNED_IN, _("Sign in first (a bearer token or a session).")
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Else a body that cannot be parsed, the one 400 django-ninja raises.
        code = _HTTP_ERROR_CODES.get(exc.status_code, Code.ERROR)
        return error(api, request, code, exc.message)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        location = [
            str(part)
            for part in first.get("loc", [])
            if part not in ("body", "query", "path", "payload")
        ]
        code, message = explain(first)
        return error(api, request, code, message, ".".join(location))


def explain(problem: dict[str, Any]) -> tuple[Code, Any]:
    """A schema's refusal in the words (and codes) the services use for the same rule."""
    kind = problem.get("type", "")
    context = problem.get("ctx") or {}
    if kind == "missing":
        return Code.REQUIRED, _("This field is required.")
    if kind == "string_pattern_mismatch" and context.get("pattern") == PHONE_PATTERN:
        return Code.PHONE_INVALID, _(
            "Give a mobile number of mainland China, Hong Kong, Macao or Taiwan, "
            "such as 13800138000 or +85291234567."
        )
    # A NUL never gets this far (see tourdraw.edge): a filled field was blank.
    if kind == "string_pattern_mismatch" and context.get("pattern") == FILLED:
        return Code.REQUIRED, _("This field is required.")
    if kind == "string_pattern_mismatch" and context.get("pattern") == NO_NUL:
        return Code.INVALID, _("Text may not contain NUL characters.")
    if kind == "string_too_long":
        return Code.TOO_LONG, _("At most %(limit)d characters.") % {
            "limit": context.get("max_length")
        }
    if kind == "literal_error":
        return Code.INVALID_CHOICE, _("Choose one of: %(choices)s.") % {
            "choices": context.get("expected", "")
        }
    return Code.INVALID, problem.get("msg", _("Invalid input."))


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
            body(Code.UNAVAILABLE, _("The service is briefly unavailable; try again in a moment.")),
            status=Code.UNAVAILABLE.status,
        )
        response["Retry-After"] = "5"
        return response
    return JsonResponse(
        body(Code.SERVER_ERROR, _("Something went wrong on our side.")),
        status=Code.SERVER_ERROR.status,
    )
