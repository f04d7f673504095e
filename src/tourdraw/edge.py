"""Input checks every request passes before any view reads it.

Rules that hold for every field of every form, query and JSON body live here,
once: no NUL character (PostgreSQL cannot store one, and no person's name or
code holds one) and no value longer than any field takes. Each form or schema
then checks its own fields' types and lengths.
"""

import re
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from tourdraw.errors import Code

# Longer than any field of any form or schema: the group request's purpose and a
# pasted member list are the longest texts anyone types.
MAX_VALUE_LENGTH = 20_000
# A NUL in a JSON body is written as an escape (a raw one is not valid JSON).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# Numeric ids in forms and query strings: digits only, and small enough for the
# database's bigint.
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(raw: object) -> int | None:
    """A database id typed into a form or a query string, or None if it is not one."""
    if isinstance(raw, str) and _ID.fullmatch(raw):
        return int(raw)
    return None


def parse_ids(raw: Iterable[object]) -> list[int]:
    return [found for found in (parse_id(value) for value in raw) if found is not None]


class EdgeInputMiddleware:
    """Refuses a request whose path, query, form or JSON body holds a NUL
    character or an over-long value, with a 400 naming the field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = self._bad_field(request)
        if field is None:
            return self.get_response(request)
        message = _("Text may not contain NUL characters or be longer than %(limit)d characters.")
        message %= {"limit": MAX_VALUE_LENGTH}
        if request.path.startswith("/api/") or request.content_type == "application/json":
            # 400, not the registry's 422: see tourdraw.errors.
            body = {"code": Code.INVALID.value, "message": message, "field": field}
            return JsonResponse(body, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")

    def _bad_field(self, request: HttpRequest) -> str | None:
        if "\x00" in request.path:
            return "path"
        for name, values in request.GET.lists():
            if _bad(name, values):
                return name
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for name, values in request.POST.lists():
                if _bad(name, values):
                    return name
        elif request.content_type == "application/json" and (
            b"\x00" in request.body or _JSON_NUL.search(request.body)
        ):
            return "body"
        return None


def _bad(name: str, values: list[str]) -> bool:
    return any("\x00" in value or len(value) > MAX_VALUE_LENGTH for value in [name, *values])
