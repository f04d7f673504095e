"""Phone numbers encrypted, found by keyed hash; visitor user names no longer hold them.

Sign-in codes pending at the upgrade are dropped (they live ten minutes and
only a keyed hash of their phone is kept from now on): the visitor asks again.
"""

import secrets

from django.db import migrations, models

import tourdraw.people.fields
from tourdraw.people.migrations import _i13_seal


def _phone_hash(row, clear):
    from tourdraw.people import crypto

    return crypto.phone_hash(str(clear))


def drop_pending_codes(apps, schema_editor):
    apps.get_model("people", "SignInCode").objects.all().delete()


def random_visitor_user_names(apps, schema_editor):
    User = apps.get_model("people", "User")
    users = list(User.objects.filter(visitor__isnull=False, username__startswith="visitor-+"))
    for user in users:
        user.username = f"visitor-{secrets.token_hex(8)}"
    User.objects.bulk_update(users, ["username"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("people", "0003_i13_nothing_rebuildable")]

    operations = [
        migrations.RunPython(drop_pending_codes, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="signincode", name="people_sign_phone_47c0f0_idx"),
        migrations.RemoveField(model_name="signincode", name="phone"),
        migrations.AddField(
            model_name="signincode",
            name="phone_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="signincode",
            index=models.Index(fields=["phone_hash", "-created_at"], name="signin_phone_hash_recent"),
        ),
        migrations.AddField(
            model_name="visitor",
            name="phone_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        *_i13_seal.seal(
            "people",
            "visitor",
            "phone",
            tourdraw.people.fields.EncryptedTextField(verbose_name="phone number"),
            derived={"phone_hash": _phone_hash},
        ),
        migrations.AlterField(
            model_name="visitor",
            name="phone_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RunPython(random_visitor_user_names, migrations.RunPython.noop),
    ]
