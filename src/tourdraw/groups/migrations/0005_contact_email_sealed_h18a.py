"""A group's contact e-mail encrypted at rest, like its phone."""

from django.db import migrations

import tourdraw.people.fields
from tourdraw.people.migrations import _i13_seal


class Migration(migrations.Migration):
    dependencies = [("groups", "0004_i13_erasure")]

    operations = _i13_seal.seal(
        "groups",
        "groupvisit",
        "contact_email",
        tourdraw.people.fields.EncryptedTextField(
            blank=True, default="", verbose_name="contact email"
        ),
    )
