from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lottery", "0004_outcome_fewer_indexes")]

    operations = [
        migrations.AddField(
            model_name="entrymember",
            name="guardian_declared_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
