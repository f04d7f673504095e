"""Operator pages. Each view checks access, calls a service, renders the result."""

import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tourdraw.backoffice.forms import IdentityDisputeForm
from tourdraw.catalog.models import Slot
from tourdraw.catalog.services import upcoming_slots
from tourdraw.edge import parse_id, parse_ids
from tourdraw.errors import Code, DomainError
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupVisit
from tourdraw.people import access, crypto, sign_in
from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES
from tourdraw.people.models import Visitor
from tourdraw.visits import calls, capacity, disputes, gate
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


@capability("call_centre")
def call_centre(request: HttpRequest) -> HttpResponse:
    queue = list(calls.queue(access.site_ids(request.user, "call_centre")))
    to_call = [offer for offer in queue if not calls.gave_up(offer)]
    lapsing = [offer for offer in queue if calls.gave_up(offer)]
    return render(
        request,
        "backoffice/call_centre.html",
        {"to_call": to_call, "lapsing": lapsing, "outcomes": CallAttempt.Outcome.choices},
    )


@require_POST
@capability("call_centre")
def record_call(request: HttpRequest, offer_id: int) -> HttpResponse:
    offers = access.scope(
        Offer.objects.select_related("entry", "slot__tour__site"), request.user, "call_centre"
    )
    offer = get_object_or_404(offers, pk=offer_id)
    outcome = request.POST.get("outcome", "")
    if outcome not in CallAttempt.Outcome.values:
        messages.error(request, _("Choose how the call went."))
        return redirect("backoffice:call_centre")
    declined = outcome == CallAttempt.Outcome.DECLINED
    if declined and offer.is_pending and not confirmation.confirmed(request):
        return confirmation.ask(
            request,
            question=_("Record that %(code)s declined on the phone?") % {"code": offer.entry.code},
            consequence=confirmation.places_given_up(offer, by_visitor=False),
            button=_("Record the decline"),
            back=reverse("backoffice:call_centre"),
            carry=["outcome", "note"],
        )
    try:
        calls.record_call(
            offer, agent=request.user, outcome=outcome, note=request.POST.get("note", "")
        )
    except OfferError as error:
        messages.error(request, f"{offer.entry.code}: {error.message}")
    else:
        messages.success(
            request,
            _("Call to %(code)s recorded: %(outcome)s.")
            % {"code": offer.entry.code, "outcome": CallAttempt.Outcome(outcome).label},
        )
    return redirect("backoffice:call_centre")


@capability("call_centre")
def identity_dispute(request: HttpRequest) -> HttpResponse:
    """A caller proves an ID document someone else registered is theirs: the
    agent moves it to the caller's account (see visits/disputes.py)."""
    form = IdentityDisputeForm(request.POST or None)
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
    return render(request, "backoffice/identity_dispute.html", {"form": form})


def _gate_name(request: HttpRequest) -> str:
    return request.session.get("gate_name") or _("Gate 1")


@capability("gate")
def gate_slots(request: HttpRequest) -> HttpResponse:
    """Today's sessions (and tomorrow's, for early shifts) at the staff
    member's own sites, to pick one."""
    if request.method == "POST":
        request.session["gate_name"] = request.POST.get("gate_name", "").strip()[:100]
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
        {
            "slots": slots.select_related("tour__site").order_by("starts_at"),
            "gate_name": _gate_name(request),
        },
    )


def _gate_form(request: HttpRequest) -> dict[str, str]:
    """What a gate form names the ticket by: the scanned QR or an ID document."""
    return {
        "code": request.POST.get("code", ""),
        "id_type": request.POST.get("id_type", ""),
        "id_number": request.POST.get("id_number", ""),
    }


@capability("gate")
def gate_page(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    groups = GroupVisit.objects.filter(slot=slot, state=GroupVisit.State.APPROVED).prefetch_related(
        "members"
    )
    context: dict[str, Any] = {
        "slot": slot,
        "gate_name": _gate_name(request),
        "groups": groups,
        "document_types": DOCUMENT_TYPE_CHOICES,
    }
    if request.method == "POST":
        named = _gate_form(request)
        try:
            context["scan"] = gate.inspect(gate.identify(slot, **named), slot=slot)
            context["named"] = named
        except gate.GateRefusal as refusal:
            context["refusal"] = refusal
    return render(request, "backoffice/gate.html", context)


@require_POST
@capability("gate")
def gate_check_in(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    try:
        ticket = gate.identify(slot, **_gate_form(request))
        done = gate.check_in(
            ticket,
            parse_ids(request.POST.getlist("member")),
            slot=slot,
            gate=_gate_name(request),
            staff=request.user,
            nonce=request.POST.get("nonce", ""),
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


@capability("operate")
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    group = get_object_or_404(_groups(request), pk=group_id)
    declining = request.method == "POST" and request.POST.get("decision") != "approve"
    reason = request.POST.get("reason", "").strip()
    # Without a reason, or decided already, the service refuses at once, unasked.
    undecided = group.state == GroupVisit.State.REQUESTED
    if declining and reason and undecided and not confirmation.confirmed(request):
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
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "approve":
                slots = Slot.objects.filter(tour__site=group.site)
                slot = get_object_or_404(slots, pk=parse_id(request.POST.get("slot")))
                group_services.approve_visit(group, slot=slot, actor=request.user)
                messages.success(request, _("Approved: the places are kept."))
            else:
                group_services.decline_visit(
                    group, reason=request.POST.get("reason", ""), actor=request.user
                )
                messages.success(request, _("Declined."))
        except DomainError as error:
            messages.error(request, str(error.message))
        return redirect("backoffice:group", group_id=group.pk)
    upcoming = list(upcoming_slots(cancelled=True).filter(tour__site=group.site)[:200])
    free = capacity.free_places_by_slot(upcoming)
    options = [(slot, free[slot.pk]) for slot in upcoming]
    return render(
        request,
        "backoffice/group.html",
        {"group": group, "options": options, "members": group.members.all()},
    )


@require_POST
@capability("gate")
def gate_group_check_in(request: HttpRequest, slot_id: int, group_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    group = get_object_or_404(GroupVisit, pk=group_id, slot=slot)
    try:
        done = group_services.check_in_members(
            group,
            parse_ids(request.POST.getlist("member")),
            slot=slot,
            gate=_gate_name(request),
            staff=request.user,
        )
    except gate.GateRefusal as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("%(count)d checked in.") % {"count": done})
    return redirect("backoffice:gate", slot_id=slot.pk)
