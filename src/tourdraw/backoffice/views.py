"""Operator pages. Each view checks access, calls a service, renders the result."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tourdraw.visits import calls
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.visits.offers import OfferError

View = Callable[..., HttpResponse]


def permission(codename: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "admin:login")
            if not request.user.has_perm(codename):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


@permission("visits.use_call_centre")
def call_centre(request: HttpRequest) -> HttpResponse:
    queue = list(calls.queue())
    to_call = [offer for offer in queue if not calls.gave_up(offer)]
    lapsing = [offer for offer in queue if calls.gave_up(offer)]
    return render(
        request,
        "backoffice/call_centre.html",
        {"to_call": to_call, "lapsing": lapsing, "outcomes": CallAttempt.Outcome.choices},
    )


@require_POST
@permission("visits.use_call_centre")
def record_call(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = get_object_or_404(Offer, pk=offer_id)
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
