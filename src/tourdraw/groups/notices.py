"""What a group's organiser is told, in the language they asked in, through the outbox.

Each notice is written in the transaction of the change it reports (see
``notify.outbox``): by text to the contact phone, and by e-mail as well when
the request gave an address.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from tourdraw.groups.models import GroupVisit
from tourdraw.notify import outbox


def _link(group: GroupVisit) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("web:group", args=[group.code])


def _send(group: GroupVisit, topic: str, body: str) -> None:
    outbox.enqueue_with_email(
        "sms",
        str(group.contact_phone),
        group.contact_email,
        body,
        subject=_("Group visit: %(organisation)s") % {"organisation": group.organisation},
        topic=topic,
        language=group.language,
        about=group,
    )


def requested(group: GroupVisit) -> None:
    with translation.override(group.language):
        body = _(
            "tourdraw: your group request for %(persons)d persons at %(site)s is in. "
            "The decision will be sent to you and shown here: %(link)s"
        ) % {"persons": group.size, "site": group.site.tr("name"), "link": _link(group)}
        _send(group, "group.requested", body)


def decided(group: GroupVisit) -> None:
    """Approved (the session, and the member list to upload) or declined (the reason)."""
    with translation.override(group.language):
        if group.state == GroupVisit.State.APPROVED and group.slot is not None:
            body = _(
                "tourdraw: your group visit is approved for %(slot)s, %(persons)d persons. "
                "Upload the member list here; once it is in, the same page shows the group's "
                "QR code for the gate: %(link)s"
            ) % {"slot": group.slot.label, "persons": group.size, "link": _link(group)}
        else:
            body = _("tourdraw: your group request was declined: %(reason)s. %(link)s") % {
                "reason": group.decline_reason,
                "link": _link(group),
            }
        _send(group, f"group.{group.state}", body)


def members_saved(group: GroupVisit, *, count: int, changed: bool) -> None:
    with translation.override(group.language):
        if changed:
            body = _(
                "tourdraw: the member list of %(organisation)s was changed; it now has "
                "%(count)d persons. If you did not change it, check it: %(link)s"
            )
        else:
            body = _(
                "tourdraw: the member list of %(organisation)s is saved with %(count)d "
                "persons. It is the group's ticket: %(link)s"
            )
        body %= {"organisation": group.organisation, "count": count, "link": _link(group)}
        _send(group, "group.members_saved", body)
