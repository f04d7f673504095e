from datetime import timedelta

from django.db import migrations, models


def lapse_existing_visitor_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Tokens issued at sign-in before tokens lapsed get the default 30 days from
    their issue, so none of them stays open for ever."""
    ApiToken = apps.get_model("api", "ApiToken")
    for token in ApiToken.objects.filter(name="sign-in", user__visitor__isnull=False):
        token.expires_at = token.created_at + timedelta(days=30)
        token.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_idempotency_keys"),
        ("people", "0002_staff_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="expires"),
        ),
        migrations.RunPython(lapse_existing_visitor_tokens, migrations.RunPython.noop),
    ]
