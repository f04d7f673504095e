"""Every error is ``{"code", "message", "field"}``, with the services' own codes."""

import sys
from typing import Any

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

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


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        extra = {}
        if isinstance(exc, EntryRejected):
            extra["errors"] = [e.as_dict() for e in exc.errors]
        elif isinstance(exc, GroupError):
            extra["errors"] = [e.as_dict() for e in exc.problems]
        return error(api, request, 400, exc.code, exc.message, exc.field, **extra)

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
        return error(
            api, request, 422, "invalid", first.get("msg", _("Invalid input.")), ".".join(location)
        )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: what an uncaught exception answers.

    Under /api/ the answer keeps the API's shape. A database that does not
    answer (refused, or a connect or statement timeout) is a 503 to retry in a
    moment, not a fault of the request; anything else is a 500. Pages keep
    Django's own error page.
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
