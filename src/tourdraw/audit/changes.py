"""What a change made in /admin/ did, field by field, for the audit log.

The admin edits rows directly, so its changes are recorded here from the rows
themselves: the value of every field before and after. Personal data (names,
ID numbers, phones, e-mail, dates of birth) and secrets never enter the log in
clear: such a field is named as changed, its values withheld, because every
operator of the site can read the audit log.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from phonenumber_field.modelfields import PhoneNumberField

from tourdraw.audit.services import log_action
from tourdraw.people.fields import EncryptedTextField

WITHHELD = "(withheld)"
# Fields that hold a person's data or a secret under a plain column type.
_PERSONAL_NAMES = frozenset(
    {
        "full_name",
        "first_name",
        "last_name",
        "username",
        "email",
        "password",
        "phone",
        "contact_name",
        "contact_phone",
        "contact_email",
        "birth_date",
        "id_number",
        "id_hash",
        "id_masked",
        "key_hash",
        "code_hash",
    }
)

Snapshot = dict[str, Any]


def is_personal(field: models.Field[Any, Any]) -> bool:
    if isinstance(field, EncryptedTextField | PhoneNumberField | models.EmailField):
        return True
    return field.name in _PERSONAL_NAMES


def snapshot(obj: models.Model) -> Snapshot:
    """Every stored field of ``obj`` as it is in memory (foreign keys by id)."""
    return {field.attname: field.value_from_object(obj) for field in obj._meta.concrete_fields}


def stored(obj: models.Model) -> Snapshot:
    """The row of ``obj`` as the database holds it now; empty when there is none."""
    if obj.pk is None:
        return {}
    row = type(obj)._default_manager.filter(pk=obj.pk).first()
    return snapshot(row) if row is not None else {}


def _shown(field: models.Field[Any, Any], value: Any) -> Any:
    if is_personal(field):
        return WITHHELD
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def changes(model: type[models.Model], before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """``{field: {"before": ..., "after": ...}}`` for each field whose value differs."""
    found = {}
    for field in model._meta.concrete_fields:
        old, new = before.get(field.attname), after.get(field.attname)
        if old != new:
            found[field.name] = {"before": _shown(field, old), "after": _shown(field, new)}
    return found


def record(
    verb: str,
    obj: models.Model,
    *,
    actor: Any,
    before: Snapshot,
    after: Snapshot,
    extra: dict[str, Any] | None = None,
) -> None:
    """One audit entry ``tourdraw.admin.<verb>`` for ``obj``; call before a deletion,
    while ``obj`` still has its id. A change that changed nothing is not logged."""
    found = changes(type(obj), before, after)
    if verb == "changed" and not found and not extra:
        return
    log_action(
        f"tourdraw.admin.{verb}",
        obj,
        actor=actor,
        data={"via": "admin", "changes": found, **(extra or {})},
    )


def record_deletions(objects: Iterable[models.Model], *, actor: Any) -> None:
    with transaction.atomic():
        for obj in objects:
            record("deleted", obj, actor=actor, before=snapshot(obj), after={})
