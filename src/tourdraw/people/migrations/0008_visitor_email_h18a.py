"""A visitor's optional e-mail address, encrypted at rest."""

from django.db import migrations

import tourdraw.people.fields


class Migration(migrations.Migration):
    dependencies = [("people", "0007_merge_0003_i14b_identity_claims_0006_i13_consent")]

    operations = [
        migrations.AddField(
            model_name="visitor",
            name="email",
            field=tourdraw.people.fields.EncryptedTextField(
                blank=True, default="", verbose_name="e-mail address"
            ),
        ),
    ]
