"""Write limits, tried the way an attacker would get around them."""

import secrets

import pytest
from django.urls import reverse
from django_ratelimit.core import get_usage

from tests import support
from tests.api import test_writes
from tourdraw.api.models import ApiToken
from tourdraw.groups.models import GroupVisit
from tourdraw.people import crypto
from tourdraw.people.models import SignInCode

API = "/api/v1"
store = test_writes.shared_cache  # the database or Redis, as in test_writes
CASES = ["bearer", "BEARER", "Bearer", "bEaReR", "BeArEr", "beaRER", "BEARer", "bEARER"]


def _token_post(client, **headers):
    return client.post(
        f"{API}/auth/token",
        {"phone": "13912345678", "code": "000000"},
        content_type="application/json",
        **headers,
    )


def test_a_random_authorization_header_is_no_fresh_budget(client, db, settings, store):
    settings.TOURDRAW_ANONYMOUS_WRITE_RATE = "5/d"
    statuses = [
        _token_post(client, HTTP_AUTHORIZATION=f"Bearer {secrets.token_hex(8)}").status_code
        for _ in range(8)
    ]
    assert statuses.count(429) == 3 and 429 not in statuses[:5]


def test_letter_case_spellings_of_bearer_share_the_visitors_budget(
    client, round, visitor, settings, store
):
    settings.TOURDRAW_API_WRITE_RATE = "5/d"
    _, key = ApiToken.issue(visitor.user, "app")
    url = f"{API}/rounds/{round.code}/entries"
    statuses = [
        client.post(
            url, {}, content_type="application/json", HTTP_AUTHORIZATION=f"{case} {key}"
        ).status_code
        for case in CASES
    ]
    assert statuses.count(429) == 3 and 429 not in statuses[:5]


def test_a_forged_forwarded_for_is_no_fresh_budget(client, db, settings):
    settings.TOURDRAW_ANONYMOUS_WRITE_RATE = "3/d"
    statuses = [
        _token_post(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)
    ]
    assert statuses.count(429) == 2


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(client, db, settings):
    settings.TOURDRAW_ANONYMOUS_WRITE_RATE = "2/d"
    settings.TOURDRAW_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.1.2.3"}
    # A client's own X-Forwarded-For entries (left of the proxy's) are not read.
    first = [
        _token_post(client, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 198.51.100.7", **proxy).status_code
        for n in range(3)
    ]
    other = _token_post(client, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code
    assert first.count(429) == 1 and other != 429


def test_the_web_group_request_form_is_limited(client, db, settings):
    settings.TOURDRAW_GROUP_REQUEST_RATE = "3/d"
    site = support.make_site()
    form = {
        "organisation": "Spam Inc",
        "contact_name": "X",
        "contact_phone": "+8613912345678",
        "size": 20,
        "preferred_dates": "any",
        "purpose": "none",
    }
    url = reverse("web:group_request", args=[site.code])
    statuses = [client.post(url, form).status_code for _ in range(6)]
    assert statuses.count(429) == 3
    assert GroupVisit.objects.count() <= 3


def test_the_api_group_request_is_limited_too(client, db, settings):
    settings.TOURDRAW_GROUP_REQUEST_RATE = "2/d"
    site = support.make_site()
    body = {
        "organisation": "Spam Inc",
        "contact_name": "X",
        "contact_phone": "+8613912345678",
        "size": 20,
        "preferred_dates": "any",
        "purpose": "none",
    }
    url = f"{API}/sites/{site.code}/groups"
    statuses = [
        client.post(url, body, content_type="application/json").status_code for _ in range(4)
    ]
    assert statuses.count(429) == 2


def test_every_web_form_that_writes_is_limited_per_address(client, db, settings):
    settings.TOURDRAW_ANONYMOUS_WRITE_RATE = "3/d"
    forms = [reverse("web:sign_in_code"), reverse("web:sign_in"), "/backoffice/login/"]
    statuses = [client.post(url, {}).status_code for url in forms * 2]
    assert statuses[3:] == [429, 429, 429]


def test_a_signed_in_visitors_web_writes_are_limited_per_visitor(client, visitor, settings):
    settings.TOURDRAW_WEB_WRITE_RATE = "3/d"
    client.force_login(visitor.user)
    url = reverse("web:profile")
    statuses = [client.post(url, {}, REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(5)]
    assert statuses[3:] == [429, 429]


def _ask_code(client, phone: str, address: str):
    return client.post(
        f"{API}/auth/code", {"phone": phone}, content_type="application/json", REMOTE_ADDR=address
    )


@pytest.mark.parametrize(
    "phone",
    [
        "+447911123456",  # UK mobile
        "+12015550123",  # US
        "+881612345678",  # Iridium satellite
        "+8801712345678",  # Bangladesh mobile
        "+37360123456",  # Moldova mobile
        "+861062345678",  # a Beijing landline
    ],
)
def test_no_code_is_texted_outside_the_configured_regions_mobiles(client, db, sent, phone):
    response = _ask_code(client, phone, "192.0.2.1")
    # The API's schema states the rule (a refusal of the input's form is a 422)
    # and its answer names it: which numbers get codes.
    assert response.status_code == 422
    assert response.json()["code"] in {"phone_not_mobile", "phone_invalid"}
    assert "Hong Kong" in response.json()["message"]
    assert sent == [] and SignInCode.objects.count() == 0


@pytest.mark.parametrize(
    "phone", ["+8613912345678", "+85291234567", "+85366123456", "+886912345678"]
)
def test_mainland_hong_kong_macao_and_taiwan_mobiles_get_codes(
    client, db, phone, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask_code(client, phone, "192.0.2.1").status_code == 202


def test_a_second_address_gets_no_fresh_budget_for_one_phone(client, db, settings):
    settings.TOURDRAW_SIGN_IN_RATE_PER_PHONE = "3/d"
    statuses = [
        _ask_code(client, "+8613912345678", f"198.51.100.{n}").status_code for n in range(5)
    ]
    assert statuses == [202, 202, 202, 429, 429]
    assert SignInCode.objects.count() == 3


def test_a_stranger_cannot_lock_the_owner_out(
    client, db, sent, settings, django_capture_on_commit_callbacks
):
    """The owner asks for a code; someone at another address asks for codes for
    the same number until refused. The owner's code still signs them in, and the
    phone's limit lasts no longer than a code lives."""
    phone = "+8613912345678"
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask_code(client, phone, "192.0.2.1").status_code == 202
    owners_code = next(w for w in sent[-1].body.replace(".", " ").split() if w.isdigit())
    statuses = [_ask_code(client, phone, "203.0.113.9").status_code for _ in range(8)]
    assert 429 in statuses
    token = client.post(
        f"{API}/auth/token",
        {"phone": phone, "code": owners_code},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.1",
    )
    assert token.status_code == 200 and token.json()["token"].startswith("td_")
    usage = get_usage(
        _request(),
        group="sign-in-code-phone",
        key=lambda group, request: crypto.phone_hash(phone),
        rate=settings.TOURDRAW_SIGN_IN_RATE_PER_PHONE,
    )
    assert usage is not None and usage["should_limit"]
    assert usage["time_left"] <= settings.TOURDRAW_SIGN_IN_CODE_TTL.total_seconds()


def _request():
    from django.test import RequestFactory

    return RequestFactory().post("/api/v1/auth/code")
