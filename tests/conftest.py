from datetime import date

import pytest
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests import support
from tourdraw.lottery.models import Round
from tourdraw.people.models import Visitor

# Timing never decides a test: no example deadline, and no health check that
# fails a property because a loaded machine generated its inputs slowly.
hypothesis_settings.register_profile(
    "tourdraw", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("tourdraw")


@pytest.fixture(autouse=True)
def _memory_sms(settings):  # type: ignore[no-untyped-def]
    settings.TOURDRAW_CHANNELS = dict.fromkeys(
        ("sms", "voice", "email"), "tests.support.MemoryChannel"
    )
    support.SENT.clear()
    yield
    support.SENT.clear()


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    """Messages are asserted in English; Chinese pages are tested on purpose."""
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _local_drand_chain(settings):  # type: ignore[no-untyped-def]
    """Rounds fix their beacon on the local test chain; no relay is reachable."""
    settings.TOURDRAW_DRAND_CHAIN = support.CHAIN.chain
    settings.TOURDRAW_DRAND_RELAYS = []


@pytest.fixture
def sent() -> list:
    return support.SENT


@pytest.fixture
def round(db) -> Round:  # type: ignore[no-untyped-def]
    return support.make_round()


@pytest.fixture
def visitor(db) -> Visitor:  # type: ignore[no-untyped-def]
    return support.make_visitor()


@pytest.fixture
def other_visitor(db) -> Visitor:  # type: ignore[no-untyped-def]
    return support.make_visitor("+8613900000002", name="李秀英", birth_date=date(1990, 7, 1))


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    if connection.vendor != "postgresql":
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
