from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tourdraw.admin_helpers import AuditedAdmin, ReadOnlyAdmin
from tourdraw.lottery.models import Entry, EntryChoice, EntryMember, Round, RoundSlot


class RoundSlotInline(admin.TabularInline):
    model = RoundSlot
    raw_id_fields = ["slot"]
    extra = 0

    # ``obj`` is the round: its slots are sealed by its closing statement.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None or not obj.inputs_sealed) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        sealed = obj is not None and obj.inputs_sealed
        return not sealed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        sealed = obj is not None and obj.inputs_sealed
        return not sealed and super().has_delete_permission(request, obj)


@admin.register(Round)
class RoundAdmin(AuditedAdmin):
    list_display = ["code", "tour", "state", "opens_at", "closes_at", "draws_at"]
    list_filter = ["state", "tour__site"]
    search_fields = ["code", "title"]
    readonly_fields = [
        "state",
        "commitment",
        "opened_at",
        "opening_statement",
        "beacon_round",
        "closed_at",
        "closing_statement",
        "closing_digest",
        "beacon_signature",
        "beacon_tried_at",
        "beacon_error",
        "drawn_at",
    ]
    inlines = [RoundSlotInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """What the round's published statements fixed is shown, never edited."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.opened:
            fields += Round.FIXED_AT_OPEN
        if obj is not None and obj.inputs_sealed:
            fields += Round.FIXED_AT_CLOSE
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        opened = obj is not None and obj.opened
        return not opened and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Deleting a selection would not ask each round whether it has opened.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class EntryChoiceInline(ReadOnlyAdmin, admin.TabularInline):
    model = EntryChoice
    fields = ["rank", "slot"]
    extra = 0


class EntryMemberInline(ReadOnlyAdmin, admin.TabularInline):
    model = EntryMember
    fields = ["position", "role", "person", "active"]
    extra = 0


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin, AuditedAdmin):
    list_display = ["code", "round", "party_size", "tier", "weight", "state", "created_at"]
    list_filter = ["state", "round"]
    search_fields = ["code"]
    inlines = [EntryChoiceInline, EntryMemberInline]
