"""Django's Redis cache, with one Redis client per connection pool.

Django's backend builds a new ``redis.Redis`` for every cache operation, and
redis-py fills in some 170 response callbacks each time: that was half of what a
rate-limit check cost an API write. A client is safe to share (it takes a
connection from its pool for each command), and Django keeps a cache object per
thread anyway.

Django offers no public way to choose the client class or to reach a
connection pool, so two of its private names are used: ``RedisCache._class``
and ``RedisCacheClient._get_connection_pool``. tests/test_cache.py pins both,
and fails when a Django upgrade renames or changes them.
"""

from collections.abc import Callable
from typing import Any

import redis
from django.core.cache.backends import db as django_db
from django.core.cache.backends import redis as django_redis
from django.db import connections, router, transaction

_INCR_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('incrby', KEYS[1], ARGV[1])
end
return false
"""


class _ClientPerPool(django_redis.RedisCacheClient):
    # Django's private method (pinned by tests/test_cache.py), which
    # django-stubs leaves out.
    _get_connection_pool: Callable[[bool], Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[Any, Any] = {}

    def incr(self, key: Any, delta: int) -> Any:
        """Django checks that the key exists, then increments: two commands, and
        a key that expires between them comes back as a counter with no expiry.
        One script does both at once, so a rate-limit count is never lost or
        left behind."""
        found = self.get_client(key, write=True).eval(_INCR_IF_EXISTS, 1, key, delta)
        if found is None:
            raise ValueError(f"Key {key!r} not found.")
        return found

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = redis.Redis(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """``django.core.cache.backends.redis.RedisCache``, same settings."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ClientPerPool


class DatabaseCache(django_db.DatabaseCache):
    """``django.core.cache.backends.db.DatabaseCache`` with an atomic ``incr``.

    Django's reads the value, then writes value + delta: two parallel requests
    both read 4 and both write 5, and a rate limit lets both through. Here the
    read and the write share one transaction holding the row's lock (FOR
    UPDATE on PostgreSQL; on SQLite, whose transactions take the write lock at
    BEGIN, the transaction alone), so the embedded deployment keeps its limits
    without Redis.
    """

    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        self.table = table

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with transaction.atomic(using=db):
            if connection.features.has_select_for_update:
                table = connection.ops.quote_name(self.table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        # The table name is the cache's setting, quoted; the key is bound.
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)


# The backends above, whose increments are atomic (what django-ratelimit needs).
ATOMIC_BACKENDS = frozenset({"tourdraw.cache.RedisCache", "tourdraw.cache.DatabaseCache"})


def check_rate_limit_cache(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """django-ratelimit's cache check, less its warning that a backend is not on
    its list when the backend is one of these. Narrower than silencing that
    warning for every backend: an unknown backend still warns, and its errors
    (a cache that cannot count atomically) still stop the start."""
    from django.conf import settings
    from django_ratelimit.checks import check_caches

    name = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = (getattr(settings, "CACHES", None) or {}).get(name, {}).get("BACKEND")
    return [
        message
        for message in check_caches(app_configs, **kwargs)
        if not (message.id == "django_ratelimit.W001" and backend in ATOMIC_BACKENDS)
    ]


def replace_rate_limit_check() -> None:
    """Run ``check_rate_limit_cache`` in place of django-ratelimit's own check
    (registered when its app is ready, which is listed before ours)."""
    from django.core import checks
    from django_ratelimit.checks import check_caches

    checks.registry.registry.registered_checks.discard(check_caches)
    checks.register(check_rate_limit_cache, checks.Tags.caches)
