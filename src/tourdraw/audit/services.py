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
        site_id=site_of(obj),
    )


# How each kind of object leads to its site.
_SITE_PATHS = (
    ("site_id",),
    ("tour", "site_id"),
    ("slot", "tour", "site_id"),
    ("round", "tour", "site_id"),
    ("offer", "slot", "tour", "site_id"),
)


def site_of(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "catalog.site":
        return int(obj.pk)
    for path in _SITE_PATHS:
        value: Any = obj
        for name in path:
            value = getattr(value, name, None)
            if value is None:
                break
        if isinstance(value, int):
            return value
    return None
