from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("groups", "0003_i13_contact_phone_sealed")]

    operations = [
        migrations.AddField(
            model_name="groupmember",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
