"""A site's notices to its visitors: which apply to a tour, in which language,
and the operator's changes to them.

A notice without a tour applies to every tour of its site; one with a tour, to
that tour only. The entry page, the round page, the ticket, the group page, the
ticket SMS and the day-before reminder all read them here, so a visitor is told
the same thing everywhere.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from tourdraw.audit import changes
from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Notice, Site, Tour
from tourdraw.errors import Code, DomainError


class NoticeError(DomainError):
    pass


def for_tour(tour: Tour) -> list[Notice]:
    """The shown notices of ``tour``: its site's for every tour, and its own, in order."""
    found = Notice.objects.filter(site_id=tour.site_id, active=True).filter(
        Q(tour__isnull=True) | Q(tour=tour)
    )
    return list(found.order_by("order", "pk"))


def text_in(notice: Notice, language: str) -> str:
    """The notice's text in ``language``: English for English readers, Chinese otherwise."""
    if language.lower().startswith("en") and notice.text_en:
        return notice.text_en
    return notice.text


@dataclass(frozen=True)
class Shown:
    """A notice as a page shows it: its kind's name and its text, in one language."""

    kind: str
    kind_label: str
    text: str


def shown(tour: Tour, language: str = "") -> list[Shown]:
    """The notices of ``tour`` in ``language`` (the one in use if not given)."""
    language = language or translation.get_language() or ""
    with translation.override(language):
        return [
            Shown(n.kind, str(Notice.Kind(n.kind).label), text_in(n, language))
            for n in for_tour(tour)
        ]


def lines(tour: Tour, language: str) -> list[str]:
    """The notices of ``tour`` as lines of a message, in ``language``: what the
    ticket SMS and the day-before reminder add to their text."""
    return [notice.text for notice in shown(tour, language)]


@dataclass(frozen=True)
class NoticeText:
    """What the operator writes: checked by :func:`_checked` before any change."""

    kind: str
    text: str
    text_en: str
    tour: Tour | None = None
    order: int = 0
    active: bool = True


def _checked(site: Site, written: NoticeText) -> NoticeText:
    if written.kind not in Notice.Kind.values:
        raise NoticeError(
            _("Choose the kind of notice: %(kinds)s.")
            % {"kinds": ", ".join(str(label) for label in Notice.Kind.labels)},
            code=Code.INVALID_CHOICE,
            field="kind",
        )
    if written.tour is not None and written.tour.site_id != site.pk:
        raise NoticeError(
            _("Choose a tour of %(site)s, or none for every tour.") % {"site": site.tr("name")},
            code=Code.WRONG_SITE,
            field="tour",
        )
    text, text_en = " ".join(written.text.split()), " ".join(written.text_en.split())
    if not text:
        raise NoticeError(_("Write the notice's Chinese text."), code=Code.REQUIRED, field="text")
    if not text_en:
        raise NoticeError(
            _("Write the notice's English text too: English readers are shown it."),
            code=Code.REQUIRED,
            field="text_en",
        )
    for field, value, language in (
        ("text", text, _("Chinese")),
        ("text_en", text_en, _("English")),
    ):
        if len(value) > Notice.MAX_TEXT:
            raise NoticeError(
                _(
                    "The %(language)s text has %(count)d characters; a notice has at most "
                    "%(limit)d, to fit on a phone and in a text message."
                )
                % {"language": language, "count": len(value), "limit": Notice.MAX_TEXT},
                code=Code.TOO_LONG,
                field=field,
            )
    if not 0 <= written.order <= 999:
        raise NoticeError(
            _("The order is a whole number from 0 to 999."), code=Code.INVALID, field="order"
        )
    return NoticeText(written.kind, text, text_en, written.tour, written.order, written.active)


def _data(notice: Notice) -> dict[str, Any]:
    """A notice in its audit entry: public text, so the change can be read back."""
    return {
        "kind": notice.kind,
        "tour": notice.tour.code if notice.tour is not None else None,
        "text": notice.text,
        "text_en": notice.text_en,
        "order": notice.order,
        "active": notice.active,
    }


def add_notice(site: Site, written: NoticeText, *, actor: Any) -> Notice:
    checked = _checked(site, written)
    with transaction.atomic():
        notice = Notice.objects.create(
            site=site,
            tour=checked.tour,
            kind=checked.kind,
            text=checked.text,
            text_en=checked.text_en,
            order=checked.order,
            active=checked.active,
        )
        log_action("tourdraw.notice.added", notice, actor=actor, data=_data(notice))
    return notice


def change_notice(notice: Notice, written: NoticeText, *, actor: Any) -> Notice:
    checked = _checked(notice.site, written)
    with transaction.atomic():
        locked = (
            Notice.objects.select_for_update(of=("self",)).select_related("tour").get(pk=notice.pk)
        )
        before = changes.snapshot(locked)
        locked.tour, locked.kind, locked.order = checked.tour, checked.kind, checked.order
        locked.text, locked.text_en, locked.active = checked.text, checked.text_en, checked.active
        locked.save()
        found = changes.changes(Notice, before, changes.snapshot(locked))
        log_action("tourdraw.notice.changed", locked, actor=actor, data={"changes": found})
    return locked


def remove_notice(notice: Notice, *, actor: Any) -> None:
    with transaction.atomic():
        data = _data(notice)
        log_action("tourdraw.notice.removed", notice, actor=actor, data=data)
        Notice.objects.filter(pk=notice.pk).delete()
