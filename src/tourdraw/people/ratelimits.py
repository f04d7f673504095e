"""Limits on asking for sign-in codes, shared by the pages and the API."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tourdraw import limits
from tourdraw.people import crypto


def too_many_codes(request: HttpRequest, phone: str) -> bool:
    """Counts this request; True once the phone or the client address has asked
    too often. The address is read behind trusted proxies only, so a forged
    X-Forwarded-For is no fresh budget; the phone's own budget is shared by
    every address, so a second address is none either. The phone is counted
    under its keyed hash, so the cache holds no number."""
    by_phone = limits.over_limit(
        request,
        "sign-in-code-phone",
        crypto.phone_hash(phone),
        settings.TOURDRAW_SIGN_IN_RATE_PER_PHONE,
    )
    by_ip = limits.over_limit(
        request,
        "sign-in-code-ip",
        limits.client_ip(request),
        settings.TOURDRAW_SIGN_IN_RATE_PER_IP,
    )
    return by_phone or by_ip


def too_many_codes_message() -> str:
    return _(
        "Too many codes were requested. Codes already sent still work; try again in a few minutes."
    )
