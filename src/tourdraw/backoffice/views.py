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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tourdraw.catalog.models import Slot
from tourdraw.errors import DomainError
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupVisit
from tourdraw.people import access
from tourdraw.visits import calls, capacity, gate
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.visits.offers import OfferError

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
    offers = access.scope(Offer.objects.all(), request.user, "call_centre")
    offer = get_object_or_404(offers, pk=offer_id)
    outcome = request.POST.get("outcome", "")
    if outcome not in CallAttempt.Outcome.values:
        messages.error(request, _("Choose how the call went."))
        return redirect("backoffice:call_centre")
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


def _gate_name(request: HttpRequest) -> str:
    return request.session.get("gate_name") or _("Gate 1")


@capability("gate")
def gate_slots(request: HttpRequest) -> HttpResponse:
    """Today's sessions (and tomorrow's, for early shifts), to pick one."""
    if request.method == "POST":
        request.session["gate_name"] = request.POST.get("gate_name", "").strip()[:100]
    today = timezone.localdate()
    slots = (
        Slot.objects.filter(
            starts_at__date__gte=today, starts_at__date__lte=today + timedelta(days=1)
        )
        .select_related("tour__site")
        .order_by("starts_at")
    )
    return render(
        request, "backoffice/gate_slots.html", {"slots": slots, "gate_name": _gate_name(request)}
    )


@capability("gate")
def gate_page(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    groups = GroupVisit.objects.filter(slot=slot, state=GroupVisit.State.APPROVED).prefetch_related(
        "members"
    )
    context: dict[str, Any] = {"slot": slot, "gate_name": _gate_name(request), "groups": groups}
    if request.method == "POST":
        scanned = request.POST.get("code", "")
        try:
            context["scan"] = gate.scan(scanned, slot=slot)
            context["scanned"] = scanned
        except gate.GateRefusal as refusal:
            context["refusal"] = refusal
    return render(request, "backoffice/gate.html", context)


@require_POST
@capability("gate")
def gate_check_in(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot(request, slot_id)
    try:
        ticket = gate.find_ticket(request.POST.get("code", ""))
        done = gate.check_in(
            ticket,
            [int(pk) for pk in request.POST.getlist("member") if pk.isdigit()],
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


@require_POST
@capability("gate")
def gate_sync(request: HttpRequest, slot_id: int) -> JsonResponse:
    slot = _slot(request, slot_id)
    try:
        body = json.loads(request.body)
        uploads = list(body["checkins"])
        device = str(body.get("device", ""))[:100]
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {
                "code": "invalid",
                "message": _("Send {device, checkins: [...]} as JSON."),
                "field": "checkins",
            },
            status=400,
        )
    report = gate.sync(slot, uploads, gate=_gate_name(request), device=device, staff=request.user)
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
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "approve":
                slots = Slot.objects.filter(tour__site=group.site)
                slot = get_object_or_404(slots, pk=request.POST.get("slot") or 0)
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
    upcoming = Slot.objects.filter(
        tour__site=group.site, starts_at__gt=timezone.now()
    ).select_related("tour__site")
    options = [(slot, capacity.free_places(slot)) for slot in upcoming.order_by("starts_at")[:200]]
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
            [int(pk) for pk in request.POST.getlist("member") if pk.isdigit()],
            slot=slot,
            gate=_gate_name(request),
            staff=request.user,
        )
    except gate.GateRefusal as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("%(count)d checked in.") % {"count": done})
    return redirect("backoffice:gate", slot_id=slot.pk)
