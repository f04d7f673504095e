from typing import Any

from django.db import models

from tourdraw.audit.models import LogEntry


def log_action(
    action: str, obj: models.Model, *, actor: Any = None, data: dict[str, Any] | None = None
) -> LogEntry:
    """Record a state change; ``action`` is dotted, e.g. ``tourdraw.entry.created``.

    ``data`` must never hold personal data in clear (ID numbers, names): the log
    is readable by every operator of the site.
    """
    return LogEntry.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )
