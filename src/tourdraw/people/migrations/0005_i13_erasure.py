from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0004_i13_phones_sealed")]

    operations = [
        migrations.AddField(
            model_name="person", name="erased_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="visitor", name="deleted_at", field=models.DateTimeField(blank=True, null=True)
        ),
    ]
