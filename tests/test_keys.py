"""No key in the source: starts without keys refuse, the demo makes its own, and
no string in the repository decrypts a field or verifies a ticket."""

import base64
import hashlib
import hmac
import os
import re
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection

from tests.support import resident_id
from tourdraw import keys
from tourdraw.notify.channels import ConsoleChannel, DeliveryError, Message
from tourdraw.people.models import Person
from tourdraw.visits import signing

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _run(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )


def _bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No environment at all but a PATH, and a data dir that is not the checkout's."""
    return {"PATH": "/usr/bin:/bin", "TOURDRAW_DATA_DIR": str(tmp_path), **extra}


def test_starting_the_server_with_no_environment_refuses_and_says_what_to_set(tmp_path):
    # What gunicorn does: import the WSGI application.
    result = _run("import tourdraw.wsgi", _bare_env(tmp_path))
    assert result.returncode != 0
    for name in ("SECRET_KEY", "TOURDRAW_DATA_KEYS", "TOURDRAW_HASH_KEY", "TOURDRAW_TICKET_KEYS"):
        assert name in result.stderr
    assert "tourdraw demo" in result.stderr
    # And every management command but the demo (the worker, migrate, runserver).
    command = _run(
        "from tourdraw.cli import main; main(['tourdraw', 'check'])", _bare_env(tmp_path)
    )
    assert command.returncode != 0 and "TOURDRAW_DATA_KEYS" in command.stderr


def test_keys_without_development_mean_no_debug_and_secure_cookies(tmp_path):
    env = _bare_env(
        tmp_path,
        **keys.generate(),
        TOURDRAW_WEBHOOK_URL="https://gateway.invalid/",
        EMAIL_HOST="smtp.invalid",  # production sends e-mail through a real server
    )
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tourdraw.settings';"
        "from django.conf import settings;"
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " sorted(set(settings.TOURDRAW_CHANNELS.values())))"
    )
    result = _run(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False True True")
    assert "ConsoleChannel" not in result.stdout

    debug = _run(code, {**env, "DEBUG": "true"})
    assert debug.returncode != 0 and "DEBUG is refused" in debug.stderr
    console = _run(code, {**env, "TOURDRAW_SMS_CHANNEL": "tourdraw.notify.channels.ConsoleChannel"})
    assert console.returncode != 0 and "console channel" in console.stderr


def test_the_console_channel_prints_nothing_outside_development(settings, caplog):
    settings.DEVELOPMENT = False
    with pytest.raises(DeliveryError):
        ConsoleChannel().send(Message(kind="sms", to="+8613900000001", body="code 123456"))
    assert "123456" not in caplog.text and "13900000001" not in caplog.text


def test_the_demo_makes_its_keys_once_and_reuses_them(tmp_path):
    env = _bare_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    code = "from tourdraw.cli import main; main(['tourdraw', 'demo', '--help'])"
    first = _run(code, env)
    assert first.returncode == 0, first.stderr
    keys_file = tmp_path / keys.DEMO_KEYS_FILE
    made = keys_file.read_text()
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert _run(code, env).returncode == 0
    assert keys_file.read_text() == made

    values = keys.demo_keys(tmp_path)
    assert set(values) == set(keys.GENERATED)
    Fernet(values["TOURDRAW_DATA_KEYS"].encode())
    for name in ("TOURDRAW_TICKET_KEYS", "TOURDRAW_LOG_KEY"):
        key_id, _, raw = values[name].partition(":")
        assert key_id and len(base64.urlsafe_b64decode(raw + "=")) == 32
    # Another install gets other keys.
    assert keys.demo_keys(tmp_path / "other") != values


def test_the_repository_keeps_its_demo_keys_out_of_git():
    assert "/var/" in (ROOT / ".gitignore").read_text().split()


_KEY_LIKE = re.compile(r"[A-Za-z0-9_\-]{20,}={0,2}")


def _strings_in_the_repository() -> set[str]:
    found: set[str] = set()
    for folder in ("src", "tests", "bench", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".md", ".json", ".toml", ".txt", ".html", ".env", ".cfg"}:
                found.update(_KEY_LIKE.findall(path.read_text("utf-8", errors="replace")))
    for path in ROOT.glob("*.*"):
        if path.is_file() and path.suffix in {".py", ".md", ".toml", ".cfg"}:
            found.update(_KEY_LIKE.findall(path.read_text("utf-8", errors="replace")))
    return found


def _as_ed25519(text: str) -> Ed25519PrivateKey | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return Ed25519PrivateKey.from_private_bytes(raw) if len(raw) == 32 else None


def test_no_key_string_from_the_repository_decrypts_a_field_or_verifies_a_ticket(visitor):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_person LIMIT 1")
        (sealed,) = cursor.fetchone()
    payload = signing.sign("TICKETCODE", 1, date(2027, 1, 20), 3)
    key_id = signing.signing_keys()[0][0]
    number = resident_id(date(1985, 3, 14), sequence=123)
    digest = Person.objects.get().id_hash
    candidates = _strings_in_the_repository()
    assert len(candidates) > 100  # the scan does read the repository

    for text in candidates:
        try:
            Fernet(text.encode()).decrypt(sealed.encode())
        except (ValueError, InvalidToken):
            pass
        else:
            pytest.fail(f"a string in the repository decrypts a field: {text}")
        private = _as_ed25519(text)
        if private is not None:
            with pytest.raises(signing.TicketSignatureError):
                signing.verify(payload, {key_id: private.public_key()})
            forged = _forge(payload, private)
            with pytest.raises(signing.TicketSignatureError):
                signing.verify(forged)
        guess = hmac.new(text.encode(), f"cn_resident:{number}".encode(), hashlib.sha256)
        assert guess.hexdigest() != digest


def _forge(payload: str, key: Ed25519PrivateKey) -> str:
    head, body, _ = payload.split(".")
    signature = key.sign(f"{head}.{body}".encode())
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_the_tests_run_with_keys_made_for_this_run():
    assert os.environ["TOURDRAW_DATA_KEYS"] not in "".join(_strings_in_the_repository())


def _raw_tokens() -> list[str]:
    from tourdraw.people.keyrotation import sealed_columns

    tokens = []
    with connection.cursor() as cursor:
        for model, column in sealed_columns():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table}")  # noqa: S608
            tokens += [value for (value,) in cursor.fetchall() if value]
    return tokens


def test_rotating_the_data_keys_re_encrypts_everything_so_the_old_key_can_go(
    settings, visitor, round, sent
):
    from django.core.management import call_command

    from tests.support import make_site, request_group
    from tourdraw.lottery.entries import CompanionInput, enter_round
    from tourdraw.notify import outbox
    from tourdraw.people.models import Visitor

    slot = round.slots.order_by("starts_at").first()
    companion = resident_id(date(1990, 5, 6), region="310101", sequence=7)
    enter_round(
        round,
        visitor,
        choices=[slot.pk],
        companions=[CompanionInput(full_name="陈静", id_type="cn_resident", id_number=companion)],
    )
    request_group(make_site())
    outbox.enqueue("sms", "+8613900000001", "hello", topic="test", language="en")
    old = settings.TOURDRAW_DATA_KEYS[0]
    new = keys.new_data_key()
    before = _raw_tokens()
    assert len(before) >= 8  # numbers, birth dates, phones, a recipient, a contact

    settings.TOURDRAW_DATA_KEYS = [new]
    with pytest.raises(InvalidToken):
        Person.objects.get(is_self=True)  # the new key alone cannot read old rows

    settings.TOURDRAW_DATA_KEYS = [new, old]
    call_command("rotate_data_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115

    settings.TOURDRAW_DATA_KEYS = [new]
    after = _raw_tokens()
    assert len(after) == len(before) and not set(after) & set(before)
    for token in after:
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(token.encode())
    people = {p.full_name: p for p in Person.objects.all()}
    assert people["陈静"].id_number == companion
    assert people["陈静"].birth_date == date(1990, 5, 6)
    assert Visitor.objects.get().phone == "+8613900000001"
