from datetime import date, datetime
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, Path, Query, Schema
from pydantic import ConfigDict, StringConstraints

from tourdraw.edge import MAX_VALUE_LENGTH
from tourdraw.errors import Code
from tourdraw.groups.models import GroupVisit
from tourdraw.people.models import Person

# The limits the services enforce, stated in the schema so a client (and
# schemathesis) knows them before sending: no NUL anywhere; a required text has
# a character that is not a space (the services strip); lengths are the
# database columns'; ids fit a bigint.
NO_NUL = r"^[^\x00]*$"
# What str.strip and str.split remove, spelled out: a client reads \s as
# JavaScript does, which leaves out \x1c-\x1f and \x85 (and adds \ufeff), so
# "\x1e" would look filled to it and blank to the services.
SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
FILLED = rf"^[{SPACE}]*[^{SPACE}\x00][^\x00]*$"
MAX_ID = 2**63 - 1
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"


def _mobile_pattern(regions: tuple[str, ...]) -> str:
    """Mobile numbers of ``regions`` as phonenumbers' own metadata describes them;
    a mainland number may leave out +86 (the default region)."""
    from phonenumbers import PhoneMetadata

    parts = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region)
        assert metadata is not None and metadata.mobile is not None
        national = metadata.mobile.national_number_pattern
        prefix = (
            rf"(?:\+{metadata.country_code})?" if region == "CN" else rf"\+{metadata.country_code}"
        )
        parts.append(rf"{prefix}(?:{national})")
    return "^(?:" + "|".join(parts) + ")$"


# Where sign-in codes are sent: mobiles of the regions the sign-in service texts
# (settings.TOURDRAW_SIGN_IN_REGIONS: mainland China, Hong Kong, Macao and
# Taiwan by default), written in E.164 (a mainland number may leave out +86).
# Read from the one setting, so the schema states the service's own rule.
SIGN_IN_REGIONS = tuple(sorted(settings.TOURDRAW_SIGN_IN_REGIONS))
PHONE_PATTERN = _mobile_pattern(SIGN_IN_REGIONS)


def _limit(model: type, field: str) -> int:
    return int(model._meta.get_field(field).max_length)  # type: ignore[attr-defined]  # a Field, not a relation


NAME_MAX = _limit(Person, "full_name")
ID_NUMBER_MAX = 40
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(max_length=NAME_MAX, pattern=FILLED)]
IdNumber = Annotated[str, StringConstraints(max_length=ID_NUMBER_MAX, pattern=FILLED)]
DocumentType = Literal["cn_resident", "hk_mo_permit", "tw_permit", "passport"]


def filled(max_length: int) -> type[str]:
    return Annotated[str, StringConstraints(max_length=max_length, pattern=FILLED)]  # type: ignore[return-value]  # a type, built at import


def text(max_length: int) -> type[str]:
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NO_NUL)]  # type: ignore[return-value]  # a type, built at import


# Codes in paths and query strings: slugs, as every code here is.
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, max_length=80)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
EntryQuery = Annotated[str, Query(pattern=NO_NUL, max_length=80)]
CodeQuery = Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]*$", max_length=80)]


class In(Schema):
    """A request body: no field beyond those listed; patterns run on Python's
    re, so that a "space" is what the services' ``str.strip`` removes."""

    model_config = ConfigDict(regex_engine="python-re", extra="forbid")


class Problem(Schema):
    code: Code
    message: str
    field: str


class Error(Problem):
    """One error; ``errors`` lists every problem found when there are several
    (each companion of an entry, each row of a member list)."""

    errors: list[Problem] | None = None


class SiteOut(Schema):
    code: str
    name: str
    name_en: str
    address: str
    timezone: str


class TourOut(Schema):
    code: str
    site: str
    name: str
    name_en: str
    description: str
    description_en: str
    duration_minutes: int
    min_age: int
    max_companions: int
    max_choices: int
    rules: str
    rules_en: str


class SlotOut(Schema):
    id: int
    tour: str
    code: str
    label: str
    starts_at: datetime
    ends_at: datetime
    capacity: int


class RoundOut(Schema):
    code: str
    site: str
    tour: str
    title: str
    title_en: str
    state: str
    opens_at: datetime
    closes_at: datetime
    draws_at: datetime
    commitment: str
    min_age: int
    max_companions: int
    max_choices: int


class RoundSlotOut(SlotOut):
    # What the draw seats (capacity less the groups' places), fixed at close.
    places_in_draw: int
    kept_for_groups: int


class BeaconOut(Schema):
    """The drand round fixed when the round opened (spec section 1)."""

    chain: str
    chain_hash: str
    round: int
    time: datetime


class NoticeOut(Schema):
    """A site's notice to visitors of the round's tour, in both languages."""

    kind: Literal["phones", "dress", "documents", "other"]
    tour: str | None = Field(description="the tour's code; null: every tour of the site")
    text: str
    text_en: str


class RoundDetail(RoundOut):
    slots: list[RoundSlotOut]
    beacon: BeaconOut | None
    notices: list[NoticeOut]


class Lookup(Schema):
    entry: str
    position: int
    slot: str | None
    waitlist_position: int | None


Phone = Annotated[str, StringConstraints(max_length=32, pattern=PHONE_PATTERN)]


class PhoneIn(In):
    phone: Phone


class CodeIn(In):
    phone: Phone
    code: Annotated[str, StringConstraints(pattern=r"^\s*[0-9]{6}\s*$", max_length=40)]


class TokenOut(Schema):
    token: str


class ProfileIn(In):
    full_name: Name
    id_type: DocumentType
    id_number: IdNumber
    birth_date: date | None = None


class PersonOut(Schema):
    id: int
    full_name: str
    id_type: str
    id_masked: str
    birth_date: date | None  # None once erased


class ConsentIn(In):
    version: str = Field(max_length=20)
    notice: bool
    sensitive_pi: bool


class PrivacyOut(Schema):
    version: str
    accepted: bool
    notice_url: str
    retention_days: int


class NameIn(In):
    full_name: Name


class DeletedOut(Schema):
    deleted: bool


class CompanionIn(In):
    full_name: Name
    id_type: DocumentType = "cn_resident"
    # Empty for a saved person (person_id), whose number is not typed again.
    id_number: text(ID_NUMBER_MAX) = ""  # type: ignore[valid-type]  # pydantic reads it at runtime
    birth_date: date | None = None
    person_id: Id | None = None
    # Required true for a companion under 14 on a chosen date: the entrant is
    # their guardian or has the guardian's consent.
    guardian: bool = False


class EntryIn(In):
    # Bounds far above any tour's limits, which the service names exactly.
    choices: list[Id] = Field(max_length=50)
    companions: list[CompanionIn] = Field(default=[], max_length=20)


class MemberOut(Schema):
    id: int  # what check-in names, one per person of this entry
    person_id: int
    role: str
    full_name: str
    id_masked: str


class OfferOut(Schema):
    id: int
    slot: str
    persons: int
    state: str
    deadline: datetime


class EntryOut(Schema):
    code: str
    round: str
    state: str
    status: str
    party_size: int
    tickets_in_draw: int
    choices: list[str]
    members: list[MemberOut]
    offer: OfferOut | None
    ticket: str | None


class ReceiptOut(Schema):
    """The signed receipt of spec section 6; keep it to check the draw later."""

    format: str
    round: str
    entry: str
    party: int
    tier: int
    weight: int
    choices_digest: str
    time: str
    key: str
    signature: str


class EntryWithReceiptOut(EntryOut):
    receipt: ReceiptOut


class ConfirmIn(In):
    accept_rules: bool


class LeftoversOut(Schema):
    """A drawn session's leftover places, open to claims first come, first served."""

    slot: SlotOut
    free_places: int
    opened_at: datetime
    claims_until: datetime


class LeftoverClaimIn(In):
    """The party claiming (the entrant is the signed-in visitor) and the visit
    rules accepted."""

    companions: list[CompanionIn] = Field(default=[], max_length=20)
    accept_rules: bool


class TicketOut(Schema):
    code: str
    state: str
    entry: str
    slot: str
    persons: int
    qr_payload: str | None
    members: list[MemberOut]


class CallIn(In):
    outcome: Literal["confirmed", "declined", "no_answer", "wrong_number"]
    note: text(500) = ""  # type: ignore[valid-type]  # pydantic reads it at runtime


class CheckInIn(In):
    code: filled(1000)  # type: ignore[valid-type]  # pydantic reads it at runtime
    members: list[Id] = Field(max_length=1000)


class CheckInOut(Schema):
    checked_in: int


class GroupRequestIn(In):
    organisation: filled(GroupVisit.max_length("organisation"))  # type: ignore[valid-type]  # pydantic reads it at runtime
    contact_name: filled(GroupVisit.max_length("contact_name"))  # type: ignore[valid-type]  # pydantic reads it at runtime
    contact_phone: filled(GroupVisit.max_length("contact_phone"))  # type: ignore[valid-type]  # pydantic reads it at runtime
    contact_email: text(GroupVisit.max_length("contact_email")) = ""  # type: ignore[valid-type]  # pydantic reads it at runtime
    size: int = Field(ge=1, le=100_000)
    preferred_dates: filled(GroupVisit.max_length("preferred_dates"))  # type: ignore[valid-type]  # pydantic reads it at runtime
    purpose: filled(MAX_VALUE_LENGTH)  # type: ignore[valid-type]  # pydantic reads it at runtime


class GroupMemberIn(In):
    full_name: Name
    id_type: DocumentType = "cn_resident"
    id_number: IdNumber
    birth_date: date | None = None


class GroupMembersIn(In):
    # Far above any site's group size; the service names the approved size.
    members: list[GroupMemberIn] = Field(max_length=1000)


class GroupMemberOut(Schema):
    id: int
    position: int
    full_name: str
    id_masked: str
    checked_in_at: datetime | None


class GroupOut(Schema):
    """What the group's leader sees through the group's secret code."""

    code: str
    site: str
    organisation: str
    size: int
    preferred_dates: str
    state: str
    slot: SlotOut | None
    decline_reason: str
    members: list[GroupMemberOut]


class OperatorGroupOut(GroupOut):
    id: int
    contact_name: str
    contact_phone: str
    contact_email: str
    purpose: str
    created_at: datetime
    decided_at: datetime | None


class ApproveIn(In):
    slot: Id


class DeclineIn(In):
    reason: filled(2000)  # type: ignore[valid-type]  # pydantic reads it at runtime


class GroupCheckInIn(In):
    members: list[Id] = Field(max_length=1000)


class CallOut(Schema):
    """An offer waiting for the call centre: whom to call, about what, by when."""

    offer: int
    entry: str
    slot: SlotOut
    persons: int
    deadline: datetime
    phone: str
    party: list[MemberOut]
    failed_calls: int
    gave_up: bool


class TokenInfoOut(Schema):
    """One of the visitor's tokens, as listed (never the key itself)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    current: bool
