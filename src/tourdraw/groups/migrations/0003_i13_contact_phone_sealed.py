"""A group's contact phone encrypted at rest."""

from django.db import migrations

import tourdraw.people.fields
from tourdraw.people.migrations import _i13_seal


class Migration(migrations.Migration):
    dependencies = [("groups", "0002_i13_nothing_rebuildable")]

    operations = _i13_seal.seal(
        "groups",
        "groupvisit",
        "contact_phone",
        tourdraw.people.fields.EncryptedTextField(verbose_name="contact phone"),
    )
