"""Who may do what, where: staff roles scoped per site.

Views ask ``site_ids(user, capability)`` and filter every query by it, so an
object of another site is simply not found (404), never shown.
"""

from typing import Any

from tourdraw.people.models import StaffRole

Role = StaffRole.Role

# Each capability, and the roles that carry it. A site operator runs their
# site's call centre and gate too.
CAPABILITIES: dict[str, set[str]] = {
    "operate": {Role.SITE_OPERATOR},
    "call_centre": {Role.SITE_OPERATOR, Role.CALL_CENTRE},
    "gate": {Role.SITE_OPERATOR, Role.GATE},
}


def is_platform_admin(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.staff_roles.filter(role=Role.PLATFORM_ADMIN).exists())


def site_ids(user: Any, capability: str) -> set[int] | None:
    """The sites where ``user`` has ``capability``; None means every site."""
    if not user.is_authenticated:
        return set()
    if is_platform_admin(user):
        return None
    roles = user.staff_roles.filter(role__in=CAPABILITIES[capability])
    return set(roles.values_list("site_id", flat=True))


def may(user: Any, capability: str, site_id: int | None = None) -> bool:
    allowed = site_ids(user, capability)
    if allowed is None:
        return True
    return bool(allowed) if site_id is None else site_id in allowed


def scope(queryset: Any, user: Any, capability: str) -> Any:
    """``queryset`` limited to the user's sites, found through its model's
    ``SITE_PATH`` (``"slot__tour__site_id"`` for an offer)."""
    allowed = site_ids(user, capability)
    if allowed is None:
        return queryset
    return queryset.filter(**{f"{queryset.model.SITE_PATH}__in": allowed})
