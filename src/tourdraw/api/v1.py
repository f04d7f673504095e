"""The JSON API, version 1: what the pages do, through the same services.

Handlers check access, call a service and shape the answer; a service's
DomainError becomes ``{"code", "message", "field"}`` with its own code and the
status the registry gives it (tourdraw.errors.Code).
"""

import threading
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema, Status
from ninja.pagination import paginate

from tourdraw import limits
from tourdraw.api import errors, tokens
from tourdraw.api.auth import SIGNED_IN, bearer_token
from tourdraw.api.models import ApiToken
from tourdraw.api.pagination import Pagination, Shaped
from tourdraw.api.schemas import (
    ApproveIn,
    CallIn,
    CallOut,
    CheckInIn,
    CheckInOut,
    CodeIn,
    CodePath,
    CodeQuery,
    ConfirmIn,
    ConsentIn,
    DeclineIn,
    DeletedOut,
    EntryIn,
    EntryOut,
    EntryQuery,
    EntryWithReceiptOut,
    Error,
    GroupCheckInIn,
    GroupMemberOut,
    GroupMembersIn,
    GroupOut,
    GroupRequestIn,
    IdPath,
    LeftoverClaimIn,
    LeftoversOut,
    Lookup,
    MemberOut,
    NameIn,
    OfferOut,
    OperatorGroupOut,
    PersonOut,
    PhoneIn,
    PrivacyOut,
    ProfileIn,
    RoundDetail,
    RoundOut,
    SiteOut,
    SlotOut,
    TicketOut,
    TokenInfoOut,
    TokenOut,
    TourOut,
)
from tourdraw.catalog import notices as site_notices
from tourdraw.catalog.models import Site, Slot
from tourdraw.catalog.services import upcoming_slots
from tourdraw.errors import Code, DomainError
from tourdraw.groups import services as groups
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import drawing, entries, receipts, results, rounds
from tourdraw.lottery.models import Draw, Entry, Round
from tourdraw.people import access, consent, rights, sign_in
from tourdraw.people import services as people_services
from tourdraw.people.ratelimits import too_many_codes, too_many_codes_message
from tourdraw.transparency import round_facts
from tourdraw.visits import calls, gate, leftovers, tickets
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer, decline_offer
from tourdraw.visits.status import Status as EntryStatus
from tourdraw.visits.status import entry_status, entry_statuses


class _OnceBuiltSchemaAPI(NinjaAPI):
    """The OpenAPI document depends on the code only: it is built once per
    process and language, not on every request (it took 155 ms idle)."""

    _schemas: dict[tuple[str, str], Any] = {}
    _lock = threading.Lock()

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, translation.get_language() or "")
        with self._lock:
            if key not in self._schemas:
                self._schemas[key] = super().get_openapi_schema(path_prefix=path_prefix)
            return self._schemas[key]


api = _OnceBuiltSchemaAPI(
    title="tourdraw API",
    version="1",
    description=(
        "Factory tours by verifiable lottery: sites, rounds, entries, offers, tickets, the gate."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)
# Every operation may answer every status of the error registry, all in the one
# error shape, whose code is one of the registry's (409 and 429 come from
# Idempotency-Key and the write rate limit on POSTs, 503 from a database outage).
ERRORS: dict[int, Any] = dict.fromkeys(sorted({code.status.value for code in Code}), Error)

public = Router(tags=["public"])
visitor = Router(tags=["visitor"], auth=SIGNED_IN)
operator = Router(tags=["operator"], auth=SIGNED_IN)


def _shaped(obj: Any, schema: type[Schema], **computed: Any) -> dict[str, Any]:
    """``schema``'s fields read from ``obj``'s attributes of the same names, but
    for the fields in ``computed`` (those the model holds elsewhere or not at all)."""
    return {
        name: computed[name] if name in computed else getattr(obj, name)
        for name in schema.model_fields
    }


def _round_out(round: Round) -> dict[str, Any]:
    tour = round.tour
    return _shaped(
        round,
        RoundOut,
        site=tour.site.code,
        tour=tour.code,
        min_age=tour.min_age,
        max_companions=tour.max_companions,
        max_choices=tour.max_choices,
    )


@public.get("/sites", response={200: list[SiteOut], **ERRORS})
@paginate(Pagination)
def list_sites(request: HttpRequest) -> Any:
    return Site.objects.order_by("code")


@public.get("/sites/{code}/tours", response={200: list[TourOut], **ERRORS})
@paginate(Pagination)
def list_tours(request: HttpRequest, code: CodePath) -> Any:
    site = get_object_or_404(Site, code=code)
    return Shaped(
        site.tours.order_by("code"),
        lambda tours: [_shaped(tour, TourOut, site=site.code) for tour in tours],
    )


@public.get("/sites/{code}/slots", response={200: list[SlotOut], **ERRORS})
@paginate(Pagination)
def list_slots(request: HttpRequest, code: CodePath, tour: CodeQuery = "") -> Any:
    """The site's sessions from now on, soonest first; cancelled ones are left out."""
    site = get_object_or_404(Site, code=code)
    found = upcoming_slots().filter(tour__site=site)
    if tour:
        found = found.filter(tour__code=tour)
    return Shaped(found.order_by("starts_at", "pk"), lambda slots: [_slot_out(s) for s in slots])


@public.get("/rounds", response={200: list[RoundOut], **ERRORS})
@paginate(Pagination)
def list_rounds(request: HttpRequest, site: CodeQuery = "") -> Any:
    found = rounds.visible_rounds().select_related("tour__site").order_by("-opens_at")
    if site:
        found = found.filter(tour__site__code=site)
    return Shaped(found, lambda page: [_round_out(r) for r in page])


@public.get("/rounds/{code}", response={200: RoundDetail, **ERRORS})
def get_round(request: HttpRequest, code: CodePath) -> Any:
    round = get_object_or_404(Round.objects.select_related("tour__site"), code=code)
    slots = list(round.slots.select_related("tour__site").order_by("starts_at"))
    beacon = round_facts.beacon(round)
    return {
        **_round_out(round),
        "slots": [
            {
                **_slot_out(places.slot),
                "places_in_draw": places.lottery,
                "kept_for_groups": places.groups,
            }
            for places in round_facts.slot_places(round, slots)
        ],
        "beacon": asdict(beacon) if beacon else None,
        "notices": [
            {
                "kind": notice.kind,
                "tour": round.tour.code if notice.tour_id else None,
                "text": notice.text,
                "text_en": notice.text_en,
            }
            for notice in site_notices.for_tour(round.tour)
        ],
    }


def _slot_out(slot: Slot) -> dict[str, Any]:
    return _shaped(slot, SlotOut, tour=slot.tour.code)


@public.get("/rounds/{code}/results", response={200: Lookup, **ERRORS})
def lookup_result(request: HttpRequest, code: CodePath, entry: EntryQuery) -> Any:
    round = get_object_or_404(Round, code=code, state=Round.State.DRAWN)
    found = results.lookup(round, entry)
    if found is None:
        return errors.error(api, request, Code.NOT_FOUND, _("No such entry in this draw."), "entry")
    return {
        "entry": found.code,
        "position": found.position,
        "slot": found.slot.code if found.slot else None,
        "waitlist_position": found.waitlist_position,
    }


@public.get("/rounds/{code}/draw", response={200: dict, **ERRORS})
def draw_record(request: HttpRequest, code: CodePath) -> HttpResponse:
    drawn = get_object_or_404(Draw, round__code=code)
    return HttpResponse(drawn.record, content_type="application/json")


@public.post("/auth/code", response={202: None, 429: Error, **ERRORS})
def request_code(request: HttpRequest, body: PhoneIn) -> Any:
    phone = sign_in.sign_in_phone(body.phone)
    if too_many_codes(request, phone.as_e164):
        response = errors.error(api, request, Code.RATE_LIMITED, too_many_codes_message(), "phone")
        response["Retry-After"] = "600"
        return response
    sign_in.request_code(phone, language=translation.get_language() or settings.LANGUAGE_CODE)
    return Status(202, None)


@public.post("/auth/token", response={200: TokenOut, **ERRORS})
def issue_token(request: HttpRequest, body: CodeIn) -> Any:
    user = sign_in.verify_code(
        sign_in.parse_phone(body.phone), body.code, language=translation.get_language() or "zh-hans"
    )
    _, key = tokens.issue_visitor_token(user)
    return {"token": key}


@visitor.post("/auth/sign-out", response={204: None, **ERRORS})
def sign_out(request: HttpRequest) -> Any:
    """Revoke the token this request is made with (a session has none)."""
    current = bearer_token(request)
    if current is not None:
        tokens.revoke(request.user, current.pk)
    return Status(204, None)


def _token_out(token: ApiToken, current: ApiToken | None) -> dict[str, Any]:
    return _shaped(token, TokenInfoOut, current=current is not None and current.pk == token.pk)


@visitor.get("/me/tokens", response={200: list[TokenInfoOut], **ERRORS})
def list_tokens(request: HttpRequest) -> Any:
    """The visitor's tokens that still work, newest first."""
    current = bearer_token(request)
    return [_token_out(token, current) for token in tokens.tokens_of(_visitor(request).user)]


@visitor.post("/me/tokens/{token_id}/revoke", response={200: TokenInfoOut, **ERRORS})
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    token = tokens.revoke(_visitor(request).user, token_id)
    return _token_out(token, bearer_token(request))


def _visitor(request: HttpRequest) -> Any:
    found = getattr(request.user, "visitor", None)
    if found is None:
        raise DomainError(_("Only visitors have entries."), code=Code.NOT_A_VISITOR, field="")
    return found


@visitor.get("/me/profile", response={200: PersonOut | None, **ERRORS})
def get_profile(request: HttpRequest) -> Any:
    return _visitor(request).self_person


@visitor.put("/me/profile", response={200: PersonOut, **ERRORS})
def put_profile(request: HttpRequest, body: ProfileIn) -> Any:
    return people_services.save_profile(
        _visitor(request), **body.dict(), today=timezone.localdate()
    )


@visitor.get("/me/privacy", response={200: PrivacyOut, **ERRORS})
def get_privacy(request: HttpRequest) -> Any:
    """The notice in force and whether this visitor has accepted it (and the
    separate consent for ID documents); until then no ID document is stored."""
    return {
        "version": consent.current_version(),
        "accepted": consent.is_current(_visitor(request)),
        "notice_url": request.build_absolute_uri(reverse("web:privacy")),
        "retention_days": settings.TOURDRAW_RETENTION_DAYS,
    }


@visitor.post("/me/consent", response={200: PrivacyOut, **ERRORS})
def post_consent(request: HttpRequest, body: ConsentIn) -> Any:
    consent.give(
        _visitor(request),
        version=body.version,
        notice=body.notice,
        sensitive=body.sensitive_pi,
        now=timezone.now(),
    )
    return get_privacy(request)


@visitor.get("/me/data", response={200: dict[str, Any], **ERRORS})
def get_my_data(request: HttpRequest) -> Any:
    """Everything held about the visitor (the same JSON as the web download)."""
    return rights.export_data(_visitor(request))


@visitor.patch("/me/people/{person_id}", response={200: PersonOut, **ERRORS})
def correct_person(request: HttpRequest, person_id: int, body: NameIn) -> Any:
    return people_services.correct_name(_visitor(request), person_id, full_name=body.full_name)


@visitor.delete("/me", response={200: DeletedOut, **ERRORS})
def delete_me(request: HttpRequest) -> Any:
    """Delete the account: entries withdrawn, offers and tickets given up, data erased."""
    rights.delete_account(_visitor(request), now=timezone.now())
    return {"deleted": True}


def _members(entry: Entry) -> list[dict[str, Any]]:
    """The party, masked as on every screen."""
    return [
        _shaped(m, MemberOut, full_name=m.person.full_name, id_masked=m.person.id_masked)
        for m in entries.party_of(entry)
    ]


# An entry's offer and ticket, read with it (see _entries) where it is read.
_OFFER_AND_TICKET = ("offer__slot__tour__site", "offer__ticket")


def _entries() -> QuerySet[Entry]:
    return entries.with_party(Entry.objects.select_related("round__tour__site", *_OFFER_AND_TICKET))


def _entry_out(entry: Entry, status: EntryStatus | None = None) -> dict[str, Any]:
    status = status or entry_status(entry)
    # Only a drawn round has offers: an entry of an open round looks for none.
    drawn = entry.round.state not in (
        Round.State.SCHEDULED,
        Round.State.OPEN,
        Round.State.CLOSED,
    )
    offer = getattr(entry, "offer", None) if drawn else None
    ticket = getattr(offer, "ticket", None)
    return _shaped(
        entry,
        EntryOut,
        round=entry.round.code,
        status=status.key,
        tickets_in_draw=entry.weight,
        choices=[c.slot.code for c in entries.choices_of(entry)],
        members=_members(entry),
        offer=_shaped(offer, OfferOut, slot=offer.slot.code) if offer else None,
        ticket=ticket.code if ticket else None,
    )


def _own_entry(request: HttpRequest, code: str) -> Entry:
    return get_object_or_404(
        _entries().select_related("visitor__user"), code=code, visitor=_visitor(request)
    )


@visitor.get("/me/entries", response={200: list[EntryOut], **ERRORS})
@paginate(Pagination)
def list_entries(request: HttpRequest) -> Any:
    mine = _entries().filter(visitor=_visitor(request)).order_by("-created_at")
    return Shaped(
        mine,
        lambda page: [_entry_out(*row) for row in zip(page, entry_statuses(page), strict=True)],
    )


def _with_receipt(entry: Entry) -> dict[str, Any]:
    return {**_entry_out(entry), "receipt": receipts.receipt_for(entry)}


@visitor.post("/rounds/{code}/entries", response={201: EntryWithReceiptOut, **ERRORS})
def create_entry(request: HttpRequest, code: CodePath, body: EntryIn) -> Any:
    round = get_object_or_404(Round.objects.select_related("tour__site"), code=code)
    entry = entries.enter_round(
        round,
        _visitor(request),
        choices=body.choices,
        companions=[entries.CompanionInput(**c.dict()) for c in body.companions],
    )
    return Status(201, _with_receipt(entry))


@visitor.get("/me/entries/{code}", response={200: EntryOut, **ERRORS})
def get_entry(request: HttpRequest, code: CodePath) -> Any:
    return _entry_out(_own_entry(request, code))


@visitor.put("/me/entries/{code}", response={200: EntryWithReceiptOut, **ERRORS})
def change_entry(request: HttpRequest, code: CodePath, body: EntryIn) -> Any:
    entry = entries.change_entry(
        _own_entry(request, code),
        choices=body.choices,
        companions=[entries.CompanionInput(**c.dict()) for c in body.companions],
    )
    return _with_receipt(entry)


@visitor.delete("/me/entries/{code}", response={200: EntryOut, **ERRORS})
def withdraw_entry(request: HttpRequest, code: CodePath) -> Any:
    return _entry_out(entries.withdraw_entry(_own_entry(request, code)))


@visitor.post("/me/entries/{code}/confirm", response={200: TicketOut, **ERRORS})
def confirm(request: HttpRequest, code: CodePath, body: ConfirmIn) -> Any:
    offer = get_object_or_404(Offer, entry=_own_entry(request, code))
    ticket = confirm_offer(
        offer, actor=request.user, accepted_rules=body.accept_rules, via=Offer.Via.ONLINE
    )
    return _ticket_out(ticket)


@visitor.post("/me/entries/{code}/decline", response={200: EntryOut, **ERRORS})
def decline(request: HttpRequest, code: CodePath) -> Any:
    decline_offer(get_object_or_404(Offer, entry=_own_entry(request, code)), actor=request.user)
    return _entry_out(_own_entry(request, code))  # read again: the offer has changed


def _ticket_out(ticket: Ticket) -> dict[str, Any]:
    offer = ticket.offer
    return _shaped(
        ticket,
        TicketOut,
        entry=offer.entry.code,
        slot=offer.slot.code,
        persons=offer.persons,
        qr_payload=tickets.payload(ticket) if ticket.is_valid else None,
        members=_members(offer.entry),
    )


@public.get("/rounds/{code}/leftovers", response={200: list[LeftoversOut], **ERRORS})
def list_leftovers(request: HttpRequest, code: CodePath) -> Any:
    """The round's sessions whose leftover places are open and still claimable:
    free places no entry on the waitlist can be offered any more."""
    round = get_object_or_404(Round.objects.select_related("tour__site"), code=code)
    return [
        {
            "slot": _slot_out(shown.slot),
            "free_places": shown.free_places,
            "opened_at": shown.opened_at,
            "claims_until": shown.claims_until,
        }
        for shown in leftovers.open_in(round, timezone.now())
    ]


@visitor.post("/rounds/{code}/leftovers/{slot_id}/claims", response={201: TicketOut, **ERRORS})
def claim_leftover(
    request: HttpRequest, code: CodePath, slot_id: IdPath, body: LeftoverClaimIn
) -> Any:
    """Claim leftover places for your party: a confirmed ticket at once, under
    the same rules as an entry; one place per person per round."""
    round = get_object_or_404(Round, code=code)
    slot = get_object_or_404(round.slots.select_related("tour__site"), pk=slot_id)
    visitor = _visitor(request)
    if limits.too_many_leftover_claims(request):
        response = errors.error(
            api, request, Code.RATE_LIMITED, _("Too many claims; try again in a minute.")
        )
        response["Retry-After"] = "60"
        return response
    ticket = leftovers.claim_leftover(
        slot,
        visitor,
        companions=[entries.CompanionInput(**c.dict()) for c in body.companions],
        accepted_rules=body.accept_rules,
    )
    return Status(201, _ticket_out(_own_ticket(request, ticket.code)))


def _own_ticket(request: HttpRequest, code: str) -> Ticket:
    return get_object_or_404(
        entries.with_party(
            Ticket.objects.select_related("offer__slot__tour__site", "offer__entry"),
            through="offer__entry__",
        ),
        code=code,
        offer__entry__visitor=_visitor(request),
    )


@visitor.get("/me/tickets/{code}", response={200: TicketOut, **ERRORS})
def get_ticket(request: HttpRequest, code: CodePath) -> Any:
    return _ticket_out(_own_ticket(request, code))


@visitor.post("/me/tickets/{code}/cancel", response={200: TicketOut, **ERRORS})
def cancel_ticket(request: HttpRequest, code: CodePath) -> Any:
    return _ticket_out(tickets.cancel_ticket(_own_ticket(request, code), actor=request.user))


def _operated_round(request: HttpRequest, code: str) -> Round:
    rounds_of_mine = access.scope(
        Round.objects.select_related("tour__site"), request.user, "operate"
    )
    return get_object_or_404(rounds_of_mine, code=code)


@operator.post("/operator/rounds/{code}/close", response={200: RoundOut, **ERRORS})
def close_round(request: HttpRequest, code: CodePath) -> Any:
    round = _operated_round(request, code)
    return _round_out(rounds.close_round(round, now=timezone.now(), actor=request.user))


@operator.post("/operator/rounds/{code}/draw", response={200: RoundOut, **ERRORS})
def draw_round(request: HttpRequest, code: CodePath) -> Any:
    round = _operated_round(request, code)
    drawing.draw_round(round, now=timezone.now(), actor=request.user)
    round.refresh_from_db()
    return _round_out(round)


@operator.get("/operator/calls", response={200: list[CallOut], **ERRORS})
@paginate(Pagination)
def call_queue(request: HttpRequest) -> Any:
    """Offers still to confirm by phone, soonest deadline first; ``gave_up`` ones
    have had their failed calls and only wait to lapse."""
    queue = calls.queue(access.site_ids(request.user, "call_centre"))
    return Shaped(
        queue,
        lambda offers: [
            {
                "offer": offer.pk,
                "entry": offer.entry.code,
                "slot": _slot_out(offer.slot),
                "persons": offer.persons,
                "deadline": offer.deadline,
                "phone": str(offer.entry.visitor.phone),
                "party": _members(offer.entry),
                "failed_calls": offer.failed,
                "gave_up": calls.gave_up(offer),
            }
            for offer in offers
        ],
    )


@operator.post("/operator/offers/{offer_id}/calls", response={201: dict, **ERRORS})
def record_call(request: HttpRequest, offer_id: IdPath, body: CallIn) -> Any:
    offers = access.scope(Offer.objects.all(), request.user, "call_centre")
    offer = get_object_or_404(offers, pk=offer_id)
    call = calls.record_call(offer, agent=request.user, outcome=body.outcome, note=body.note)
    return Status(201, {"id": call.pk, "outcome": call.outcome})


@operator.post("/operator/slots/{slot_id}/check-in", response={200: CheckInOut, **ERRORS})
def check_in(request: HttpRequest, slot_id: IdPath, body: CheckInIn) -> Any:
    slots = access.scope(Slot.objects.select_related("tour__site"), request.user, "gate")
    slot = get_object_or_404(slots, pk=slot_id)
    ticket = gate.find_ticket(body.code)
    done = gate.check_in(ticket, body.members, slot=slot, gate="api", staff=request.user)
    return {"checked_in": len(done)}


def _group_out(group: GroupVisit, *, operator: bool = False) -> dict[str, Any]:
    return _shaped(
        group,
        OperatorGroupOut if operator else GroupOut,
        site=group.site.code,
        slot=_slot_out(group.slot) if group.slot else None,
        # all() uses the list's prefetch; GroupMember is ordered by position.
        members=[_shaped(m, GroupMemberOut) for m in group.members.all()],
    )


def _groups() -> QuerySet[GroupVisit]:
    return GroupVisit.objects.select_related("site", "slot__tour__site")


@public.post("/sites/{code}/groups", response={201: GroupOut, **ERRORS})
def request_group_visit(request: HttpRequest, code: CodePath, body: GroupRequestIn) -> Any:
    """An organisation asks for places outside the lottery. Keep the answer's
    ``code``: it is the only key to the request, its decision and its member list."""
    site = get_object_or_404(Site, code=code)
    if limits.too_many_group_requests(request):
        response = errors.error(
            api, request, Code.RATE_LIMITED, _("Too many group requests; try again later.")
        )
        response["Retry-After"] = "3600"
        return response
    group = groups.request_visit(site, **body.dict())
    return Status(201, _group_out(group))


@public.get("/groups/{code}", response={200: GroupOut, **ERRORS})
def get_group_visit(request: HttpRequest, code: CodePath) -> Any:
    return _group_out(get_object_or_404(_groups(), code=code))


@public.put("/groups/{code}/members", response={200: GroupOut, **ERRORS})
def put_group_members(request: HttpRequest, code: CodePath, body: GroupMembersIn) -> Any:
    """Replace the member list of an approved visit: all rows are checked, and
    on any error nothing is saved and ``errors`` names every bad row."""
    group = get_object_or_404(_groups(), code=code)
    groups.replace_members(group, [m.dict() for m in body.members], today=timezone.localdate())
    return _group_out(group)


def _operated_group(request: HttpRequest, group_id: int) -> GroupVisit:
    return get_object_or_404(access.scope(_groups(), request.user, "operate"), pk=group_id)


@operator.get("/operator/groups", response={200: list[OperatorGroupOut], **ERRORS})
@paginate(Pagination)
def list_group_visits(request: HttpRequest, state: CodeQuery = "") -> Any:
    found = access.scope(_groups(), request.user, "operate").prefetch_related("members")
    if state:
        found = found.filter(state=state)
    return Shaped(
        found.order_by("-created_at"),
        lambda groups: [_group_out(g, operator=True) for g in groups],
    )


@operator.get("/operator/groups/{group_id}", response={200: OperatorGroupOut, **ERRORS})
def get_operated_group(request: HttpRequest, group_id: IdPath) -> Any:
    return _group_out(_operated_group(request, group_id), operator=True)


@operator.post("/operator/groups/{group_id}/approve", response={200: OperatorGroupOut, **ERRORS})
def approve_group_visit(request: HttpRequest, group_id: IdPath, body: ApproveIn) -> Any:
    group = _operated_group(request, group_id)
    slot = get_object_or_404(
        Slot.objects.select_related("tour__site"), pk=body.slot, tour__site=group.site_id
    )
    return _group_out(groups.approve_visit(group, slot=slot, actor=request.user), operator=True)


@operator.post("/operator/groups/{group_id}/decline", response={200: OperatorGroupOut, **ERRORS})
def decline_group_visit(request: HttpRequest, group_id: IdPath, body: DeclineIn) -> Any:
    group = _operated_group(request, group_id)
    return _group_out(
        groups.decline_visit(group, reason=body.reason, actor=request.user), operator=True
    )


@operator.post(
    "/operator/slots/{slot_id}/groups/{group_id}/check-in", response={200: CheckInOut, **ERRORS}
)
def check_in_group(
    request: HttpRequest, slot_id: IdPath, group_id: IdPath, body: GroupCheckInIn
) -> Any:
    slots = access.scope(Slot.objects.all(), request.user, "gate")
    slot = get_object_or_404(slots, pk=slot_id)
    group = get_object_or_404(GroupVisit, pk=group_id, slot=slot)
    done = groups.check_in_members(group, body.members, slot=slot, gate="api", staff=request.user)
    return {"checked_in": done}


api.add_router("", public)
api.add_router("", visitor)
api.add_router("", operator)
