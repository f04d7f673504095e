"""Who may enter a site's rounds: the no-show ban and the cool-down after a visit."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tourdraw.catalog.models import Site
from tourdraw.errors import Code, DomainError
from tourdraw.visits.models import CheckIn, NoShow


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def no_show_ban(site: Site, entrant_hash: str, now: datetime) -> DomainError | None:
    ban = (
        NoShow.objects.filter(site=site, entrant_hash=entrant_hash, barred_until__gt=now)
        .order_by("-barred_until")
        .first()
    )
    if ban is None:
        return None
    return DomainError(
        _(
            "Your party did not come to its visit on %(date)s, so you cannot enter rounds "
            "at %(site)s until %(until)s."
        )
        % {
            "date": _day(ban.slot_ended_at),
            "site": site.tr("name"),
            "until": _day(ban.barred_until),
        },
        code=Code.BARRED_NO_SHOW,
        field="entrant",
    )


def last_visits(site: Site, id_hashes: Sequence[str], now: datetime) -> dict[str, datetime]:
    """When each of these persons last passed a gate of the site within its
    cool-down; persons who did not are left out."""
    if not site.visit_cooldown_days:
        return {}
    since = now - timedelta(days=site.visit_cooldown_days)
    return dict(
        CheckIn.objects.filter(
            member__id_hash__in=id_hashes,
            ticket__offer__slot__tour__site=site,
            checked_in_at__gt=since,
        )
        .values("member__id_hash")
        .annotate(last=Max("checked_in_at"))
        .values_list("member__id_hash", "last")
    )


def cooldown_error(site: Site, name: str, visited: datetime, field: str) -> DomainError:
    return DomainError(
        _("%(name)s visited %(site)s on %(date)s and may enter again from %(again)s.")
        % {
            "name": name,
            "site": site.tr("name"),
            "date": _day(visited),
            "again": _day(visited + timedelta(days=site.visit_cooldown_days)),
        },
        code=Code.VISIT_COOLDOWN,
        field=field,
    )
