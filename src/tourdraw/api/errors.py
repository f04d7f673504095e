"""Every error is ``{"code", "message", "field"}``, with the services' own codes."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tourdraw.api.schemas import FILLED, NO_NUL
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
        code, message = explain(first)
        return error(api, request, 422, code, message, ".".join(location))


def explain(problem: dict[str, Any]) -> tuple[str, Any]:
    """A schema's refusal in the words (and codes) the services use for the same rule."""
    kind = problem.get("type", "")
    context = problem.get("ctx") or {}
    if kind == "missing":
        return "required", _("This field is required.")
    if kind == "string_pattern_mismatch" and context.get("pattern") in (FILLED, NO_NUL):
        if "\x00" in str(problem.get("input", "")):
            return "invalid", _("Text may not contain NUL characters.")
        return "required", _("This field is required.")
    if kind == "string_too_long":
        return "too_long", _("At most %(limit)d characters.") % {"limit": context.get("max_length")}
    if kind == "literal_error":
        return "invalid_choice", _("Choose one of: %(choices)s.") % {
            "choices": context.get("expected", "")
        }
    return "invalid", problem.get("msg", _("Invalid input."))
