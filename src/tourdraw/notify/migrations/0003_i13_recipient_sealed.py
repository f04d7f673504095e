"""Message recipients (phone numbers, e-mail addresses) encrypted at rest."""

from django.db import migrations

import tourdraw.people.fields
from tourdraw.people.migrations import _i13_seal


class Migration(migrations.Migration):
    dependencies = [("notify", "0002_outbox_one_due_index"), ("people", "0004_i13_phones_sealed")]

    operations = _i13_seal.seal(
        "notify", "outboxmessage", "to", tourdraw.people.fields.EncryptedTextField(verbose_name="to")
    )
