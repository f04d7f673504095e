"""The one shape of failure every service raises, and the registry of its codes.

A domain error carries a machine-readable ``code`` (a :class:`Code`: stable,
used by the API, the pages and the tests), a human ``message`` (translatable)
and the ``field`` it is about, so a page can put the message next to the right
input and the API can return ``{"code", "message", "field"}`` unchanged. When
several problems are found at once (each companion of an entry, each row of a
member list), ``errors`` lists every one; the API returns them as ``errors``.

Every code is a member of :class:`Code` with the HTTP status the API answers it
with, and the OpenAPI schema lists them all (``api/v1.py``). A string is not a
code: mypy refuses ``code="..."``, and ``tests/test_error_registry.py`` refuses
a raise site that names a code outside the registry.

Some failures are not domain errors, on purpose. The checks the offline
verifier shares (``draw.DrawError`` and its ``RecordError``,
``drand.BeaconError``, ``public_log.LogError``) are plain ``ValueError``\\ s
naming the rule broken: the verifier (cli.py) runs them on published files,
with no database and no API, and reports rules. ``signing.TicketSignatureError``
is one too, for the rule a gate device also checks offline; it carries the
gate's code. None of them reaches the API: each service that calls them turns a
failure into a :class:`DomainError` with its own code (``inputs_invalid``,
``beacon_invalid``, ``forged``, ``ticket_forged``, ...).

Two JSON answers outside the API's handlers still give ``invalid`` a 400, not
the registry's 422: the edge's refusal of a NUL or an over-long value
(tourdraw.edge, before any route: not every schema states that rule yet, so a
422 would read as "the schema allows what the service refuses"), and the back
office's gate sync, which is no part of the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum, unique
from http import HTTPStatus
from typing import Any, Self

# A rule about the content the schema cannot state: a checksum, an age, a closed round.
RULE = HTTPStatus.BAD_REQUEST
# The input's form, which the schema states too: such a refusal is a 422, as the
# schema's own, so that any the schema misses shows up as "the schema allows
# what the service refuses".
FORM = HTTPStatus.UNPROCESSABLE_ENTITY


@unique
class Code(StrEnum):
    """Every code a refusal can carry, each with the status the API answers.

    The values are the API's: a client branches on them, so one is never renamed.
    """

    status: HTTPStatus

    def __new__(cls, value: str, status: HTTPStatus) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        return member

    # The input's form (the schema states these rules too)
    # A required field is blank.
    REQUIRED = "required", FORM
    # A text is longer than its field takes.
    TOO_LONG = "too_long", FORM
    # A value is not of the field's form (a non-number, a NUL, a malformed upload).
    INVALID = "invalid", FORM
    # A value is not one of the field's choices.
    INVALID_CHOICE = "invalid_choice", FORM
    # A person's full name is blank.
    NAME_REQUIRED = "name_required", FORM
    # A person's full name is longer than 100 characters.
    NAME_TOO_LONG = "name_too_long", FORM
    # A refusal or cancellation gives no reason.
    REASON_REQUIRED = "reason_required", FORM
    # The phone number cannot be read as one.
    PHONE_INVALID = "phone_invalid", FORM
    # The e-mail address cannot be read as one.
    EMAIL_INVALID = "email_invalid", FORM

    # The API itself
    # The request body cannot be read (not JSON).
    ERROR = "error", RULE
    # Nothing is at this address, or it is not the caller's to see.
    NOT_FOUND = "not_found", HTTPStatus.NOT_FOUND
    # Neither a bearer token nor a session comes with the request.
    NOT_SIGNED_IN = "not_signed_in", HTTPStatus.UNAUTHORIZED
    # The caller may not do this (a failed CSRF check).
    FORBIDDEN = "forbidden", HTTPStatus.FORBIDDEN
    # Acting as a visitor with an account that is not one (staff).
    NOT_A_VISITOR = "not_a_visitor", HTTPStatus.FORBIDDEN
    # A staff session has not passed its second factor.
    SECOND_FACTOR_REQUIRED = "second_factor_required", HTTPStatus.FORBIDDEN
    # The address does not take this method.
    METHOD_NOT_ALLOWED = "method_not_allowed", HTTPStatus.METHOD_NOT_ALLOWED
    # The Idempotency-Key was used for another request.
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", HTTPStatus.CONFLICT
    # The first request with this Idempotency-Key is still running.
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress", HTTPStatus.CONFLICT
    # Too many requests (writes, codes, group requests); Retry-After says when.
    RATE_LIMITED = "rate_limited", HTTPStatus.TOO_MANY_REQUESTS
    # An uncaught fault on our side.
    SERVER_ERROR = "server_error", HTTPStatus.INTERNAL_SERVER_ERROR
    # The database does not answer; retry in a moment.
    UNAVAILABLE = "unavailable", HTTPStatus.SERVICE_UNAVAILABLE
    # The API token is unknown or already revoked.
    TOKEN_NOT_FOUND = "token_not_found", RULE

    # Identity documents (people/documents.py)
    # The document type is not one of those accepted.
    ID_TYPE_UNKNOWN = "id_type_unknown", RULE
    # The ID number is blank.
    ID_NUMBER_REQUIRED = "id_number_required", RULE
    # A resident ID number does not have 18 characters.
    CN_ID_LENGTH = "cn_id_length", RULE
    # A resident ID number is not 17 digits and a digit or X.
    CN_ID_CHARACTERS = "cn_id_characters", RULE
    # A resident ID number starts with no region code.
    CN_ID_REGION = "cn_id_region", RULE
    # The birth date digits of a resident ID number are no date.
    CN_ID_BIRTH_DATE = "cn_id_birth_date", RULE
    # The birth date in a resident ID number is in the future.
    CN_ID_BIRTH_DATE_FUTURE = "cn_id_birth_date_future", RULE
    # A resident ID number's check character does not match.
    CN_ID_CHECKSUM = "cn_id_checksum", RULE
    # A Hong Kong and Macao travel permit number is not H or M and 8 or 10 digits.
    HK_MO_PERMIT_FORMAT = "hk_mo_permit_format", RULE
    # A Taiwan travel permit number is not 8 digits and a renewal code.
    TW_PERMIT_FORMAT = "tw_permit_format", RULE
    # A passport number is not 5 to 20 letters and digits.
    PASSPORT_FORMAT = "passport_format", RULE
    # A document without the birth date in its number needs one entered.
    BIRTH_DATE_REQUIRED = "birth_date_required", RULE
    # The entered birth date is in the future.
    BIRTH_DATE_FUTURE = "birth_date_future", RULE
    # The entered birth date is not a date, or before 1900.
    BIRTH_DATE_INVALID = "birth_date_invalid", RULE
    # The entered birth date differs from the one in the resident ID number.
    BIRTH_DATE_MISMATCH = "birth_date_mismatch", RULE

    # Visitors, their people and consent
    # The phone number is not a mobile of a region codes are sent to.
    PHONE_NOT_MOBILE = "phone_not_mobile", RULE
    # No sign-in code was sent to this number.
    CODE_NOT_REQUESTED = "code_not_requested", RULE
    # The sign-in code was already used.
    CODE_USED = "code_used", RULE
    # The sign-in code has expired.
    CODE_EXPIRED = "code_expired", RULE
    # The sign-in code is wrong; tries are left.
    CODE_WRONG = "code_wrong", RULE
    # Too many wrong sign-in codes; ask for a new one.
    TOO_MANY_TRIES = "too_many_tries", RULE
    # A staff member's second-factor code is wrong.
    WRONG_CODE = "wrong_code", RULE
    # An ID document is stored only after consent to the current privacy notice.
    CONSENT_REQUIRED = "consent_required", RULE
    # The privacy notice changed since the visitor opened it.
    NOTICE_CHANGED = "notice_changed", RULE
    # The visitor did not confirm reading the privacy notice.
    NOTICE_NOT_ACCEPTED = "notice_not_accepted", RULE
    # The visitor did not agree to the processing of ID documents.
    SENSITIVE_NOT_ACCEPTED = "sensitive_not_accepted", RULE
    # The person is not among the visitor's own.
    PERSON_UNKNOWN = "person_unknown", RULE
    # The visitor's ID document cannot change while they have an entry.
    PROFILE_DOCUMENT_LOCKED = "profile_document_locked", RULE
    # Another account holds this ID document (it can be disputed).
    ID_CLAIMED = "id_claimed", RULE
    # The real-name check refused the name and document.
    REAL_NAME_REFUSED = "real_name_refused", RULE

    # Identity disputes (visits/disputes.py)
    # No visitor has signed in with the claimant's number.
    VISITOR_NOT_FOUND = "visitor_not_found", RULE
    # A document is not moved while the holder's entry awaits its draw.
    ENTRY_AWAITING_DRAW = "entry_awaiting_draw", RULE
    # Moving a document needs a note of the evidence seen.
    EVIDENCE_REQUIRED = "evidence_required", RULE
    # No account holds this document.
    ID_NOT_CLAIMED = "id_not_claimed", RULE
    # The claimant already holds the document.
    ID_ALREADY_HELD = "id_already_held", RULE

    # Planning sessions (catalog)
    # The last day is before the first.
    DATE_RANGE_REVERSED = "date_range_reversed", RULE
    # A session's capacity is below 1.
    CAPACITY_INVALID = "capacity_invalid", RULE
    # No time of day is given.
    TIMES_REQUIRED = "times_required", RULE
    # No day of the week is ticked.
    WEEKDAYS_REQUIRED = "weekdays_required", RULE
    # A plan spans more days than one request may create.
    PLAN_TOO_LONG = "plan_too_long", RULE

    # Rounds (lottery/rounds.py)
    # Entries must open before they close, and the draw come after closing.
    ROUND_TIMES = "round_times", RULE
    # A round with this code exists.
    ROUND_CODE_TAKEN = "round_code_taken", RULE
    # Slots are added only before the round closes.
    ROUND_CLOSED = "round_closed", RULE
    # The slot is not an open session of the round's tour.
    SLOT_NOT_OFFERABLE = "slot_not_offerable", RULE
    # The slot is already offered in another round.
    SLOT_IN_ANOTHER_ROUND = "slot_in_another_round", RULE
    # The slot's round has closed: its places are sealed by the closing statement.
    ROUND_SEALED = "round_sealed", RULE
    # The round is not open for entries (or, to close it, not open at all).
    ROUND_NOT_OPEN = "round_not_open", RULE
    # Opening a round that is already open.
    ROUND_ALREADY_OPEN = "round_already_open", RULE
    # Opening a round that is neither scheduled nor open (closed, drawn).
    ROUND_NOT_SCHEDULED = "round_not_scheduled", RULE
    # Opening a round before its opening time.
    ROUND_NOT_DUE = "round_not_due", RULE
    # Closing a round that is already closed or drawn.
    ROUND_ALREADY_CLOSED = "round_already_closed", RULE
    # A round whose draw leaves its first session too little time to confirm
    # and to go down the waitlist (lottery/rounds.py check_time_to_confirm).
    TOO_CLOSE_TO_SESSION = "too_close_to_session", RULE

    # Entries (lottery/entries.py, lottery/eligibility.py)
    # The visitor has no real name and ID document on their profile yet.
    PROFILE_INCOMPLETE = "profile_incomplete", RULE
    # No slot is chosen.
    CHOICE_REQUIRED = "choice_required", RULE
    # More slots are chosen than the tour allows.
    TOO_MANY_CHOICES = "too_many_choices", RULE
    # A chosen slot is not one of the round's.
    CHOICE_UNKNOWN = "choice_unknown", RULE
    # A slot is chosen twice.
    CHOICE_REPEATED = "choice_repeated", RULE
    # More companions than the tour allows.
    TOO_MANY_COMPANIONS = "too_many_companions", RULE
    # The same person is named twice in a party (or a member list).
    PERSON_REPEATED = "person_repeated", RULE
    # A person is under the tour's minimum age on the visit day.
    UNDER_MIN_AGE = "under_min_age", RULE
    # A child companion needs the entrant's guardian declaration.
    GUARDIAN_REQUIRED = "guardian_required", RULE
    # The entrant's party did not come to a visit and is barred for a while.
    BARRED_NO_SHOW = "barred_no_show", RULE
    # A person visited the site within its cool-down.
    VISIT_COOLDOWN = "visit_cooldown", RULE
    # The entry could not be saved (a concurrent change); try again.
    ENTRY_CONFLICT = "entry_conflict", RULE
    # The entry was withdrawn.
    ENTRY_WITHDRAWN = "entry_withdrawn", RULE

    # The draw and its beacon (lottery/drawing.py, lottery/beacon.py)
    # The round has already been drawn.
    ALREADY_DRAWN = "already_drawn", RULE
    # A round is drawn only after it closes.
    ROUND_NOT_CLOSED = "round_not_closed", RULE
    # The round has no opening and closing statements.
    NO_STATEMENTS = "no_statements", RULE
    # The round's beacon or closing digest differs from its statements.
    STATEMENTS_CHANGED = "statements_changed", RULE
    # The draw's inputs differ from those the closing statement pinned.
    INPUTS_CHANGED = "inputs_changed", RULE
    # The draw's inputs break a rule of the draw.
    INPUTS_INVALID = "inputs_invalid", RULE
    # The beacon round's time has not come, or its signature is not fetched yet.
    BEACON_WAITING = "beacon_waiting", RULE
    # The beacon signature is not the chain's for the fixed round.
    BEACON_INVALID = "beacon_invalid", RULE
    # No relay gave a valid beacon signature.
    BEACON_UNAVAILABLE = "beacon_unavailable", RULE
    # A beacon is taken only for a closed round that fixed one.
    BEACON_NOT_NOW = "beacon_not_now", RULE
    # The round's beacon is already stored.
    BEACON_FIXED = "beacon_fixed", RULE

    # Offers and tickets (visits/offers.py, visits/tickets.py, visits/cancellation.py)
    # The offer was already confirmed.
    OFFER_CONFIRMED = "offer_confirmed", RULE
    # The offer was declined.
    OFFER_DECLINED = "offer_declined", RULE
    # The offer expired unanswered.
    OFFER_EXPIRED = "offer_expired", RULE
    # The offer was cancelled (its session was).
    OFFER_CANCELLED = "offer_cancelled", RULE
    # The deadline to confirm the offer has passed.
    OFFER_DEADLINE_PASSED = "offer_deadline_passed", RULE
    # The visit rules are not accepted.
    RULES_NOT_ACCEPTED = "rules_not_accepted", RULE
    # The ticket code's signature does not match.
    TICKET_FORGED = "ticket_forged", RULE
    # The ticket code cannot be read as one.
    TICKET_MALFORMED = "ticket_malformed", RULE
    # The ticket code is signed with a key not configured here.
    TICKET_UNKNOWN_KEY = "ticket_unknown_key", RULE
    # The ticket was cancelled.
    TICKET_CANCELLED = "ticket_cancelled", RULE
    # Tickets are cancelled only until the cut-off before the visit.
    CANCEL_TOO_LATE = "cancel_too_late", RULE
    # The session is already cancelled.
    SLOT_CANCELLED = "slot_cancelled", RULE
    # The session's round is closed and waiting for its draw.
    ROUND_FROZEN = "round_frozen", RULE

    # At the gate (visits/gate.py)
    # The scanned code's signature does not match.
    FORGED = "forged", RULE
    # The scanned code cannot be read as a ticket.
    MALFORMED = "malformed", RULE
    # The scanned code is signed with a key not configured here.
    UNKNOWN_KEY = "unknown_key", RULE
    # No ticket of this session matches the code or document.
    UNKNOWN_TICKET = "unknown_ticket", RULE
    # The ticket is cancelled.
    CANCELLED = "cancelled", RULE
    # The ticket is for another day.
    WRONG_DAY = "wrong_day", RULE
    # The ticket or group is for another session that day.
    WRONG_SLOT = "wrong_slot", RULE
    # The gate is not open yet for this session.
    TOO_EARLY = "too_early", RULE
    # The gate has closed for this session.
    TOO_LATE = "too_late", RULE
    # The whole party is already checked in, or the chosen person is.
    ALREADY_CHECKED_IN = "already_checked_in", RULE
    # No member of the party is chosen, or one who is not of it.
    NO_ONE_CHOSEN = "no_one_chosen", RULE
    # No member of the scanned group has the ID document typed at the gate.
    NOT_IN_GROUP = "not_in_group", RULE

    # Group visits (groups/services.py)
    # A group's size is outside the site's limits.
    GROUP_SIZE = "group_size", RULE
    # The session is at another site than the group's.
    WRONG_SITE = "wrong_site", RULE
    # The request was already approved or declined.
    GROUP_DECIDED = "group_decided", RULE
    # The session has fewer places free than the group needs.
    NOT_ENOUGH_PLACES = "not_enough_places", RULE
    # A member list's first line is not the expected columns.
    CSV_COLUMNS = "csv_columns", RULE
    # A member list file (groups/member_lists.py): empty or not chosen.
    LIST_EMPTY = "list_empty", RULE
    # A member list file larger than the limit.
    LIST_TOO_LARGE = "list_too_large", RULE
    # A member list file neither .xlsx nor CSV text (an old .xls, another zip).
    LIST_FORMAT = "list_format", RULE
    # A member list's bytes are neither UTF-8 nor GB18030/GBK.
    LIST_ENCODING = "list_encoding", RULE
    # A member list's CSV cannot be parsed.
    LIST_CSV = "list_csv", RULE
    # An .xlsx member list carries macros.
    LIST_MACROS = "list_macros", RULE
    # A member list longer than the most rows a list may have.
    LIST_TOO_LONG = "list_too_long", RULE
    # Excel stored an ID number as a number and lost digits.
    ID_NUMBER_AS_NUMBER = "id_number_as_number", RULE
    # A previewed member list is stale or already saved; upload again.
    PREVIEW_EXPIRED = "preview_expired", RULE
    # A member list is uploaded only once the visit is approved.
    GROUP_NOT_APPROVED = "group_not_approved", RULE
    # A member list has rows in error (``errors`` names each).
    MEMBERS_INVALID = "members_invalid", RULE
    # A member list has more persons than the group was approved for.
    TOO_MANY_MEMBERS = "too_many_members", RULE
    # A person is already in another party: another entry of the round, or a
    # group or a place in the session (people/party.py).
    PERSON_ALREADY_BOOKED = "person_already_booked", RULE

    # Leftover places (visits/leftovers.py)
    # Leftover places are for a drawn round's slots only.
    ROUND_NOT_DRAWN = "round_not_drawn", RULE
    # An entrant of the waitlist could still be offered the slot's free places.
    WAITLIST_NOT_DONE = "waitlist_not_done", RULE
    # The slot has no free place to open to claims.
    NO_LEFTOVERS = "no_leftovers", RULE
    # The slot's leftover places are open already.
    LEFTOVERS_ALREADY_OPEN = "leftovers_already_open", RULE
    # The slot's leftover places are not open to claims.
    LEFTOVERS_NOT_OPEN = "leftovers_not_open", RULE
    # Claims stop at the cut-off before the session.
    LEFTOVERS_CLOSED = "leftovers_closed", RULE
    # Fewer places are left than the party has persons.
    LEFTOVERS_GONE = "leftovers_gone", RULE


class DomainError(Exception):
    """A refusal: its ``code``, its ``message`` and the ``field`` it is about.

    ``errors`` lists every problem when several were found at once; the error
    itself then leads (the first problem, or a summary such as
    ``members_invalid``). Apps name their own subclasses (``RoundError``,
    ``GateRefusal``) for callers that catch only theirs; every one takes these
    same arguments.
    """

    def __init__(
        self,
        message: Any,
        *,
        code: Code,
        field: str = "",
        errors: Sequence[DomainError] = (),
    ) -> None:
        # The exception's arguments are the code alone: a message can quote
        # personal data (a name, digits of an ID number), and reprs end up in logs.
        super().__init__(code)
        self.message = message
        self.code = code
        self.field = field
        self.errors = list(errors)

    @classmethod
    def from_errors(cls, errors: Sequence[DomainError]) -> Self:
        """One error for several found at once, led by the first."""
        first = errors[0]
        return cls(first.message, code=first.code, field=first.field, errors=errors)

    def __str__(self) -> str:
        return str(self.message)

    @property
    def problems(self) -> list[DomainError]:
        """Every problem this error stands for: its ``errors``, or itself alone."""
        return self.errors or [self]

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "code": self.code.value,
            "message": str(self.message),
            "field": self.field,
        }
        if self.errors:
            shown["errors"] = [error.as_dict() for error in self.errors]
        return shown
