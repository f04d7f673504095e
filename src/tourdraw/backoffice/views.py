"""Operator pages. Each view checks access, calls a service, renders the result."""

import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tourdraw.backoffice.forms import (
    CallCentreForm,
    GateCheckInForm,
    GateNameForm,
    GateScanForm,
    GroupCheckInForm,
    GroupDecisionForm,
    GroupDocumentForm,
    IdentityDisputeForm,
    RecordCallForm,
)
from tourdraw.catalog.models import Slot
from tourdraw.catalog.services import upcoming_slots
from tourdraw.errors import Code, DomainError
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupVisit
from tourdraw.people import access, crypto, sign_in
from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES
from tourdraw.people.models import Visitor
from tourdraw.visits import calls, capacity, disputes, gate, signing
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.visits.offers import OfferError
from tourdraw.web import confirmation

View = Callable[..., HttpResponse]


def capability(name: str) -> Callable[[View], View]:
    """Signed-in staff with ``name`` at some site; each view then scopes its
    objects to those sites, so another site's object is a 404."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "backoffice:login")
            if not access.may(request.user, name):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _slot(request: HttpRequest, slot_id: int) -> Slot:
    slots = access.scope(Slot.objects.select_related("tour__site"), request.user, "gate")
    return get_object_or_404(slots, pk=slot_id)


CALLS_PER_PAGE = 25


def _call_slots(request: HttpRequest) -> Any:
    """The sessions the call centre filters by: those with offers, from today on."""
    slots = Slot.objects.filter(
        starts_at__date__gte=timezone.localdate(), offers__isnull=False
    ).distinct()
    return access.scope(
        slots.select_related("tour__site").order_by("starts_at"), request.user, "call_centre"
    )


def _call_centre_page(
    request: HttpRequest,
    search: CallCentreForm,
    *,
    failed_call: tuple[Offer, RecordCallForm] | None = None,
) -> HttpResponse:
    """The list the agent's search and filters ask for, a page of it at a time."""
    context: dict[str, Any] = {
        "search": search,
        "outcomes": CallAttempt.Outcome.choices,
        "lapsing": calls.LAPSING,
        "failed_call": failed_call,
    }
    status = 400 if failed_call else 200
    if search.is_valid():
        data = search.cleaned_data
        offers = calls.find_offers(
            access.site_ids(request.user, "call_centre"),
            state=data["state"],
            slot_id=data["slot"].pk if data["slot"] else None,
            code=data["code"],
            phone_end=data["phone"],
        )
        page = Paginator(offers, CALLS_PER_PAGE).get_page(data["page"])
        rows = list(page)
        # After a call the page comes back at the next row (at the last, itself).
        following = [offer.pk for offer in [*rows[1:], *rows[-1:]]]
        context.update(
            page=page,
            rows=list(zip(rows, following, strict=True)),
            query=urlencode(search.query()),
            here=urlencode({**search.query(), "page": str(page.number)}),
            may_call=data["state"] == calls.TO_CALL,
        )
    else:
        status = 400
    return render(request, "backoffice/call_centre.html", context, status=status)


@capability("call_centre")
def call_centre(request: HttpRequest) -> HttpResponse:
    return _call_centre_page(request, CallCentreForm(request.GET, slots=_call_slots(request)))


@require_POST
@capability("call_centre")
def record_call(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Record a call, then back to the agent's page, at the row after this one."""
    offers = access.scope(
        Offer.objects.select_related("entry", "slot__tour__site"), request.user, "call_centre"
    )
    offer = get_object_or_404(offers, pk=offer_id)
    search = CallCentreForm(request.GET, slots=_call_slots(request))
    form = RecordCallForm(request.POST)
    if not form.is_valid():
        return _call_centre_page(request, search, failed_call=(offer, form))
    outcome = form.cleaned_data["outcome"]
    declined = outcome == CallAttempt.Outcome.DECLINED
    if declined and offer.is_pending and not confirmation.confirmed(request):
        return confirmation.ask(
            request,
            question=_("Record that %(code)s declined on the phone?") % {"code": offer.entry.code},
            consequence=confirmation.places_given_up(offer, by_visitor=False),
            button=_("Record the decline"),
            back=reverse("backoffice:call_centre"),
            carry=["outcome", "note", "after"],
        )
    try:
        calls.record_call(
            offer, agent=request.user, outcome=outcome, note=form.cleaned_data["note"]
        )
    except OfferError as error:
        messages.error(request, f"{offer.entry.code}: {error.message}")
    else:
        messages.success(
            request,
            _("Call to %(code)s recorded: %(outcome)s.")
            % {"code": offer.entry.code, "outcome": CallAttempt.Outcome(outcome).label},
        )
    back = reverse("backoffice:call_centre")
    if search.is_valid():
        page = search.cleaned_data["page"]
        back += "?" + urlencode({**search.query(), **({"page": str(page)} if page else {})})
    after = form.cleaned_data["after"]
    return redirect(back + (f"#offer-{after}" if after else ""))


def _ask_to_move(request: HttpRequest, claimant: Visitor, data: dict[str, Any]) -> HttpResponse:
    """What moving the document takes from the account that registered it."""
    will = disputes.consequences(
        id_type=data["id_type"], id_number=data["id_number"], claimant=claimant
    )
    return confirmation.ask(
        request,
        question=_("Move this ID document to %(phone)s?") % {"phone": claimant.phone},
        consequence=_(
            "The account that registered it loses it: %(entries)d of its entries naming it "
            "are voided, %(places)d places are given up (down the waitlist where there is "
            "still time) and %(bans)d no-show bans it caused are lifted."
        )
        % {"entries": will.entries, "places": will.places, "bans": will.bans},
        button=_("Move the document"),
        back=reverse("backoffice:identity_dispute"),
        carry=["phone", "id_type", "id_number", "evidence"],
    )


@capability("call_centre")
def identity_dispute(request: HttpRequest) -> HttpResponse:
    """A caller proves an ID document someone else registered is theirs: the
    agent moves it to the caller's account (see visits/disputes.py)."""
    form = IdentityDisputeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            phone = sign_in.parse_phone(data["phone"])
            claimant = Visitor.objects.filter(phone_hash=crypto.phone_hash(phone.as_e164)).first()
            if claimant is None:
                raise DomainError(
                    _("No visitor has signed in with this number."),
                    code=Code.VISITOR_NOT_FOUND,
                    field="phone",
                )
            if not confirmation.confirmed(request):
                return _ask_to_move(request, claimant, data)
            settled = disputes.move_identity(
                id_type=data["id_type"],
                id_number=data["id_number"],
                claimant=claimant,
                agent=request.user,
                evidence=data["evidence"],
            )
        except DomainError as error:
            form.add_domain_errors([error])
        else:
            messages.success(
                request,
                _(
                    "The document now belongs to %(phone)s: %(entries)d entries voided, "
                    "%(places)d places released, %(bans)d no-show bans lifted."
                )
                % {
                    "phone": claimant.phone,
                    "entries": settled.entries_voided,
                    "places": settled.places_released,
                    "bans": settled.bans_lifted,
                },
            )
            return redirect("backoffice:identity_dispute")
    status = 400 if form.errors else 200
    return render(request, "backoffice/identity_dispute.html", {"form": form}, status=status)


def _gate_name(request: HttpRequest) -> str:
    return request.session.get("gate_name") or _("Gate 1")


@capability("gate")
def gate_slots(request: HttpRequest) -> HttpResponse:
    """Today's sessions (and tomorrow's, for early shifts) at the staff
    member's own sites, to pick one."""
    form = GateNameForm(
        request.POST if request.method == "POST" else None,
        initial={"gate_name": _gate_name(request)},
    )
    if request.method == "POST" and form.is_valid():
        request.session["gate_name"] = form.cleaned_data["gate_name"]
        return redirect("backoffice:gate_slots")
    today = timezone.localdate()
    slots = access.scope(
        Slot.objects.filter(
            starts_at__date__gte=today, starts_at__date__lte=today + timedelta(days=1)
        ),
        request.user,
        "gate",
    )
    return render(
        request,
        "backoffice/gate_slots.html",
        {"slots": slots.select_related("tour__site").order_by("starts_at"), "form": form},
        status=400 if form.errors else 200,
    )


def _gate_page(
    request: HttpRequest, slot: Slot, *, form: forms.Form, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """The gate page of ``slot``; a form that refused its input comes back with
    its messages and a 400."""
    groups = GroupVisit.objects.filter(slot=slot, state=GroupVisit.State.APPROVED).prefetch_related(
        "members"
    )
    context: dict[str, Any] = {
        "slot": slot,
        "gate_name": _gate_name(request),
        "groups": groups,
        "document_types": DOCUMENT_TYPE_CHOICES,
        "form": form,
        **(extra or {}),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "backoffice/gate.html", context, status=status)


@capability("gate")
def gate_page(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    form = GateScanForm(request.POST if request.method == "POST" else None)
    extra: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid():
        named = form.named()
        try:
            if not named["id_number"].strip() and signing.is_group_code(named["code"]):
                extra["group_scan"] = gate.inspect_group(gate.find_group(named["code"]), slot=slot)
            else:
                extra["scan"] = gate.inspect(gate.identify(slot, **named), slot=slot)
            extra["named"] = named
        except gate.GateRefusal as refusal:
            extra["refusal"] = refusal
    return _gate_page(request, slot, form=form, extra=extra)


@require_POST
@capability("gate")
def gate_check_in(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    form = GateCheckInForm(request.POST)
    if not form.is_valid():
        return _gate_page(request, slot, form=form)
    try:
        ticket = gate.identify(slot, **form.named())
        done = gate.check_in(
            ticket,
            form.cleaned_data["member"],
            slot=slot,
            gate=_gate_name(request),
            staff=request.user,
            nonce=form.cleaned_data["nonce"],
        )
    except gate.GateRefusal as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(
            request,
            _("%(count)d checked in.") % {"count": len(done)},
        )
    return redirect("backoffice:gate", slot_id=slot.pk)


@capability("gate")
def gate_manifest(request: HttpRequest, slot_id: int) -> JsonResponse:
    slot = _slot(request, slot_id)
    return JsonResponse(gate.manifest(slot))


def _invalid(error: DomainError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=400)


@require_POST
@capability("gate")
def gate_sync(request: HttpRequest, slot_id: int) -> JsonResponse:
    slot = _slot(request, slot_id)
    try:
        body = json.loads(request.body)
    except ValueError:
        return _invalid(DomainError(_("The body is not JSON."), code=Code.INVALID, field=""))
    if not isinstance(body, dict) or "checkins" not in body:
        return _invalid(
            DomainError(
                _("Send {device, checkins: [...]} as JSON."), code=Code.INVALID, field="checkins"
            )
        )
    device = body.get("device", "")
    if not isinstance(device, str) or len(device) > 100 or "\x00" in device:
        return _invalid(
            DomainError(
                _("A device is text of at most 100 characters."), code=Code.INVALID, field="device"
            )
        )
    try:
        report = gate.sync(
            slot, body["checkins"], gate=_gate_name(request), device=device, staff=request.user
        )
    except DomainError as error:
        return _invalid(error)
    return JsonResponse(report.__dict__)


def _groups(request: HttpRequest) -> Any:
    return access.scope(
        GroupVisit.objects.select_related("site", "slot__tour__site"), request.user, "operate"
    )


@capability("operate")
def group_list(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/groups.html", {"groups": _groups(request)})


def _ask_to_decline(request: HttpRequest, group: GroupVisit, reason: str) -> HttpResponse:
    return confirmation.ask(
        request,
        question=_("Decline the request of %(organisation)s?")
        % {"organisation": group.organisation},
        consequence=_(
            "The request for %(size)d persons is declined for good; its page shows the "
            "group your reason: “%(reason)s”."
        )
        % {"size": group.size, "reason": reason},
        button=_("Decline the request"),
        back=reverse("backoffice:group", args=[group.pk]),
        carry=["decision", "reason"],
    )


def _group_page(request: HttpRequest, group: GroupVisit, form: GroupDecisionForm) -> HttpResponse:
    upcoming = list(upcoming_slots(cancelled=True).filter(tour__site=group.site)[:200])
    free = capacity.free_places_by_slot(upcoming)
    options = [(slot, free[slot.pk]) for slot in upcoming]
    return render(
        request,
        "backoffice/group.html",
        {"group": group, "options": options, "members": group.members.all(), "form": form},
        status=400 if form.errors else 200,
    )


@capability("operate")
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    group = get_object_or_404(_groups(request), pk=group_id)
    slots = Slot.objects.filter(tour__site=group.site).select_related("tour__site")
    form = GroupDecisionForm(request.POST if request.method == "POST" else None, slots=slots)
    if request.method != "POST":
        return _group_page(request, group, form)
    if not form.is_valid():
        return _group_page(request, group, form)
    data = form.cleaned_data
    # Without a reason, or decided already, the service refuses at once, unasked.
    declining = data["decision"] != "approve" and group.state == GroupVisit.State.REQUESTED
    declining = declining and bool(data["reason"].strip())
    if declining and not confirmation.confirmed(request):
        return _ask_to_decline(request, group, data["reason"])
    try:
        if data["decision"] == "approve":
            group_services.approve_visit(group, slot=data["slot"], actor=request.user)
            messages.success(request, _("Approved: the places are kept."))
        else:
            group_services.decline_visit(group, reason=data["reason"], actor=request.user)
            messages.success(request, _("Declined."))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("backoffice:group", group_id=group.pk)


@require_POST
@capability("gate")
def gate_group_check_in(request: HttpRequest, slot_id: int, group_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    group = get_object_or_404(GroupVisit, pk=group_id, slot=slot)
    form = GroupCheckInForm(request.POST)
    if not form.is_valid():
        return _gate_page(request, slot, form=form)
    try:
        done = group_services.check_in_members(
            group,
            form.cleaned_data["member"],
            slot=slot,
            gate=_gate_name(request),
            staff=request.user,
        )
    except gate.GateRefusal as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("%(count)d checked in.") % {"count": done})
    return redirect("backoffice:gate", slot_id=slot.pk)


@require_POST
@capability("gate")
def gate_group_document(request: HttpRequest, slot_id: int, group_id: int) -> HttpResponse:
    """A member of a scanned group, checked in by the ID document they show;
    the group's list comes back for the next one."""
    slot = _slot(request, slot_id)
    group = get_object_or_404(GroupVisit, pk=group_id, slot=slot)
    form = GroupDocumentForm(request.POST)
    extra: dict[str, Any] = {}
    if form.is_valid():
        try:
            member = group_services.check_in_by_document(
                group,
                slot=slot,
                id_type=form.cleaned_data["id_type"],
                id_number=form.cleaned_data["id_number"],
                gate=_gate_name(request),
                staff=request.user,
            )
        except gate.GateRefusal as refusal:
            extra["refusal"] = refusal
        else:
            extra["checked_in"] = gate.mask_name(member.full_name)
        try:
            extra["group_scan"] = gate.inspect_group(group, slot=slot)
        except gate.GateRefusal as refusal:
            extra.setdefault("refusal", refusal)
    status = 400 if "refusal" in extra else 200
    response = _gate_page(request, slot, form=form, extra=extra)
    if response.status_code == 200:
        response.status_code = status
    return response
