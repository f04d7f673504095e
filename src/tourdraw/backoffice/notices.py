"""Operator pages: a site's notices to its visitors (catalog/notices.py).

Reached per site; a site where the user does not operate is a 404."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tourdraw.backoffice.forms import NoticeForm
from tourdraw.backoffice.views import capability
from tourdraw.catalog import notices
from tourdraw.catalog.models import Notice, Site
from tourdraw.people import access
from tourdraw.web import confirmation

OPERATE = "operate"


def _sites(request: HttpRequest) -> QuerySet[Site]:
    allowed = access.site_ids(request.user, OPERATE)
    sites = Site.objects.order_by("code")
    return sites if allowed is None else sites.filter(pk__in=allowed)


def _site(request: HttpRequest, site_code: str) -> Site:
    return get_object_or_404(_sites(request), code=site_code)


def _notice(site: Site, notice_id: int) -> Notice:
    return get_object_or_404(Notice.objects.select_related("tour"), pk=notice_id, site=site)


@capability(OPERATE)
def site_list(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/sites.html", {"sites": _sites(request)})


def _page(
    request: HttpRequest, site: Site, form: NoticeForm, editing: Notice | None
) -> HttpResponse:
    return render(
        request,
        "backoffice/notices.html",
        {
            "site": site,
            "notices": site.notices.select_related("tour").order_by("order", "pk"),
            "form": form,
            "editing": editing,
        },
        status=400 if form.errors else 200,
    )


@capability(OPERATE)
def notice_list(request: HttpRequest, site_code: str) -> HttpResponse:
    """The site's notices, and a form to add one."""
    site = _site(request, site_code)
    form = NoticeForm(request.POST if request.method == "POST" else None, site=site)
    if request.method == "POST" and form.is_valid():
        try:
            notices.add_notice(site, form.written(), actor=request.user)
        except notices.NoticeError as error:
            form.add_domain_errors([error])
        else:
            messages.success(request, _("Notice added."))
            return redirect("backoffice:notices", site_code=site.code)
    return _page(request, site, form, None)


@capability(OPERATE)
def notice_edit(request: HttpRequest, site_code: str, notice_id: int) -> HttpResponse:
    site = _site(request, site_code)
    notice = _notice(site, notice_id)
    form = NoticeForm(
        request.POST if request.method == "POST" else None,
        site=site,
        initial=NoticeForm.initial_of(notice),
    )
    if request.method == "POST" and form.is_valid():
        try:
            notices.change_notice(notice, form.written(), actor=request.user)
        except notices.NoticeError as error:
            form.add_domain_errors([error])
        else:
            messages.success(request, _("Notice saved."))
            return redirect("backoffice:notices", site_code=site.code)
    return _page(request, site, form, notice)


@require_POST
@capability(OPERATE)
def notice_remove(request: HttpRequest, site_code: str, notice_id: int) -> HttpResponse:
    site = _site(request, site_code)
    notice = _notice(site, notice_id)
    if not confirmation.confirmed(request):
        return confirmation.ask(
            request,
            question=_("Remove this notice?"),
            consequence=_("Visitors are no longer shown “%(text)s”.") % {"text": notice.tr("text")},
            button=_("Remove the notice"),
            back=reverse("backoffice:notices", args=[site.code]),
        )
    notices.remove_notice(notice, actor=request.user)
    messages.success(request, _("Notice removed."))
    return redirect("backoffice:notices", site_code=site.code)
