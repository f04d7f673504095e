"""Who a request counts against, for the write limits.

A limit keyed on anything the sender chooses (an ``Authorization`` header, a
letter-case spelling of "Bearer", a cookie) is no limit: a fresh value is a
fresh budget. So a request counts against its verified user (after the token
or session is checked) or else against its client address, read behind the
configured trusted proxies only.
"""

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted(tuple(settings.TOURDRAW_TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The address of the client: REMOTE_ADDR, unless that is a trusted proxy;
    then the nearest address in X-Forwarded-For that is not one. Addresses a
    client wrote itself (left of the first untrusted hop) are never read."""
    address = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address  # a mangled header: count it against the proxy
    return address


def sender(request: HttpRequest) -> tuple[str, bool]:
    """``("user:<id>", True)`` for a verified user, else ``("ip:<address>", False)``."""
    from tourdraw.api.auth import bearer_token

    token = bearer_token(request)
    if token is not None:
        return f"user:{token.user_id}", True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", True
    return f"ip:{client_ip(request)}", False


def over_limit(request: HttpRequest, group: str, key: str, rate: str) -> bool:
    """Count this request against ``key`` in ``group``; True once over ``rate``."""
    return bool(
        is_ratelimited(
            request, group=group, key=lambda _group, _request: key, rate=rate, increment=True
        )
    )


def over_write_limit(request: HttpRequest, group: str, rate: str) -> bool:
    """The write budget: ``rate`` per verified user, the anonymous rate per address."""
    key, verified = sender(request)
    return over_limit(
        request, group, key, rate if verified else settings.TOURDRAW_ANONYMOUS_WRITE_RATE
    )


class WebWritesMiddleware:
    """Every form that writes (pages, back office, admin) has a limit; the API
    has its own middleware, which answers in JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in WRITES
            and not request.path.startswith("/api/")
            and over_write_limit(request, "web-writes", settings.TOURDRAW_WEB_WRITE_RATE)
        ):
            return too_many_requests(request, retry_after=60)
        return self.get_response(request)


def too_many_requests(request: HttpRequest, *, retry_after: int | None = None) -> HttpResponse:
    """The page a request over a limit gets, with when to try again if known."""
    response = render(request, "web/rate_limited.html", {"retry_after": retry_after}, status=429)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def too_many_group_requests(request: HttpRequest) -> bool:
    """Group visit requests per client address, on the page and in the API: each
    one lands in an operator's queue, signed in or not."""
    return over_limit(
        request, "group-requests", f"ip:{client_ip(request)}", settings.TOURDRAW_GROUP_REQUEST_RATE
    )


def too_many_leftover_claims(request: HttpRequest) -> bool:
    """Claims of leftover places per verified visitor, on the page and in the API
    alike (one budget): the places go first come, first served, and a script
    firing claims must not crowd out people."""
    key, _verified = sender(request)
    return over_limit(request, "leftover-claims", key, settings.TOURDRAW_LEFTOVER_CLAIM_RATE)
