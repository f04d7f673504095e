from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tourdraw.admin_helpers import AuditedAdmin
from tourdraw.catalog.models import Site, Slot, Tour


@admin.register(Site)
class SiteAdmin(AuditedAdmin):
    list_display = ["code", "name", "name_en", "operator_name", "timezone"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Tour)
class TourAdmin(AuditedAdmin):
    list_display = ["code", "name", "site", "min_age", "max_companions", "max_choices"]
    list_filter = ["site"]


@admin.register(Slot)
class SlotAdmin(AuditedAdmin):
    list_display = ["tour", "starts_at", "ends_at", "capacity"]
    list_filter = ["tour__site", "tour"]
    date_hierarchy = "starts_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """Once the slot's round has closed, its capacity is in the closing statement."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and _sealed(obj):
            fields += ["tour", "starts_at", "ends_at", "capacity"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        sealed = obj is not None and _sealed(obj)
        return not sealed and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Deleting a selection would not ask each slot whether its round has closed.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def _sealed(slot: Slot) -> bool:
    from tourdraw.lottery.rounds import sealing_round

    return sealing_round(slot.pk) is not None
