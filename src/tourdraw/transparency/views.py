"""The public log and its key, for anyone: no sign-in, nothing personal in them."""

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tourdraw.lottery import statements
from tourdraw.transparency.keys import log_key
from tourdraw.transparency.log import published
from tourdraw.transparency.models import LogRecord
from tourdraw.transparency.words import describe


@require_GET
def log_json(request: HttpRequest) -> StreamingHttpResponse:
    """The whole log, oldest first, streamed so that its size never sits in memory."""
    return StreamingHttpResponse(_log_chunks(), content_type="application/json")


def _log_chunks() -> Iterator[str]:
    header = {"format": statements.LOG, "key": log_key().as_json()}
    yield json.dumps(header, ensure_ascii=True)[:-1] + ',"entries":['
    for index, record in enumerate(LogRecord.objects.order_by("seq").iterator(chunk_size=2000)):
        yield ("," if index else "") + json.dumps(published(record), ensure_ascii=True)
    yield "]}"


@require_GET
def log_key_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(log_key().as_json())


# The page shows the latest entries; the JSON has them all.
RECENT = 200


@require_GET
def log_page(request: HttpRequest) -> HttpResponse:
    """The log in words, newest first, grouped by round."""
    recent = list(LogRecord.objects.order_by("-seq")[:RECENT])
    by_round: dict[str, list[tuple[LogRecord, str]]] = {}
    for record in recent:
        by_round.setdefault(record.round_code, []).append((record, describe(record)))
    context = {
        "rounds": list(by_round.items()),
        "key": log_key().as_json(),
        "total": recent[0].seq if recent else 0,
        "shown": len(recent),
    }
    return render(request, "transparency/log.html", context)


@require_GET
def fairness(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "transparency/fairness.html",
        {"key": log_key().as_json(), "cutoff_hours": _hours(settings.TOURDRAW_PROMOTION_CUTOFF)},
    )


def _hours(duration: timedelta) -> int:
    return int(duration.total_seconds() // 3600)


# The spec files the site serves, and how.
SPEC_FILES = {
    "draw.md": "text/plain; charset=utf-8",
    "draw-v1.md": "text/plain; charset=utf-8",
    "draw-vector-1.json": "application/json",
    "draw-vector-2.json": "application/json",
}


@require_GET
def spec(request: HttpRequest, name: str) -> HttpResponse:
    """The draw's spec from this very deployment, so checking needs no other host."""
    content_type = SPEC_FILES.get(name)
    path = Path(settings.TOURDRAW_SPEC_DIR) / name
    if content_type is None or not path.is_file():
        raise Http404(_("No such spec file."))
    return HttpResponse(path.read_bytes(), content_type=content_type)
