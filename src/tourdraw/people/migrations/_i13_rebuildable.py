"""Shared by people 0003 and groups 0002: seal birth dates, cut masks to the tail."""

from django.db import migrations

import tourdraw.people.fields

BATCH = 2000


def seal_and_remask(model):
    from tourdraw.people.documents import mask

    def convert(apps, schema_editor):
        rows = apps.get_model(*model).objects.order_by("pk")
        batch = []
        for row in rows.iterator(chunk_size=BATCH):
            row.birth_date_sealed = row.birth_date
            row.id_masked = mask(row.id_number) if row.id_number else ""
            batch.append(row)
            if len(batch) == BATCH:
                rows.model.objects.bulk_update(batch, ["birth_date_sealed", "id_masked"])
                batch = []
        rows.model.objects.bulk_update(batch, ["birth_date_sealed", "id_masked"])

    return convert


def operations_for(model_name, app_label):
    return [
        migrations.AddField(
            model_name=model_name,
            name="birth_date_sealed",
            field=tourdraw.people.fields.EncryptedDateField(null=True, blank=True),
        ),
        migrations.RunPython(
            seal_and_remask((app_label, model_name)), migrations.RunPython.noop, elidable=False
        ),
        migrations.RemoveField(model_name=model_name, name="birth_date"),
        migrations.RenameField(
            model_name=model_name, old_name="birth_date_sealed", new_name="birth_date"
        ),
        migrations.AlterField(
            model_name=model_name,
            name="birth_date",
            field=tourdraw.people.fields.EncryptedDateField(
                blank=True, null=True, verbose_name="date of birth"
            ),
        ),
    ]
