"""The back office's navigation: the sections the signed-in staff member's roles open."""

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from tourdraw.people import access

register = template.Library()

# Each section, the capability that opens it, and the URL names it covers (the
# first is where its link goes).
SECTIONS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("operate", _("Rounds"), ("backoffice:index", "backoffice:round", "backoffice:round_create")),
    ("operate", _("Slot planning"), ("backoffice:planning",)),
    ("operate", _("Group visits"), ("backoffice:groups", "backoffice:group")),
    (
        "operate",
        _("Visitor notices"),
        ("backoffice:sites", "backoffice:notices", "backoffice:notice_edit"),
    ),
    ("call_centre", _("Call centre"), ("backoffice:call_centre", "backoffice:identity_dispute")),
    ("gate", _("Gate"), ("backoffice:gate_slots", "backoffice:gate")),
    ("operate", _("Dashboards"), ("backoffice:dashboards",)),
    ("operate", _("Audit log"), ("backoffice:audit",)),
)


@register.inclusion_tag("backoffice/_nav.html", takes_context=True)
def staff_nav(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    match = getattr(request, "resolver_match", None)
    here = f"{match.namespace}:{match.url_name}" if match else ""
    capabilities = {name for name in access.CAPABILITIES if access.may(user, name)}
    return {
        "sections": [
            {"url": names[0], "label": label, "current": here in names}
            for capability, label, names in SECTIONS
            if capability in capabilities
        ],
        "user": user,
        "csrf_token": context.get("csrf_token"),
    }
