import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0005_i13_erasure")]

    operations = [
        migrations.CreateModel(
            name="Consent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("notice", "privacy notice"), ("sensitive_pi", "sensitive personal information")], max_length=20)),
                ("version", models.CharField(max_length=20)),
                ("given_at", models.DateTimeField()),
                ("visitor", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="consents", to="people.visitor")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("visitor", "kind", "version"), name="consent_once_per_version")],
            },
        ),
    ]
