"""This install's secrets: which there are, how fresh ones are made, where the demo keeps them.

No key lives in the source. A deployment sets every one in the environment;
``tourdraw demo`` makes a set on its first run, keeps it in ``var/keys.env``
(git-ignored, readable by the owner only) and reuses it, so the demo's
tickets and encrypted fields survive a restart. Imports nothing from Django:
the command line uses it before settings exist.
"""

import base64
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet

# Each is "key-id:base64url(32 raw bytes)", like TOURDRAW_TICKET_KEYS.
_ED25519_SETTINGS = ("TOURDRAW_TICKET_KEYS", "TOURDRAW_LOG_KEY")

REQUIRED = (
    "SECRET_KEY",
    "TOURDRAW_DATA_KEYS",
    "TOURDRAW_HASH_KEY",
    "TOURDRAW_TICKET_KEYS",
    "TOURDRAW_LOG_KEY",
)
# Generated with the others so the demo has it: the webhook secret is needed
# only with a webhook channel.
GENERATED = (*REQUIRED, "TOURDRAW_WEBHOOK_SECRET")

DEMO_KEYS_FILE = "keys.env"


def default_data_dir() -> Path:
    project = Path(__file__).resolve().parent.parent.parent
    return Path(os.environ.get("TOURDRAW_DATA_DIR", str(project / "var")))


def new_ed25519_key(key_id: str) -> str:
    raw = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"{key_id}:{raw}"


def new_data_key() -> str:
    return Fernet.generate_key().decode("ascii")


def generate() -> dict[str, str]:
    """A complete, fresh set of keys; key ids carry the day they were made."""
    key_id = datetime.now(UTC).strftime("k%Y%m%d")
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "TOURDRAW_DATA_KEYS": new_data_key(),
        "TOURDRAW_HASH_KEY": secrets.token_urlsafe(32),
        "TOURDRAW_WEBHOOK_SECRET": secrets.token_urlsafe(32),
    }
    values.update({name: new_ed25519_key(key_id) for name in _ED25519_SETTINGS})
    return values


def _read(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text("utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def demo_keys(data_dir: Path) -> dict[str, str]:
    """The demo's keys, made on its first run and read back on every later one.

    A key missing from an older file (a setting added since) is added to it.
    """
    path = data_dir / DEMO_KEYS_FILE
    values = _read(path) if path.exists() else {}
    missing = [name for name in GENERATED if not values.get(name)]
    if missing:
        fresh = generate()
        values.update({name: fresh[name] for name in missing})
        data_dir.mkdir(parents=True, exist_ok=True)
        lines = ["# tourdraw demo keys for this install only; never copy them to a deployment."]
        lines += [f"{name}={values[name]}" for name in GENERATED]
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text("\n".join(lines) + "\n", "utf-8")
    return values


def use_demo_keys() -> None:
    """Development mode with this install's demo keys, unless the environment says otherwise."""
    os.environ.setdefault("TOURDRAW_ENV", "development")
    for name, value in demo_keys(default_data_dir()).items():
        os.environ.setdefault(name, value)
