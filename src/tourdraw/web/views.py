"""Visitor pages. Each view checks access, calls a service, renders the result."""

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from tourdraw import limits
from tourdraw.api import tokens as api_tokens
from tourdraw.catalog.models import Site
from tourdraw.errors import Code, DomainError
from tourdraw.groups import member_lists
from tourdraw.groups import services as group_services
from tourdraw.groups import tickets as group_tickets
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import entries, fairness, receipts, results, rounds
from tourdraw.lottery.models import Draw, Entry, Round
from tourdraw.people import consent, crypto, identity, rights, sign_in
from tourdraw.people import services as people_services
from tourdraw.people.models import User, Visitor
from tourdraw.people.ratelimits import too_many_codes, too_many_codes_message
from tourdraw.reports import charts, exports, stats
from tourdraw.transparency import round_facts
from tourdraw.visits import leftovers, tickets
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import OfferError, confirm_offer, decline_offer
from tourdraw.visits.status import entry_status, entry_statuses, group_status
from tourdraw.web import confirmation
from tourdraw.web.forms import (
    CodeForm,
    ConsentForm,
    EmailForm,
    EntryForm,
    GroupRequestForm,
    LeftoverClaimForm,
    NameForm,
    PhoneForm,
    ProfileForm,
)

View = Callable[..., HttpResponse]

# After each entry or change: the receipt states it as it now stands.
RECEIPT_HINT = gettext_lazy("Download its new receipt below and keep it.")


def visitor_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('web:sign_in')}?next={request.get_full_path()}")
        if not hasattr(request.user, "visitor"):
            messages.error(request, _("Staff accounts cannot enter rounds; sign in as a visitor."))
            return redirect("web:home")
        return view(request, *args, **kwargs)

    return wrapper


def signed_in_visitor(request: HttpRequest) -> Visitor:
    """The visitor of a request ``visitor_required`` let through."""
    user = request.user
    assert isinstance(user, User), "visitor_required lets only a signed-in account through"
    return user.visitor


def home(request: HttpRequest) -> HttpResponse:
    sites = Site.objects.prefetch_related("tours", rounds.prefetch_visible_rounds("tours__"))
    return render(request, "web/home.html", {"sites": sites, "now": timezone.now()})


def site_detail(request: HttpRequest, code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=code)
    tours = site.tours.prefetch_related(rounds.prefetch_visible_rounds())
    return render(request, "web/site.html", {"site": site, "tours": tours})


def round_detail(request: HttpRequest, code: str) -> HttpResponse:
    round = get_object_or_404(Round.objects.select_related("tour__site"), code=code)
    demand = stats.public_demand(round)
    slots = list(round.slots.select_related("tour__site").order_by("starts_at"))
    my_entry = None
    if request.user.is_authenticated and hasattr(request.user, "visitor"):
        my_entry = round.entries.filter(
            visitor=request.user.visitor, state=Entry.State.ACTIVE
        ).first()
    context = {
        "round": round,
        "tour": round.tour,
        "site": round.tour.site,
        "rows": stats.slot_odds(round, slots, demand=demand),
        "totals": demand.total,
        "past": stats.past_share(round),
        "my_entry": my_entry,
        "accepting": rounds.accepts_entries(round, timezone.now()),
        "beacon": round_facts.beacon(round),
        "promotion_cutoff_hours": int(settings.TOURDRAW_PROMOTION_CUTOFF.total_seconds() // 3600),
        "confirm_hours": int(round.confirm_window.total_seconds() // 3600),
        "leftovers": leftovers.open_in(round, timezone.now()),
    }
    return render(request, "web/round.html", context)


@visitor_required
def leftover_claim(request: HttpRequest, code: str, slot_id: int) -> HttpResponse:
    """Claim a drawn session's leftover places for your party: the ticket at once."""
    round = get_object_or_404(Round.objects.select_related("tour__site"), code=code)
    slot = get_object_or_404(round.slots.select_related("tour__site"), pk=slot_id)
    visitor = signed_in_visitor(request)
    if visitor.self_person is None:
        messages.info(request, _("Add your real name and ID document before claiming places."))
        return redirect(f"{reverse('web:profile')}?next={request.path}")
    if request.method == "POST" and limits.too_many_leftover_claims(request):
        return limits.too_many_requests(request, retry_after=60)
    form = LeftoverClaimForm(request.POST or None, tour=round.tour)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = leftovers.claim_leftover(
                slot,
                visitor,
                companions=form.companions(),
                accepted_rules=form.cleaned_data["accept_rules"],
            )
        except DomainError as refused:
            form.add_domain_errors(refused.problems)
        else:
            messages.success(
                request,
                _("The places are yours: %(slot)s. Your ticket is below; it was sent by SMS too.")
                % {"slot": slot.label},
            )
            return redirect("web:ticket", code=ticket.code)
    open_now = {shown.slot.pk: shown for shown in leftovers.open_in(round, timezone.now())}
    context = {
        "form": form,
        "round": round,
        "slot": slot,
        "open": open_now.get(slot.pk),
        "person": visitor.self_person,
    }
    return render(request, "web/leftover_claim.html", context)


def site_history(request: HttpRequest, code: str) -> HttpResponse:
    """Every drawn round of the site: entries, persons, places, placed, as a
    table and a chart."""
    site = get_object_or_404(Site, code=code)
    past = stats.past_rounds(site)
    context = {"site": site, "past": past, "chart": charts.share_chart(past, site.tzinfo)}
    return render(request, "web/history.html", context)


def draw_record(request: HttpRequest, code: str) -> HttpResponse:
    """The published record, byte for byte as stored at the draw."""
    drawn = get_object_or_404(Draw.objects.select_related("round"), round__code=code)
    response = HttpResponse(drawn.record, content_type="application/json")
    name = exports.attachment_name(f"{drawn.round.code}.draw.json")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def round_results(request: HttpRequest, code: str) -> HttpResponse:
    round = get_object_or_404(Round.objects.select_related("tour__site"), code=code)
    # The record itself (megabytes for a large round) is not shown here.
    drawn = Draw.objects.filter(round=round).defer("record").first()
    if drawn is None:
        return redirect("web:round", code=round.code)
    looked_up = None
    asked = request.GET.get("entry", "").strip()
    if asked:
        looked_up = results.lookup(round, asked)
    promotions = round.promotions.select_related("offer__entry", "slot__tour__site")
    context = {
        "round": round,
        "site": round.tour.site,
        "drawn": drawn,
        "slot_results": _with_places(round, results.slot_results(round)),
        "waitlist_length": drawn.waitlisted_entries,
        "asked": asked,
        "looked_up": looked_up,
        "promotions": promotions,
    }
    return render(request, "web/results.html", context)


def _with_places(
    round: Round, rows: list[results.SlotResult]
) -> list[tuple[results.SlotResult, round_facts.SlotPlaces]]:
    """Each slot's result beside the places the draw seated in it."""
    places = {p.slot.pk: p for p in round_facts.slot_places(round, [r.slot for r in rows])}
    return [(row, places[row.slot.pk]) for row in rows if row.slot.pk in places]


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("web:my_entries")


def sign_in_view(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone = sign_in.sign_in_phone(form.cleaned_data["phone"])
        except sign_in.SignInError as error:
            form.add_error("phone", str(error.message))
        else:
            if too_many_codes(request, phone.as_e164):
                form.add_error("phone", too_many_codes_message())
            else:
                sign_in.request_code(phone, language=translation.get_language() or "zh-hans")
                request.session["sign_in_phone"] = crypto.encrypt(phone.as_e164)
                code_url = reverse("web:sign_in_code")
                return redirect(f"{code_url}?next={_next_url(request)}")
    return render(request, "web/sign_in.html", {"form": form, "next": _next_url(request)})


def sign_in_code(request: HttpRequest) -> HttpResponse:
    # Sessions are signed, not encrypted, and sit in the database: the number
    # waiting for its code is kept there encrypted.
    sealed_phone = request.session.get("sign_in_phone")
    # A session from before the number was sealed (or a retired key) starts over.
    raw_phone = crypto.decrypt_or_empty(sealed_phone) if sealed_phone else ""
    if not raw_phone:
        return redirect("web:sign_in")
    phone = sign_in.parse_phone(raw_phone)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in.verify_code(
                phone, form.cleaned_data["code"], language=translation.get_language() or "zh-hans"
            )
        except sign_in.SignInError as error:
            form.add_error("code", str(error.message))
        else:
            del request.session["sign_in_phone"]
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if user.visitor.self_person is None:
                messages.info(request, _("Welcome! Add your real name and ID document first."))
                return redirect(f"{reverse('web:profile')}?next={_next_url(request)}")
            return HttpResponseRedirect(_next_url(request))
    masked = f"{raw_phone[:-8]}****{raw_phone[-4:]}"
    return render(
        request,
        "web/sign_in_code.html",
        {"form": form, "phone": masked, "next": _next_url(request)},
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:home")


@visitor_required
def profile(request: HttpRequest) -> HttpResponse:
    visitor = signed_in_visitor(request)
    person = visitor.self_person
    initial = {}
    if person is not None:
        initial = {"full_name": person.full_name, "id_type": person.id_type}
    form = ProfileForm(request.POST or None, initial=initial)
    asked = None if consent.is_current(visitor) else _consent_form(request)
    if request.method == "POST" and form.is_valid() and (asked is None or asked.is_valid()):
        try:
            if asked is not None:
                _give_consent(visitor, asked)
            people_services.save_profile(visitor, **form.cleaned_data, today=timezone.localdate())
        except consent.ConsentError as error:
            assert asked is not None
            asked.add_domain_errors([error])
        except (people_services.PersonError, identity.IdentityError) as error:
            form.add_domain_errors([error])
        else:
            messages.success(request, _("Your profile is saved."))
            return HttpResponseRedirect(_next_url(request))
    context = {
        "form": form,
        "consent_form": asked,
        "person": person,
        "next": _next_url(request),
        "tokens": api_tokens.tokens_of(request.user),
    }
    return render(request, "web/profile.html", context)


@visitor_required
def email_address(request: HttpRequest) -> HttpResponse:
    """Give, change or remove the e-mail address notices also go to."""
    visitor = signed_in_visitor(request)
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people_services.set_email(visitor, form.cleaned_data["email"])
        except people_services.PersonError as error:
            form.add_domain_errors([error])
        else:
            if visitor.email:
                messages.success(request, _("Your e-mail address is saved."))
            else:
                messages.success(request, _("Your e-mail address is removed."))
            return redirect("web:profile")
    return render(request, "web/email.html", {"form": form, "current": visitor.email_masked})


@require_POST
@visitor_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        api_tokens.revoke(request.user, token_id)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The app signed in with that token is signed out."))
    return redirect("web:profile")


def _consent_form(request: HttpRequest) -> ConsentForm:
    return ConsentForm(
        request.POST or None, prefix="consent", initial={"version": consent.current_version()}
    )


def _give_consent(visitor: Visitor, form: ConsentForm) -> None:
    consent.give(
        visitor,
        version=form.cleaned_data["version"],
        notice=form.cleaned_data["accept_notice"],
        sensitive=form.cleaned_data["accept_sensitive"],
        now=timezone.now(),
    )


def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/privacy.html",
        {
            "version": consent.current_version(),
            "retention_days": settings.TOURDRAW_RETENTION_DAYS,
        },
    )


@visitor_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything held about the visitor; ``?download=1`` gives it as a JSON file."""
    visitor = signed_in_visitor(request)
    data = rights.export_data(visitor)
    if request.GET.get("download"):
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = 'attachment; filename="tourdraw-my-data.json"'
        return response
    people = visitor.people.filter(erased_at__isnull=True).order_by("pk")
    return render(request, "web/my_data.html", {"data": data, "people": people})


@visitor_required
@require_POST
def correct_name(request: HttpRequest, person_id: int) -> HttpResponse:
    visitor = signed_in_visitor(request)
    form = NameForm(request.POST)
    try:
        name = form.data.get("full_name", "")
        people_services.correct_name(visitor, person_id, full_name=str(name))
    except people_services.PersonError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The name is corrected."))
    return redirect("web:my_data")


@visitor_required
def delete_account(request: HttpRequest) -> HttpResponse:
    visitor = signed_in_visitor(request)
    if request.method == "POST" and request.POST.get("confirm") == "delete":
        rights.delete_account(visitor, now=timezone.now())
        logout(request)
        messages.success(request, _("Your account and your personal data are deleted."))
        return redirect("web:home")
    return render(request, "web/delete_account.html", {})


def _slot_labels(round: Round) -> list[tuple[int, str]]:
    slots = round.slots.select_related("tour__site").order_by("starts_at")
    return [(slot.pk, slot.label) for slot in slots]


@visitor_required
def enter(request: HttpRequest, code: str) -> HttpResponse:
    round = get_object_or_404(Round.objects.select_related("tour__site"), code=code)
    visitor = signed_in_visitor(request)
    existing = round.entries.filter(visitor=visitor, state=Entry.State.ACTIVE).first()
    if existing is not None:
        return redirect("web:entry_change", code=existing.code)
    if visitor.self_person is None:
        messages.info(request, _("Add your real name and ID document before entering."))
        return redirect(f"{reverse('web:profile')}?next={request.path}")
    form = EntryForm(request.POST or None, tour=round.tour, slot_labels=_slot_labels(round))
    if request.method == "POST" and form.is_valid():
        try:
            entry = entries.enter_round(
                round, visitor, choices=form.chosen_slot_ids(), companions=form.companions()
            )
        except entries.EntryRejected as rejected:
            form.add_domain_errors(rejected.errors)
        else:
            messages.success(
                request,
                _("You are in the draw. Your entry code is %(code)s.") % {"code": entry.code}
                + " "
                + RECEIPT_HINT,
            )
            return redirect("web:entry_detail", code=entry.code)
    return render(
        request, "web/enter.html", {"form": form, "round": round, "person": visitor.self_person}
    )


def _own_entry(request: HttpRequest, code: str) -> Entry:
    return get_object_or_404(
        Entry.objects.select_related("round__tour__site"),
        code=code,
        visitor=signed_in_visitor(request),
    )


@visitor_required
def my_entries(request: HttpRequest) -> HttpResponse:
    visitor = signed_in_visitor(request)
    mine = list(
        entries.with_party(visitor.entries.select_related("round__tour__site")).order_by(
            "-created_at"
        )
    )
    rows = list(zip(mine, entry_statuses(mine), strict=True))
    groups = [
        (group, group_status(group))
        for group in visitor.group_visits.select_related("site", "slot__tour__site")
    ]
    return render(request, "web/my_entries.html", {"rows": rows, "groups": groups})


@visitor_required
def entry_detail(request: HttpRequest, code: str) -> HttpResponse:
    entry = _own_entry(request, code)
    choices = [
        choice.slot.label
        for choice in entry.choices.select_related("slot__tour__site").order_by("rank")
    ]
    members = entry.members.select_related("person").order_by("position")
    can_change = entry.is_active and rounds.accepts_entries(entry.round, timezone.now())
    looked_up = results.lookup(entry.round, entry.code)
    offer = Offer.objects.filter(entry=entry).select_related("slot__tour__site").first()
    ticket = Ticket.objects.filter(offer=offer).first() if offer is not None else None
    return render(
        request,
        "web/entry.html",
        {
            "entry": entry,
            "choices": choices,
            "members": members,
            "can_change": can_change,
            "tickets": fairness.explain(entry),
            "status": entry_status(entry),
            "looked_up": looked_up,
            "offer": offer,
            "ticket": ticket,
            "waitlist": looked_up is not None and offer is None,
            "now": timezone.now(),
        },
    )


@visitor_required
def entry_receipt(request: HttpRequest, code: str) -> HttpResponse:
    """The signed receipt of the entry as it stands, as a file to keep (owner only)."""
    entry = _own_entry(request, code)
    if entry.leftover:
        raise Http404("a leftover party took no part in the draw: it has no receipt")
    response = JsonResponse(receipts.receipt_for(entry), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{receipts.filename(entry)}"'
    return response


@visitor_required
def entry_change(request: HttpRequest, code: str) -> HttpResponse:
    entry = _own_entry(request, code)
    round = entry.round
    initial: dict[str, Any] = {}
    for choice in entry.choices.order_by("rank"):
        initial[f"choice_{choice.rank}"] = choice.slot_id
    saved = {}
    companions = entry.members.filter(role="companion").select_related("person")
    for index, member in enumerate(companions.order_by("position")):
        person = member.person
        saved[f"companion_{index}_id_number"] = person.id_masked
        initial.update(
            {
                f"companion_{index}_full_name": person.full_name,
                f"companion_{index}_id_type": person.id_type,
                f"companion_{index}_birth_date": person.birth_date,
                f"companion_{index}_person": person.pk,
                f"companion_{index}_guardian": member.guardian_declared_at is not None,
            }
        )
    form = EntryForm(
        request.POST or None, initial=initial, tour=round.tour, slot_labels=_slot_labels(round)
    )
    for name, masked in saved.items():
        form.fields[name].widget.attrs["placeholder"] = masked
        form.fields[name].help_text = _("Leave empty to keep %(masked)s.") % {"masked": masked}
    if request.method == "POST" and form.is_valid():
        try:
            entries.change_entry(
                entry, choices=form.chosen_slot_ids(), companions=form.companions()
            )
        except entries.EntryRejected as rejected:
            form.add_domain_errors(rejected.errors)
        else:
            messages.success(request, _("Your entry is changed.") + " " + RECEIPT_HINT)
            return redirect("web:entry_detail", code=entry.code)
    return render(
        request,
        "web/enter.html",
        {"form": form, "round": round, "entry": entry, "person": entry.visitor.self_person},
    )


@require_POST
@visitor_required
def entry_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    entry = _own_entry(request, code)
    # What the service refuses anyway (a stale page) is refused at once, unasked.
    if entry.is_active and not confirmation.confirmed(request):
        round = entry.round
        closes = timezone.localtime(round.closes_at, round.tour.site.tzinfo)
        return confirmation.ask(
            request,
            question=_("Withdraw entry %(code)s?") % {"code": entry.code},
            consequence=ngettext(
                "Your entry for %(n)d person leaves the draw of %(round)s. To be drawn, you "
                "would have to enter again, as a new entry, before %(closes)s.",
                "Your entry for %(n)d persons leaves the draw of %(round)s. To be drawn, you "
                "would have to enter again, as a new entry, before %(closes)s.",
                entry.party_size,
            )
            % {
                "n": entry.party_size,
                "round": round.tr("title"),
                "closes": formats.date_format(closes, "DATETIME_FORMAT"),
            },
            button=_("Withdraw the entry"),
            back=reverse("web:entry_detail", args=[entry.code]),
            final=False,
        )
    try:
        entries.withdraw_entry(entry)
    except entries.EntryRejected as rejected:
        messages.error(request, str(rejected.message))
    else:
        messages.success(request, _("Your entry is withdrawn."))
    return HttpResponseRedirect(reverse("web:entry_detail", args=[entry.code]))


@require_POST
@visitor_required
def offer_confirm(request: HttpRequest, code: str) -> HttpResponse:
    entry = _own_entry(request, code)
    offer = get_object_or_404(Offer, entry=entry)
    try:
        confirm_offer(
            offer,
            actor=request.user,
            accepted_rules=request.POST.get("accept_rules") == "yes",
            via=Offer.Via.ONLINE,
        )
    except OfferError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Confirmed. Your ticket is ready."))
    return redirect("web:entry_detail", code=entry.code)


@require_POST
@visitor_required
def offer_decline(request: HttpRequest, code: str) -> HttpResponse:
    entry = _own_entry(request, code)
    offer = get_object_or_404(Offer.objects.select_related("slot__tour__site"), entry=entry)
    if offer.is_pending and not confirmation.confirmed(request):
        return confirmation.ask(
            request,
            question=_("Give up your places?"),
            consequence=confirmation.places_given_up(offer, by_visitor=True),
            button=_("Give up the places"),
            back=reverse("web:entry_detail", args=[entry.code]),
        )
    try:
        decline_offer(offer, actor=request.user)
    except OfferError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("You gave up the place; it goes to the waitlist."))
    return redirect("web:entry_detail", code=entry.code)


@visitor_required
def ticket_page(request: HttpRequest, code: str) -> HttpResponse:
    """Reached from the SMS link, for its owner only: the ticket code is also
    inside the QR, which anyone at the gate or behind a shoulder can read, so
    the code alone must not open the party's names."""
    ticket = get_object_or_404(
        Ticket.objects.select_related("offer__slot__tour__site", "offer__entry__round"),
        code=code,
        offer__entry__visitor=signed_in_visitor(request),
    )
    offer = ticket.offer
    members = offer.entry.members.select_related("person").order_by("position")
    context = {
        "ticket": ticket,
        "offer": offer,
        "slot": offer.slot,
        "site": offer.slot.tour.site,
        "members": members,
        "qr": tickets.qr_svg(ticket) if ticket.is_valid else "",
        "can_cancel": tickets.may_cancel(ticket, timezone.now()),
    }
    return render(request, "web/ticket.html", context)


@require_POST
@visitor_required
def ticket_cancel(request: HttpRequest, code: str) -> HttpResponse:
    ticket = get_object_or_404(
        Ticket.objects.select_related("offer__slot__tour__site", "offer__entry"),
        code=code,
        offer__entry__visitor=signed_in_visitor(request),
    )
    if ticket.is_valid and not confirmation.confirmed(request):
        return confirmation.ask(
            request,
            question=_("Cancel this ticket?"),
            consequence=_("The ticket will no longer let anyone in.")
            + " "
            + confirmation.places_given_up(ticket.offer, by_visitor=True),
            button=_("Cancel the ticket"),
            back=reverse("web:ticket", args=[ticket.code]),
        )
    try:
        tickets.cancel_ticket(ticket, actor=request.user)
    except tickets.TicketError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Your ticket is cancelled; the places go to the waitlist."))
    return redirect("web:ticket", code=ticket.code)


def group_request(request: HttpRequest, code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=code)
    form = GroupRequestForm(request.POST or None, site=site)
    if request.method == "POST" and limits.too_many_group_requests(request):
        return limits.too_many_requests(request)
    if request.method == "POST" and form.is_valid():
        try:
            group = group_services.request_visit(
                site,
                **form.cleaned_data,
                language=translation.get_language() or "",
                visitor=getattr(request.user, "visitor", None),
            )
        except group_services.GroupError as error:
            form.add_domain_errors([error])
        else:
            messages.success(
                request,
                _(
                    "Your request is in. Keep this page's address: the decision and the "
                    "member list are here."
                ),
            )
            return redirect("web:group", code=group.code)
    return render(request, "web/group_request.html", {"site": site, "form": form})


# A preview is saved from the same browser within this time, or read again.
GROUP_PREVIEW_SECONDS = 30 * 60


def group_page(request: HttpRequest, code: str) -> HttpResponse:
    """The group leader's page, reached by its secret link: decision, member list, ticket.

    A member list is saved in two steps that need no script: the upload shows
    every row as it will be stored, and "Save this list" saves exactly those
    rows, kept sealed in the session (never sent back by the browser), after
    checking them again.
    """
    group = get_object_or_404(
        GroupVisit.objects.select_related("site", "slot__tour__site"), code=code
    )
    context: dict[str, Any] = {"errors": []}
    if request.method == "POST":
        try:
            if "save" in request.POST:
                group_services.save_member_list(group, _previewed_rows(request, group))
                request.session.pop(_preview_key(group), None)
                messages.success(request, _("The member list is saved."))
                return redirect("web:group", code=group.code)
            rows = group_services.read_member_list(_uploaded_list(request))
            context["preview"] = group_services.check_member_list(group, rows)
            context["preview_token"] = _keep_preview(request, group, rows)
        except group_services.GroupError as error:
            context["errors"] = [str(problem.message) for problem in error.problems]
    return render(
        request,
        "web/group.html",
        {
            "group": group,
            "members": group.members.all(),
            "qr": group_tickets.qr_svg(group) if group_tickets.has_code(group) else "",
            "columns": ", ".join(group_services.CSV_COLUMNS),
            "id_types": member_lists.allowed_id_types(),
            "max_rows": member_lists.MAX_ROWS,
            "max_kb": member_lists.MAX_BYTES // 1024,
            **context,
        },
    )


def _uploaded_list(request: HttpRequest) -> bytes | str:
    upload = request.FILES.get("members_file")
    if upload is None:
        return request.POST.get("members", "")
    # One byte over the limit is enough for the reader to refuse it by name.
    return upload.read(member_lists.MAX_BYTES + 1)


def _preview_key(group: GroupVisit) -> str:
    return f"group_members_preview:{group.code}"


def _keep_preview(request: HttpRequest, group: GroupVisit, rows: list[member_lists.ListRow]) -> str:
    token = secrets.token_urlsafe(16)
    request.session[_preview_key(group)] = {
        "token": token,
        "at": timezone.now().timestamp(),
        "rows": crypto.encrypt(member_lists.dump(rows)),
    }
    return token


def _previewed_rows(request: HttpRequest, group: GroupVisit) -> list[member_lists.ListRow]:
    kept = request.session.get(_preview_key(group))
    if (
        not isinstance(kept, dict)
        or not secrets.compare_digest(str(kept.get("token")), request.POST.get("save", ""))
        or timezone.now().timestamp() - float(kept.get("at", 0)) > GROUP_PREVIEW_SECONDS
    ):
        raise group_services.GroupError(
            _("This preview is no longer current; upload the list again."),
            code=Code.PREVIEW_EXPIRED,
            field="members",
        )
    return member_lists.load(crypto.decrypt(kept["rows"]))


def group_template(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    """The member list to fill in, headed in the page's language (CSV or .xlsx)."""
    get_object_or_404(GroupVisit, code=code)
    if kind == "xlsx":
        response = HttpResponse(
            member_lists.template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif kind == "csv":
        response = HttpResponse(member_lists.template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="member-list.{kind}"'
    return response
