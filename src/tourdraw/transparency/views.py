"""The public log and its key, for anyone: no sign-in, nothing personal in them."""

import json
from collections.abc import Iterator

from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from tourdraw.lottery import statements
from tourdraw.transparency.keys import log_key
from tourdraw.transparency.log import published
from tourdraw.transparency.models import LogRecord


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
