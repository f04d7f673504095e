"""schemathesis generates requests from the OpenAPI schema and checks that no
response is a server error or breaks the schema.

Schema-valid data the services refuse (an unknown phone number, a slot of
another round) is answered with a documented 400: that is a business rule,
not a schema breach, so schemathesis' positive-data check is left out."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tourdraw.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _data(transactional_db):  # type: ignore[no-untyped-def]
    from tests import support

    support.drawn_round(10, [2], [2])


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case):  # type: ignore[no-untyped-def]
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
