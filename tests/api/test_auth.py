"""Bearer tokens: who they are, and how often their use is written down."""

from datetime import timedelta

from django.utils import timezone

from tests import support
from tourdraw.api.auth import LAST_USED_GRAIN
from tourdraw.api.models import ApiToken

API = "/api/v1"


def test_a_token_records_its_use_at_most_once_per_grain(client, db, site_operator):
    token, key = ApiToken.issue(site_operator, "partner system")
    assert token.last_used_at is None  # a partner's token is unused until it is used
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"{API}/operator/groups", **bearer).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(f"{API}/operator/groups", **bearer)
    token.refresh_from_db()
    assert token.last_used_at == first  # within the grain: no write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - LAST_USED_GRAIN)
    client.get(f"{API}/operator/groups", **bearer)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(seconds=1)


def test_a_revoked_token_or_an_inactive_user_is_not_signed_in(client, db, site_operator):
    token, key = ApiToken.issue(site_operator, "partner system", used_at=timezone.now())
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert client.get(f"{API}/operator/groups", **bearer).json()["code"] == "not_signed_in"
    _, key = ApiToken.issue(site_operator, "again")
    site_operator.is_active = False
    site_operator.save()
    response = client.get(f"{API}/operator/groups", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401


def test_a_signed_in_browser_session_works_and_keeps_the_csrf_check(db):
    from django.test import Client

    round = support.make_round(support.make_tour())
    visitor = support.make_visitor()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(visitor.user)
    assert browser.get(f"{API}/me/entries").json() == {"items": [], "count": 0}
    body = {"choices": [support.present(round.slots.first()).pk]}
    forged = browser.post(
        f"{API}/rounds/{round.code}/entries", body, content_type="application/json"
    )
    assert forged.status_code == 403 and forged.json()["code"] == "forbidden"
    browser.get("/")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    entered = browser.post(
        f"{API}/rounds/{round.code}/entries",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert entered.status_code == 201, entered.json()
