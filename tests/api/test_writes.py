"""Idempotency keys and rate limits on the API's POSTs."""

import os
from datetime import date

import pytest

from tests import support
from tourdraw.api.models import ApiToken
from tourdraw.lottery.models import Entry

API = "/api/v1"


def _entry_body(round, name: str = "李秀英", sequence: int = 45) -> dict:
    return {
        "choices": [round.slots.first().pk],
        "companions": [
            {
                "full_name": name,
                "id_number": support.resident_id(date(1987, 6, 1), "310101", sequence),
            }
        ],
    }


def test_the_same_key_and_body_get_the_first_response_again(client, round, visitor):
    _, key = ApiToken.issue(visitor.user, "app")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": "entry-1"}
    url = f"{API}/rounds/{round.code}/entries"
    first = client.post(url, _entry_body(round), content_type="application/json", **headers)
    again = client.post(url, _entry_body(round), content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Entry.objects.count() == 1


def test_the_same_key_with_another_body_is_a_conflict(client, round, visitor):
    _, key = ApiToken.issue(visitor.user, "app")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": "entry-1"}
    url = f"{API}/rounds/{round.code}/entries"
    client.post(url, _entry_body(round), content_type="application/json", **headers)
    other = client.post(
        url, _entry_body(round, "王芳", 46), content_type="application/json", **headers
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"


def test_keys_belong_to_their_sender(client, round, visitor, other_visitor):
    url = f"{API}/rounds/{round.code}/entries"
    for person, sequence in ((visitor, 45), (other_visitor, 46)):
        _, key = ApiToken.issue(person.user, "app")
        response = client.post(
            url,
            _entry_body(round, f"同伴{sequence}", sequence),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            HTTP_IDEMPOTENCY_KEY="same-key",
        )
        assert response.status_code == 201
    assert Entry.objects.count() == 2


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    """The rate limits' store: the database (the embedded default) or Redis (a
    platform of several servers, REDIS_URL), which CI starts."""
    if request.param == "redis":
        url = os.environ.get("TOURDRAW_TEST_REDIS_URL")
        if not url:
            pytest.skip("needs Redis (set TOURDRAW_TEST_REDIS_URL)")
        settings.CACHES = {"default": {"BACKEND": "tourdraw.cache.RedisCache", "LOCATION": url}}
        from django.core.cache import cache

        cache.clear()
    return request.param


def test_too_many_writes_get_429_with_retry_after(client, db, settings, shared_cache):
    settings.TOURDRAW_ANONYMOUS_WRITE_RATE = "2/d"
    url = f"{API}/auth/token"
    statuses = [
        client.post(
            url, {"phone": "13912345678", "code": "000000"}, content_type="application/json"
        ).status_code
        for _ in range(3)
    ]
    assert statuses[:2] == [400, 400] and statuses[2] == 429
    limited = client.post(url, {}, content_type="application/json")
    assert limited["Retry-After"] == "60" and limited.json()["code"] == "rate_limited"


def test_a_key_whose_request_died_is_retried_after_its_lease(client, round, visitor, monkeypatch):
    from datetime import timedelta

    from django.db.models import F

    from tourdraw.api.models import IdempotencyKey
    from tourdraw.lottery import entries

    _, key = ApiToken.issue(visitor.user, "app")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": "entry-1"}
    url = f"{API}/rounds/{round.code}/entries"
    real_enter_round = entries.enter_round

    def killed(*args, **kwargs):
        raise SystemExit(1)  # the web worker is killed mid-request: no answer is stored

    monkeypatch.setattr(entries, "enter_round", killed)
    with pytest.raises(SystemExit):
        client.post(url, _entry_body(round), content_type="application/json", **headers)
    monkeypatch.setattr(entries, "enter_round", real_enter_round)
    held = client.post(url, _entry_body(round), content_type="application/json", **headers)
    assert held.status_code == 409
    assert held.json()["code"] == "idempotency_in_progress"
    assert 1 <= int(held["Retry-After"]) <= 121
    # The lease runs out: the record is as it would be two minutes and a second later.
    later = timedelta(minutes=2, seconds=1)
    IdempotencyKey.objects.update(
        created_at=F("created_at") - later, leased_until=F("leased_until") - later
    )
    retried = client.post(url, _entry_body(round), content_type="application/json", **headers)
    assert retried.status_code == 201
    again = client.post(url, _entry_body(round), content_type="application/json", **headers)
    assert again["Idempotent-Replayed"] == "true"
    assert Entry.objects.count() == 1


def test_keys_expire_and_are_pruned(client, round, visitor):
    from datetime import timedelta

    from django.db.models import F
    from django.utils import timezone

    from tourdraw.api.idempotency import prune_expired
    from tourdraw.api.models import IdempotencyKey

    _, key = ApiToken.issue(visitor.user, "app")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": "entry-1"}
    url = f"{API}/rounds/{round.code}/entries"
    client.post(url, _entry_body(round), content_type="application/json", **headers)
    IdempotencyKey.objects.update(created_at=F("created_at") - timedelta(hours=25))
    # A day later the key is free again: another request may use it.
    reused = client.post(
        url, {"choices": [round.slots.first().pk]}, content_type="application/json", **headers
    )
    assert reused.status_code != 409
    IdempotencyKey.objects.update(created_at=F("created_at") - timedelta(hours=25))
    client.post(
        f"{API}/rounds/{round.code}/entries",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_IDEMPOTENCY_KEY="fresh",
    )
    assert prune_expired(timezone.now()) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
