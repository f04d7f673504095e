"""Typed readers for settings that come from environment variables.

Each helper fails loudly on a value it cannot read, so that a typo in a
deployment stops the process at start-up instead of running half-configured.
"""

import json
import os
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from tourdraw.lottery import drand

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_secrets(names: tuple[str, ...]) -> dict[str, str]:
    """Secrets that must each be set: there is no default anywhere, so a start
    without them stops at once, naming every one that is missing."""
    missing = [name for name in names if not os.environ.get(name, "").strip()]
    if missing:
        raise ImproperlyConfigured(
            f"Set {', '.join(missing)} in the environment before starting tourdraw "
            "(see README, Configuration: each is a key of this install; "
            "`tourdraw demo` makes its own in var/keys.env for a local demo)."
        )
    return {name: os.environ[name].strip() for name in names}


def env_drand_chain(name: str) -> "drand.Chain":
    """A drand chain: ``quicknet`` (the default), or the JSON of a chain's ``/info``
    fields (name, hash, public_key, period, genesis_time, scheme) for a local chain."""
    from tourdraw.lottery import drand

    raw = os.environ.get(name, "quicknet").strip()
    if raw == "quicknet":
        return drand.QUICKNET
    try:
        return drand.Chain.from_json(json.loads(raw))
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"{name} must be 'quicknet' or a drand chain as JSON: {error}"
        ) from None
