"""A round's audit trail and its public log entries, in one file to hand to an auditor."""

import json
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from tourdraw.audit import rounds as round_audit
from tourdraw.backoffice.views import capability
from tourdraw.lottery import statements
from tourdraw.lottery.models import Round
from tourdraw.people import access
from tourdraw.transparency.keys import log_key

OPERATE = "operate"


@require_GET
@capability(OPERATE)
def round_audit_json(request: HttpRequest, round_id: int) -> HttpResponse:
    rounds = access.scope(Round.objects.select_related("tour__site"), request.user, OPERATE)
    round = get_object_or_404(rounds, pk=round_id)
    response = StreamingHttpResponse(_chunks(round), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{round.code}.audit.json"'
    return response  # type: ignore[return-value]  # streamed, as views may be


def _chunks(round: Round) -> Iterator[str]:
    """Streamed: a large round's trail has an entry per entrant."""
    yield json.dumps({"format": round_audit.FORMAT, "round": round.code})[:-1]
    yield ',"audit":['
    for index, item in enumerate(round_audit.exported_trail(round)):
        yield ("," if index else "") + json.dumps(item, ensure_ascii=False)
    header = {"format": statements.LOG, "key": log_key().as_json()}
    yield '],"public_log":' + json.dumps(header)[:-1] + ',"entries":['
    for index, item in enumerate(round_audit.public_log(round)):
        yield ("," if index else "") + json.dumps(item, ensure_ascii=True)
    yield "]}}"
