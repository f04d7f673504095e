"""The schema's limits are the services' limits: whatever the schema lets
through, the service takes (hypothesis draws from the schema's own patterns)."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tourdraw.api.schemas import FILLED, PHONE_PATTERN
from tourdraw.people import sign_in


@settings(max_examples=300, deadline=None)
@given(st.from_regex(PHONE_PATTERN, fullmatch=True))
def test_every_phone_the_schema_allows_is_a_valid_number(phone: str) -> None:
    assert sign_in.parse_phone(phone).is_valid()


@settings(max_examples=300, deadline=None)
@given(st.from_regex(FILLED, fullmatch=True))
def test_a_filled_text_is_never_blank_to_the_services(text: str) -> None:
    # The services strip and refuse what is left empty.
    assert text.strip()
    assert " ".join(text.split())


def test_the_phone_pattern_keeps_to_the_sign_in_regions() -> None:
    for allowed in ("13800138000", "+8613800138000", "+85291234567", "+886912345678"):
        assert re.fullmatch(PHONE_PATTERN, allowed), allowed
    # A landline, a satellite phone, UK and Bangladesh mobiles: SMS cost, no visitor.
    for refused in ("01012345678", "+881612345678", "+447911123456", "+8801712345678"):
        assert not re.fullmatch(PHONE_PATTERN, refused), refused


def test_a_client_reading_the_schema_finds_no_blank_text_filled() -> None:
    """A client validates with its own regex engine (JavaScript's, or
    jsonschema-rs as schemathesis does), whose \\s is not Python's: "\\x1e" was
    "filled" to it and blank to the services. Every space the services strip is
    refused by the pattern as published, read by such an engine."""
    import sys

    import jsonschema_rs

    published = jsonschema_rs.validator_for({"type": "string", "pattern": FILLED})
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert [repr(s) for s in spaces if published.is_valid(s) or published.is_valid(f" {s}\t")] == []
    assert published.is_valid(" 王 ") and published.is_valid("a\x1eb")
