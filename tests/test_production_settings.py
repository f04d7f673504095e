"""Production settings: `check --deploy` is clean, and the headers a browser
needs to keep a visitor on HTTPS and scripts from elsewhere out are sent."""

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

SOURCE = Path(__file__).resolve().parents[1] / "src/tourdraw"


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a deployment sets: real keys, its host, TLS ended at a proxy."""
    return {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "tourdraw.settings",
        "TOURDRAW_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "TOURDRAW_DATA_KEYS": Fernet.generate_key().decode(),
        "TOURDRAW_HASH_KEY": secrets.token_urlsafe(32),
        "TOURDRAW_TICKET_KEYS": "k1:" + secrets.token_urlsafe(32)[:43],
        "TOURDRAW_LOG_KEY": "l1:" + secrets.token_urlsafe(32)[:43],
        "TOURDRAW_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "EMAIL_HOST": "smtp.example.com",
        "ALLOWED_HOSTS": "tours.example.com",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TOURDRAW_DATA_DIR": str(tmp_path),
        **extra,
    }


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_prints_no_warning_in_production(tmp_path):
    done = _run(
        _production_env(tmp_path), "-m", "django", "check", "--deploy", "--fail-level", "DEBUG"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


_HEADERS = """
import django, json
django.setup()
from django.test import Client
from django.urls import reverse
client = Client(HTTP_HOST="tours.example.com")
url = "/api/v1/openapi.json"
plain = client.get(url)
tls = client.get(url, HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "tls": [tls.status_code, dict(tls.headers)],
    "admin": reverse("admin:index"),
}))
"""


def test_production_sends_hsts_csp_referrer_policy_and_redirects_to_https(tmp_path):
    done = _run(_production_env(tmp_path), "-c", _HEADERS)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://tours.example.com/api/v1/openapi.json"]
    status, headers = seen["tls"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    # The admin is off the address scanners try.
    assert seen["admin"] == "/backoffice/admin/"


def test_a_client_cannot_claim_https_when_no_proxy_header_is_configured(tmp_path):
    env = _production_env(tmp_path)
    del env["SECURE_PROXY_SSL_HEADER"]
    done = _run(env, "-c", _HEADERS)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["tls"][0] == 301


def test_a_malformed_proxy_header_setting_stops_the_start(tmp_path):
    done = _run(
        _production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"),
        "-m",
        "django",
        "check",
    )
    assert done.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in done.stderr


# Inline code would be blocked by the policy: a page relying on it would break.
_INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I
)


def test_no_template_has_inline_script_or_style(db):
    offending = [
        f"{path.relative_to(SOURCE)}: {match.group(0)}"
        for path in SOURCE.glob("*/templates/**/*.html")
        for match in _INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


@pytest.mark.parametrize("url", ["/", "/api/v1/docs"])
def test_pages_carry_the_policy(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy


def test_the_gate_page_loads_its_code_from_this_host(client, db, gate_staff):
    from tests.support import drawn_round, sign_in_staff

    _, slot, _ = drawn_round(4, [2], [])
    sign_in_staff(client, gate_staff)
    page = client.get(reverse("backoffice:gate", args=[slot.pk])).content.decode()
    assert re.search(r'<script src="/static/backoffice/gate\.js" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
