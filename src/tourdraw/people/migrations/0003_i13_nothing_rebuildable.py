"""Birth dates encrypted, masks cut to the tail: no stored pair rebuilds an ID number.

The old mask kept a resident ID's first six and last four digits beside the
birth date in clear, which together are the whole number. Existing rows are
converted here: each birth date is sealed and each mask recomputed from the
decrypted number.
"""

from django.db import migrations

from tourdraw.people.migrations import _i13_rebuildable


class Migration(migrations.Migration):
    dependencies = [("people", "0002_staff_roles")]

    operations = _i13_rebuildable.operations_for("person", "people")
