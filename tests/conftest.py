from collections.abc import Callable, Iterator
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from pytest_django.fixtures import Settings

from tests import support
from tourdraw.catalog.models import Site
from tourdraw.lottery.models import Round
from tourdraw.notify.channels import Message
from tourdraw.people.models import StaffRole, User, Visitor

# Timing never decides a test: no example deadline, and no health check that
# fails a property because a loaded machine generated its inputs slowly.
hypothesis_settings.register_profile(
    "tourdraw", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("tourdraw")


@pytest.fixture(autouse=True)
def _memory_sms(settings: Settings) -> Iterator[None]:
    settings.TOURDRAW_CHANNELS = dict.fromkeys(
        ("sms", "voice", "email"), "tests.support.MemoryChannel"
    )
    support.SENT.clear()
    yield
    support.SENT.clear()


@pytest.fixture(autouse=True)
def _english(settings: Settings) -> Iterator[None]:
    """Messages are asserted in English; Chinese pages are tested on purpose."""
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _local_drand_chain(settings: Settings) -> None:
    """Rounds fix their beacon on the local test chain; no relay is reachable."""
    settings.TOURDRAW_DRAND_CHAIN = support.CHAIN.chain
    settings.TOURDRAW_DRAND_RELAYS = []


@pytest.fixture
def sent() -> list[Message]:
    return support.SENT


@pytest.fixture
def round(db: None) -> Round:
    return support.make_round()


@pytest.fixture
def visitor(db: None) -> Visitor:
    return support.make_visitor()


@pytest.fixture
def other_visitor(db: None) -> Visitor:
    return support.make_visitor("+8613900000002", name="李秀英", birth_date=date(1990, 7, 1))


# Staff of each role: one of each at the shared site, an operator of another
# site (whose objects every back-office page must keep out of view), and a
# Django superuser for the admin site.


@pytest.fixture
def site(db: None) -> Site:
    return support.make_site()


@pytest.fixture
def other_site(db: None) -> Site:
    return support.make_site("nio", name="蔚来")


@pytest.fixture
def platform_admin(db: None) -> User:
    return support.make_staff("admin", StaffRole.Role.PLATFORM_ADMIN, None)


@pytest.fixture
def site_operator(site: Site) -> User:
    return support.make_staff("op", StaffRole.Role.SITE_OPERATOR, site)


@pytest.fixture
def call_centre_agent(site: Site) -> User:
    return support.make_staff("agent", StaffRole.Role.CALL_CENTRE, site)


@pytest.fixture
def gate_staff(site: Site) -> User:
    return support.make_staff("gatekeeper", StaffRole.Role.GATE, site)


@pytest.fixture
def other_site_operator(other_site: Site) -> User:
    return support.make_staff("nio-op", StaffRole.Role.SITE_OPERATOR, other_site)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", password="root-pass-123")


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """The test client signed in as the given staff member, past both factors."""

    def sign_in(user: User) -> Client:
        support.sign_in_staff(client, user)
        return client

    return sign_in


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    if connection.vendor != "postgresql":
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
