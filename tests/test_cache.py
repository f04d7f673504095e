"""The Redis cache backend: Django's, with one client per connection pool."""

import os
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.db import connection

from tourdraw.cache import RedisCache


@pytest.fixture
def redis_cache() -> RedisCache:
    url = os.environ.get("TOURDRAW_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs Redis (set TOURDRAW_TEST_REDIS_URL)")
    cache = RedisCache(url, {"KEY_PREFIX": "tourdraw-test-cache"})
    cache.clear()
    return cache


def _client(cache: RedisCache, *, write: bool = False) -> Any:
    """The client Django's backend hands out for one operation (``_cache`` is not
    in django-stubs)."""
    return cast(Any, cache)._cache.get_client(write=write)


def test_one_client_serves_every_operation(redis_cache: RedisCache) -> None:
    client = _client(redis_cache, write=True)
    assert _client(redis_cache) is client
    assert redis_cache.add("hits", 1, 60) is True
    assert redis_cache.add("hits", 5, 60) is False
    assert redis_cache.incr("hits") == 2
    redis_cache.set("party", {"size": 3}, 60)
    assert redis_cache.get("party") == {"size": 3}
    assert redis_cache.get_many(["hits", "party", "none"]) == {"hits": 2, "party": {"size": 3}}
    assert redis_cache.delete("party") is True
    assert redis_cache.get("party", "gone") == "gone"
    assert _client(redis_cache, write=True) is client


def test_each_server_has_its_own_client() -> None:
    # Writes go to the first server, reads to the others (Django's rule); no
    # server is contacted to build a client.
    cache = RedisCache("redis://127.0.0.1:1/0,redis://127.0.0.1:2/0", {})
    writer = _client(cache, write=True)
    reader = _client(cache)
    assert writer is not reader
    assert _client(cache, write=True) is writer and _client(cache) is reader
    assert writer.connection_pool.connection_kwargs["port"] == 1
    assert reader.connection_pool.connection_kwargs["port"] == 2


def test_migrate_creates_the_cache_table(db):
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE tourdraw_cache")
    assert "tourdraw_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert "tourdraw_cache" in connection.introspection.table_names()


def _hammer(cache, threads: int, each: int) -> list[str]:
    """``threads`` workers, released together, each incrementing ``each`` times."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(threads)
    failures: list[str] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(each):
                cache.incr("hits")
        except Exception as error:  # reported by the caller's assertion
            failures.append(repr(error))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


@pytest.mark.postgres
def test_the_database_cache_loses_no_parallel_increment(transactional_db):
    """Rate limits count with incr; two requests at once must add two."""
    from django.core.cache import caches

    cache = caches["default"]
    assert type(cache).__module__ == "tourdraw.cache"
    cache.add("hits", 0, 300)
    assert _hammer(cache, threads=6, each=30) == []
    assert cache.get("hits") == 180


def test_an_increment_of_a_missing_key_is_refused(db):
    from django.core.cache import caches

    with pytest.raises(ValueError):
        caches["default"].incr("never-added")
    assert caches["default"].get("never-added") is None


def test_a_cache_that_cannot_count_atomically_fails_the_checks(settings):
    """A deployment pointing the limits at Django's own database cache (or a
    per-process memory cache) would let parallel requests past every limit."""
    from django.core.management.base import SystemCheckError

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tourdraw_cache",
        }
    }
    with pytest.raises(SystemCheckError, match=r"django_ratelimit\.E003"):
        call_command("check")
    settings.CACHES = {
        "default": {"BACKEND": "tourdraw.cache.DatabaseCache", "LOCATION": "tourdraw_cache"}
    }
    call_command("check")


def test_only_the_atomic_backends_go_without_django_ratelimits_warning(settings):
    """The warning that a backend is not on django-ratelimit's list is dropped
    for tourdraw's atomic backends only: a deployment pointing the limits at a
    backend nobody checked (Django's own Redis cache, whose increment is two
    commands) is still warned, not silenced."""
    from django.core.management.base import SystemCheckError

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with pytest.raises(SystemCheckError, match=r"django_ratelimit\.W001"):
        call_command("check", fail_level="WARNING")
    for backend in ("tourdraw.cache.RedisCache", "tourdraw.cache.DatabaseCache"):
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "tourdraw_cache"}}
        call_command("check", fail_level="WARNING")


def test_the_private_django_names_the_redis_cache_relies_on_still_work() -> None:
    """Django has no public hook for the Redis client class or its connection
    pools; tourdraw.cache uses ``RedisCache._class`` and
    ``RedisCacheClient._get_connection_pool``. This fails when Django changes
    either, before the cache silently goes back to a client per operation."""
    import redis
    from django.core.cache.backends import redis as django_redis

    # Any: django-stubs leaves the private names out.
    plain: Any = django_redis.RedisCache("redis://127.0.0.1:1/0", {})
    assert plain._class is django_redis.RedisCacheClient
    assert type(plain._cache) is django_redis.RedisCacheClient
    client: Any = django_redis.RedisCacheClient(["redis://127.0.0.1:1/0"])
    pool = client._get_connection_pool(True)
    assert isinstance(pool, redis.ConnectionPool)
    assert client._get_connection_pool(False) is pool
    assert pool.connection_kwargs["port"] == 1
    ours: Any = RedisCache("redis://127.0.0.1:1/0", {})
    assert type(ours._cache).__name__ == "_ClientPerPool"
    assert ours._cache.get_client(write=True) is ours._cache.get_client()
