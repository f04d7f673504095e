"""Turns a clear column into an encrypted one, converting the rows (i13 migrations).

A field's type cannot simply change: the encrypted field would try to decrypt
the clear values. So a sealed twin is added, filled from the clear column,
and takes its name.
"""

from django.db import migrations

BATCH = 2000


def _copier(app_label, model_name, name, derived):
    def copy(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        batch = []
        fields = [f"{name}_sealed", *derived]
        for row in model.objects.order_by("pk").iterator(chunk_size=BATCH):
            clear = getattr(row, name)
            setattr(row, f"{name}_sealed", clear)
            for field, compute in derived.items():
                setattr(row, field, compute(row, clear))
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_update(batch, fields)
                batch = []
        model.objects.bulk_update(batch, fields)

    return copy


def seal(app_label, model_name, name, field, *, derived=None):
    """Operations that make ``name`` the encrypted ``field``, computing the
    ``derived`` columns ({name: f(row, clear value)}) from the clear value."""
    sealed = field.clone()
    sealed.null = True
    return [
        migrations.AddField(model_name=model_name, name=f"{name}_sealed", field=sealed),
        migrations.RunPython(
            _copier(app_label, model_name, name, derived or {}), migrations.RunPython.noop
        ),
        migrations.RemoveField(model_name=model_name, name=name),
        migrations.RenameField(model_name=model_name, old_name=f"{name}_sealed", new_name=name),
        migrations.AlterField(model_name=model_name, name=name, field=field),
    ]
