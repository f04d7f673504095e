from datetime import date, datetime

from ninja import Schema


class Error(Schema):
    code: str
    message: str
    field: str


class SiteOut(Schema):
    code: str
    name: str
    name_en: str
    address: str
    timezone: str


class SlotOut(Schema):
    id: int
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


class RoundDetail(RoundOut):
    slots: list[SlotOut]


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
    choices: list[int]
    companions: list[CompanionIn] = []


class MemberOut(Schema):
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
