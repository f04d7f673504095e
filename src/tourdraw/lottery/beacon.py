"""Reading a public random beacon from a drand-compatible HTTP endpoint.

The value bound to a round is the first drand randomness published after the
round closed, so nobody (the platform included) could know it while entries
were open. The beacon text names the chain and round, so anyone can look the
value up at any drand mirror and check it.
"""

import json
import math
import urllib.request
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from tourdraw.errors import DomainError


class BeaconUnavailable(DomainError):
    pass


def _get(url: str, timeout: float) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise BeaconUnavailable(
            _("The drand address must start with http:// or https://."),
            code="beacon_unavailable",
            field="beacon",
        )
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            data: dict[str, Any] = json.loads(response.read())
            return data
    except (OSError, ValueError) as error:
        raise BeaconUnavailable(
            _("The drand beacon could not be read: %(error)s") % {"error": error},
            code="beacon_unavailable",
            field="beacon",
        ) from error


def first_round_after(genesis_time: int, period: int, moment: datetime) -> int:
    """drand round r is published at genesis + (r - 1) * period; the first one strictly
    after ``moment``."""
    elapsed = moment.timestamp() - genesis_time
    return max(1, math.floor(elapsed / period) + 2)


def fetch_drand(base_url: str, after: datetime, *, timeout: float = 10.0) -> str:
    """The beacon text for the first drand round published after ``after``."""
    base = base_url.rstrip("/")
    info = _get(f"{base}/info", timeout)
    number = first_round_after(int(info["genesis_time"]), int(info["period"]), after)
    beacon = _get(f"{base}/public/{number}", timeout)
    if int(beacon.get("round", -1)) != number or not beacon.get("randomness"):
        raise BeaconUnavailable(
            _("drand has not published round %(round)d yet.") % {"round": number},
            code="beacon_unavailable",
            field="beacon",
        )
    return f"drand:{info.get('hash', '')}:round={number}:randomness={beacon['randomness']}"
