"""Limits on asking for sign-in codes, shared by the pages and the API."""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from tourdraw.people import crypto


def too_many_codes(request: HttpRequest, phone: str) -> bool:
    """Counts this request; True once the phone or the IP has asked too often."""
    by_phone = is_ratelimited(
        request,
        group="sign-in-code-phone",
        key=lambda group, request: crypto.phone_hash(phone),
        rate=settings.TOURDRAW_SIGN_IN_RATE_PER_PHONE,
        increment=True,
    )
    by_ip = is_ratelimited(
        request,
        group="sign-in-code-ip",
        key="ip",
        rate=settings.TOURDRAW_SIGN_IN_RATE_PER_IP,
        increment=True,
    )
    return bool(by_phone or by_ip)
