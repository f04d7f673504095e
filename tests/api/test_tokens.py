"""A visitor's API tokens: they lapse, are listed and revoked by the visitor,
and signing out revokes the one in use. Idempotency keys stay with their user."""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.api.models import ApiToken
from tourdraw.groups.models import GroupVisit

API = "/api/v1"


def _signed_in_token(client, phone: str, sent, capture) -> str:
    with capture(execute=True):
        client.post(f"{API}/auth/code", {"phone": phone}, content_type="application/json")
    code = next(w for w in sent[-1].body.replace(".", " ").split() if w.isdigit())
    response = client.post(
        f"{API}/auth/token", {"phone": phone, "code": code}, content_type="application/json"
    )
    return response.json()["token"]


def test_a_visitor_token_lapses_after_the_configured_days(
    client, db, sent, settings, django_capture_on_commit_callbacks
):
    key = _signed_in_token(client, "+8613912345678", sent, django_capture_on_commit_callbacks)
    token = ApiToken.objects.get()
    assert token.expires_at is not None
    assert abs(token.expires_at - token.created_at - timedelta(days=30)) < timedelta(seconds=5)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"{API}/me/entries", **bearer).status_code == 200
    # A month on: the stolen or forgotten token opens nothing.
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"{API}/me/entries", **bearer).status_code == 401


def test_signing_out_revokes_the_token_in_use(client, db, sent, django_capture_on_commit_callbacks):
    key = _signed_in_token(client, "+8613912345678", sent, django_capture_on_commit_callbacks)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.post(f"{API}/auth/sign-out", **bearer).status_code == 204
    assert client.get(f"{API}/me/entries", **bearer).status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_a_visitor_lists_and_revokes_their_tokens_in_the_api(
    client, db, sent, django_capture_on_commit_callbacks
):
    phone = "+8613912345678"
    lost = _signed_in_token(client, phone, sent, django_capture_on_commit_callbacks)
    kept = _signed_in_token(client, phone, sent, django_capture_on_commit_callbacks)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {kept}"}
    listed = client.get(f"{API}/me/tokens", **bearer).json()
    assert [t["current"] for t in listed] == [True, False]
    assert all("td_" not in str(t) or t["prefix"] for t in listed)
    lost_id = listed[1]["id"]
    revoked = client.post(f"{API}/me/tokens/{lost_id}/revoke", **bearer)
    assert revoked.status_code == 200
    assert client.get(f"{API}/me/entries", HTTP_AUTHORIZATION=f"Bearer {lost}").status_code == 401
    assert client.get(f"{API}/me/entries", **bearer).status_code == 200


def test_a_visitor_cannot_revoke_someone_elses_token(client, visitor, other_visitor):
    theirs, _ = ApiToken.issue(other_visitor.user, "sign-in")
    _, my_key = ApiToken.issue(visitor.user, "sign-in")
    response = client.post(
        f"{API}/me/tokens/{theirs.pk}/revoke", HTTP_AUTHORIZATION=f"Bearer {my_key}"
    )
    assert response.status_code == 400 and response.json()["code"] == "token_not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_profile_page_lists_and_revokes_the_visitors_tokens(client, visitor, other_visitor):
    mine, key = ApiToken.issue(visitor.user, "sign-in")
    theirs, _ = ApiToken.issue(other_visitor.user, "sign-in")
    client.force_login(visitor.user)
    html = client.get(reverse("web:profile")).content.decode()
    assert mine.prefix in html and theirs.prefix not in html
    client.post(reverse("web:token_revoke", args=[theirs.pk]))
    client.post(reverse("web:token_revoke", args=[mine.pk]))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    app = Client()  # the app holds only the token, not the page's session
    assert app.get(f"{API}/me/entries", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def _group_body(contact: str) -> dict:
    return {
        "organisation": "港澳青年代表团",
        "contact_name": "陈老师",
        "contact_phone": contact,
        "size": 30,
        "preferred_dates": "July",
        "purpose": "Youth exchange",
    }


def test_two_anonymous_clients_behind_one_address_never_get_each_others_answer(client, db):
    """Two offices behind one NAT send group requests with the same Idempotency-Key;
    the second must not be handed the first group's secret code."""
    site = support.make_site()
    url = f"{API}/sites/{site.code}/groups"
    first = client.post(
        url,
        _group_body("+85291234567"),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="1",
    )
    second = client.post(
        url,
        _group_body("+85291234567"),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="1",
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] != second.json()["code"]
    assert "Idempotent-Replayed" not in second
    assert GroupVisit.objects.count() == 2


def test_a_visitors_idempotency_key_spans_their_tokens_not_other_visitors(
    client, round, visitor, other_visitor
):
    _, phone_app = ApiToken.issue(visitor.user, "sign-in")
    _, tablet_app = ApiToken.issue(visitor.user, "sign-in")
    _, stranger = ApiToken.issue(other_visitor.user, "sign-in")
    url = f"{API}/rounds/{round.code}/entries"
    body = {"choices": [round.slots.first().pk]}
    sent = [
        client.post(
            url,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            HTTP_IDEMPOTENCY_KEY="entry",
        )
        for key in (phone_app, tablet_app, stranger)
    ]
    assert sent[1]["Idempotent-Replayed"] == "true"
    assert sent[1].json() == sent[0].json()
    assert "Idempotent-Replayed" not in sent[2]
    assert sent[2].json()["code"] != sent[0].json()["code"]
