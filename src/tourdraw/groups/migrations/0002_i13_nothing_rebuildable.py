"""Group members' birth dates encrypted and masks cut to the tail (see people 0003)."""

from django.db import migrations

from tourdraw.people.migrations import _i13_rebuildable


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]

    operations = _i13_rebuildable.operations_for("groupmember", "groups")
