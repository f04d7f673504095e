from datetime import date, datetime

from ninja import Field, Schema


class Problem(Schema):
    code: str
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


class RoundDetail(RoundOut):
    slots: list[RoundSlotOut]
    beacon: BeaconOut | None


class Lookup(Schema):
    entry: str
    position: int
    slot: str | None
    waitlist_position: int | None


class PhoneIn(Schema):
    phone: str


class CodeIn(Schema):
    phone: str
    code: str


class TokenOut(Schema):
    token: str


class ProfileIn(Schema):
    full_name: str
    id_type: str
    id_number: str
    birth_date: date | None = None


class PersonOut(Schema):
    full_name: str
    id_type: str
    id_masked: str
    birth_date: date


class CompanionIn(Schema):
    full_name: str
    id_type: str = "cn_resident"
    id_number: str = ""
    birth_date: date | None = None
    person_id: int | None = None


class EntryIn(Schema):
    # Bounds far above any tour's limits, which the service names exactly.
    choices: list[int] = Field(max_length=50)
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


class ConfirmIn(Schema):
    accept_rules: bool


class TicketOut(Schema):
    code: str
    state: str
    entry: str
    slot: str
    persons: int
    qr_payload: str | None
    members: list[MemberOut]


class CallIn(Schema):
    outcome: str
    note: str = ""


class CheckInIn(Schema):
    code: str
    members: list[int]


class CheckInOut(Schema):
    checked_in: int


class GroupRequestIn(Schema):
    organisation: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    size: int
    preferred_dates: str
    purpose: str


class GroupMemberIn(Schema):
    full_name: str
    id_type: str = "cn_resident"
    id_number: str
    birth_date: date | None = None


class GroupMembersIn(Schema):
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


class ApproveIn(Schema):
    slot: int


class DeclineIn(Schema):
    reason: str


class GroupCheckInIn(Schema):
    members: list[int]


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
