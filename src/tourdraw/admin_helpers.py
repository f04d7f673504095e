from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest

from tourdraw.audit import changes
from tourdraw.audit.services import log_action


class ReadOnlyAdmin:
    """For records that change only through their services (entries, the audit
    log): the admin may show them, never add, edit or delete them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """The base of every admin: each add, change and deletion made in /admin/,
    its inlines' too, goes to the audit log with the values before and after,
    in the transaction of the change (audit.changes withholds personal data).

    The admin writes rows itself, so this is the one place its changes are seen.
    Bulk deletion is the one bulk action; any other must call a service, which
    writes its own audit entry.
    """

    def save_form(self, request: HttpRequest, form: ModelForm, change: bool) -> Any:
        # The form has already put the new values on the instance; the row
        # still holds the old ones.
        form.audit_before = changes.stored(form.instance) if change else {}  # type: ignore[attr-defined]  # carried to save_related
        return super().save_form(request, form, change)

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm,
        formsets: list[BaseModelFormSet],
        change: bool,
    ) -> None:
        inline_rows = [_stored_rows(formset) for formset in formsets]
        for formset, rows in zip(formsets, inline_rows, strict=True):
            # Logged first: once deleted, a row no longer has the id to name it by.
            deleted = [rows[f.instance.pk] for f in formset.deleted_forms if f.instance.pk in rows]
            changes.record_deletions(deleted, actor=request.user)
        m2m_before = _many_to_many(form.instance) if change else {}
        super().save_related(request, form, formsets, change)
        obj = form.instance
        moved = {
            name: {"before": m2m_before.get(name, []), "after": ids}
            for name, ids in _many_to_many(obj).items()
            if m2m_before.get(name, []) != ids
        }
        changes.record(
            "changed" if change else "added",
            obj,
            actor=request.user,
            before=getattr(form, "audit_before", {}),
            # Read back: a save_model of its own (an API token's) may store more.
            after=changes.stored(obj),
            extra={"many_to_many": moved} if moved else None,
        )
        _audited(request).add((obj._meta.label_lower, obj.pk))
        for formset, rows in zip(formsets, inline_rows, strict=True):
            for new in formset.new_objects:
                changes.record(
                    "added", new, actor=request.user, before={}, after=changes.snapshot(new)
                )
            for changed, _fields in formset.changed_objects:
                before = changes.snapshot(rows[changed.pk]) if changed.pk in rows else {}
                changes.record(
                    "changed",
                    changed,
                    actor=request.user,
                    before=before,
                    after=changes.snapshot(changed),
                )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            changes.record_deletions([obj], actor=request.user)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            changes.record_deletions(list(queryset), actor=request.user)
            super().delete_queryset(request, queryset)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # Views other than the change form (a user's password) save without
        # save_related: the fields they changed are named, never their values.
        if (obj._meta.label_lower, obj.pk) not in _audited(request):
            log_action(
                "tourdraw.admin.changed",
                obj,
                actor=request.user,
                data={"via": "admin", "message": message},
            )
        return super().log_change(request, obj, message)


def _audited(request: HttpRequest) -> set[tuple[str, Any]]:
    if not hasattr(request, "tourdraw_audited"):
        request.tourdraw_audited = set()  # type: ignore[attr-defined]  # a per-request memo
    return request.tourdraw_audited  # type: ignore[attr-defined]  # set just above


def _stored_rows(formset: BaseModelFormSet) -> dict[Any, models.Model]:
    """The rows an inline showed, as the database holds them before the save."""
    pks = [form.instance.pk for form in formset.initial_forms if form.instance.pk is not None]
    return dict(formset.model._default_manager.in_bulk(pks))


def _many_to_many(obj: models.Model) -> dict[str, list[Any]]:
    """Ids of each editable many-to-many relation (a user's groups and permissions)."""
    if obj.pk is None:
        return {}
    return {
        field.name: sorted(getattr(obj, field.name).values_list("pk", flat=True))
        for field in obj._meta.many_to_many
        if field.remote_field.through._meta.auto_created  # type: ignore[union-attr]  # stubs: through may be a str
    }


def audit_every_admin(site: admin.AdminSite) -> None:
    """Give the admins other packages register (Django's groups, the task
    results) the same audit as ours, so no page of /admin/ changes a row
    unseen. Run once every admin module is loaded."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdmin):
            continue
        audited = type(
            f"Audited{type(model_admin).__name__}", (AuditedAdmin, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, audited)
