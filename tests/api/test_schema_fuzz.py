"""schemathesis generates requests from the OpenAPI schema, as an anonymous
client, a signed-in visitor and a platform admin, and checks that no response
is a server error, breaks the schema, or refuses data the schema allows
(positive_data_acceptance: the schema states every limit the services enforce).

What the schema cannot know is the state of the world: an unknown code is a
404, a round that is not open or an offer already decided is a 409. A longer
run is in the README (development)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config._checks import (
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
    PositiveDataAcceptanceConfig,
)

from tourdraw.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# A 400 is a rule about the content the schema cannot hold (an ID number's
# checksum, a round that is closed); a refusal of the input's form is a 422,
# which the check counts as "the schema allows what the service refuses".
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=[*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "400"]
)
EXAMPLES = int(os.environ.get("TOURDRAW_FUZZ_EXAMPLES", "15"))


@pytest.fixture(autouse=True)
def _data(transactional_db, settings):
    from tests import support

    # Every generated request comes from one address, hundreds a minute: the
    # per-address limit for anonymous writes (tests/api/test_limits.py) would
    # answer 429 where the schema's answers are checked, sooner or later
    # depending on speed. The limits are not what this test is about.
    settings.TOURDRAW_ANONYMOUS_WRITE_RATE = "100000/m"
    support.drawn_round(10, [2], [2])


@pytest.fixture(params=["anonymous", "visitor", "staff"])
def identity(request, _data) -> dict[str, str]:
    from tests import support

    if request.param == "anonymous":
        return {}
    if request.param == "visitor":
        user = support.make_visitor("+8613900000099", sequence=99).user
    else:
        user = support.make_staff("fuzz-admin", "platform_admin", None)
    return {"Authorization": support.api_token_headers(user)["HTTP_AUTHORIZATION"]}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case, identity):
    # A WSGI server always names the peer; schemathesis' in-process client does not.
    case.call_and_validate(headers=identity, environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
