"""The audit log page: each event in words, linked to its object, with what it
changed; filtered by event type, object, actor and date, a page at a time.

Only the log lines of the sites where the user operates are listed."""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.apps import apps
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tourdraw.audit.models import LogEntry
from tourdraw.backoffice import audit_words
from tourdraw.backoffice.planning import FIRST_DAY_FORMAT, LAST_DAY_FORMAT, day_field, week_code
from tourdraw.backoffice.views import capability
from tourdraw.catalog.models import Slot
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Entry, Round
from tourdraw.people import access
from tourdraw.reports import exports
from tourdraw.visits.models import Offer, Ticket

OPERATE = "operate"
PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=gettext_lazy("Event type"), required=False, max_length=100)
    object_type = forms.CharField(required=False, max_length=100)
    object_id = forms.CharField(required=False, max_length=64)
    actor = forms.CharField(label=gettext_lazy("Done by"), required=False, max_length=150)
    date_from = day_field(gettext_lazy("From"), FIRST_DAY_FORMAT, required=False)
    date_to = day_field(gettext_lazy("To"), LAST_DAY_FORMAT, required=False)
    page = forms.IntegerField(required=False, min_value=1)
    format = forms.CharField(required=False, max_length=10)

    def filtered(self, entries: QuerySet[LogEntry]) -> QuerySet[LogEntry]:
        data = self.cleaned_data
        for name in ("action", "object_type", "object_id"):
            if data[name]:
                entries = entries.filter(**{f"{name}__startswith": data[name]})
        if data["actor"]:
            entries = entries.filter(actor__username=data["actor"])
        if data["date_from"]:
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(created_at__date__lte=data["date_to"])
        return entries


def _history(object_type: str, object_id: str) -> str:
    query = urlencode({"object_type": object_type, "object_id": object_id})
    return f"{reverse('backoffice:audit')}?{query}"


def _link(url: str, text: str) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, text)


# How each kind of object is named and linked: (model, related rows to read
# with it, its link).
Loader = tuple[type[Model], tuple[str, ...], Callable[[Any], SafeString]]
LOADERS: dict[str, Loader] = {
    "lottery.round": (Round, (), lambda r: _link(reverse("backoffice:round", args=[r.pk]), r.code)),
    "catalog.slot": (
        Slot,
        ("tour__site",),
        lambda s: _link(
            f"{reverse('backoffice:planning')}?week={week_code(s.visit_date)}#slot-{s.pk}",
            f"{s.tour.tr('name')} {s.label}",
        ),
    ),
    "lottery.entry": (Entry, (), lambda e: _link(_history("lottery.entry", e.pk), e.code)),
    "visits.offer": (
        Offer,
        ("entry",),
        lambda o: _link(_history("visits.offer", o.pk), o.entry.code),
    ),
    "visits.ticket": (
        Ticket,
        ("offer__entry",),
        lambda t: _link(_history("visits.ticket", t.pk), t.offer.entry.code),
    ),
    "groups.groupvisit": (
        GroupVisit,
        (),
        lambda g: _link(reverse("backoffice:group", args=[g.pk]), f"#{g.pk} {g.organisation}"),
    ),
}


def _named(object_type: str, object_id: str) -> SafeString:
    """An object no loader knows, or one since deleted: its kind and id."""
    try:
        kind = str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        kind = object_type
    return _link(_history(object_type, object_id), f"{kind} #{object_id}")


def objects(entries: Iterable[LogEntry]) -> dict[tuple[str, str], SafeString]:
    """Each entry's object, linked: one query per kind of object on the page."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.object_type in LOADERS and entry.object_id.isdigit():
            wanted[entry.object_type].add(int(entry.object_id))
    found = {}
    for object_type, ids in wanted.items():
        model, related, link = LOADERS[object_type]
        for obj in model._default_manager.select_related(*related).filter(pk__in=ids):
            found[(object_type, str(obj.pk))] = link(obj)
    return found


def _actor(entry: LogEntry) -> str:
    user = entry.actor
    if user is None:
        return ""
    if getattr(user, "visitor", None) is not None:
        return _("A visitor")
    return str(user.get_username())


@dataclass(frozen=True)
class Row:
    entry: LogEntry
    sentence: SafeString
    changes: list[audit_words.Change]
    details: list[tuple[str, str]]


def rows(entries: list[LogEntry]) -> list[Row]:
    linked = objects(entries)
    found = []
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {"data": entry.data}
        obj = linked.get((entry.object_type, entry.object_id)) or _named(
            entry.object_type, entry.object_id
        )
        found.append(
            Row(
                entry,
                audit_words.sentence(entry.action, data, actor=_actor(entry), obj=obj),
                audit_words.changes(entry.action, data),
                audit_words.details(data),
            )
        )
    return found


def _csv(entries: QuerySet[LogEntry]) -> HttpResponse:
    return exports.csv_response(
        "audit.csv",
        ["time", "action", "actor", "site", "object_type", "object_id", "data"],
        (
            (
                e.created_at.isoformat(),
                e.action,
                e.actor.username if e.actor else "",
                e.site.code if e.site else "",
                e.object_type,
                e.object_id,
                json.dumps(e.data, ensure_ascii=False, sort_keys=True),
            )
            for e in entries[:10000]
        ),
    )


@capability(OPERATE)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = access.scope(
        LogEntry.objects.select_related("actor__visitor", "site"), request.user, OPERATE
    )
    form = AuditFilterForm(request.GET)
    context: dict[str, Any] = {"form": form, "kinds": audit_words.KINDS}
    if not form.is_valid():
        return render(request, "backoffice/audit.html", context, status=400)
    entries = form.filtered(entries)
    if form.cleaned_data["format"] == "csv":
        return _csv(entries)
    page = Paginator(entries, PAGE_SIZE).get_page(form.cleaned_data["page"] or 1)
    context.update(page=page, rows=rows(list(page.object_list)))
    return render(request, "backoffice/audit.html", context)
