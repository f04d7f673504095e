"""``/health/``: how the workers fare, for a load balancer, a monitor or a person.

Public on purpose (it shows no personal data: duty names, times, counts and
the class of a duty's last error). 200 when the database answers, every duty
succeeded within ``TOURDRAW_HEALTH_STALE`` and no due message has waited
longer than ``TOURDRAW_HEALTH_OUTBOX_AGE``; 503 otherwise, with the same report.
"""

from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tourdraw import scheduler
from tourdraw.notify.models import OutboxMessage
from tourdraw.worker.models import DutyStatus

DUTIES = (*scheduler.DUTIES, "relay", "tasks")


def _seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def report(now: datetime) -> tuple[bool, dict[str, object]]:
    """Whether all is well, and the report (DatabaseError if the database is away)."""
    statuses = {status.name: status for status in DutyStatus.objects.all()}
    pending = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )
    due = OutboxMessage.objects.filter(
        state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
    ).aggregate(oldest=Min("next_attempt_at"))
    stale_before = now - settings.TOURDRAW_HEALTH_STALE
    duties = {}
    healthy = True
    for name in DUTIES:
        status = statuses.get(name)
        success = status.last_success_at if status else None
        fresh = success is not None and success >= stale_before
        healthy = healthy and fresh
        duties[name] = {
            "ok": fresh,
            "last_success": _iso(success),
            "last_failure": _iso(status.last_failure_at if status else None),
            "failures_in_a_row": status.failures if status else 0,
            "last_error": status.last_error if status else "",
        }
    due_age = _seconds_since(due["oldest"], now)
    outbox_ok = due_age is None or due_age <= settings.TOURDRAW_HEALTH_OUTBOX_AGE.total_seconds()
    healthy = healthy and outbox_ok
    outbox = {
        "ok": outbox_ok,
        "pending": pending["n"],
        "oldest_pending_seconds": _seconds_since(pending["oldest"], now),
        "oldest_due_seconds": due_age,
    }
    return healthy, {"database": "ok", "duties": duties, "outbox": outbox}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    try:
        healthy, body = report(now)
    except DatabaseError:
        return JsonResponse({"status": "down", "database": "unreachable"}, status=503)
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **body}, status=200 if healthy else 503
    )
