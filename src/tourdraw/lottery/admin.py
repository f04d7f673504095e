from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tourdraw.lottery.models import Entry, EntryChoice, EntryMember, Round, RoundSlot


class RoundSlotInline(admin.TabularInline):
    model = RoundSlot
    raw_id_fields = ["slot"]
    extra = 0


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["code", "tour", "state", "opens_at", "closes_at", "draws_at"]
    list_filter = ["state", "tour__site"]
    search_fields = ["code", "title"]
    readonly_fields = ["state", "commitment", "opened_at", "closed_at"]
    inlines = [RoundSlotInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EntryChoiceInline(ReadOnlyInline):
    model = EntryChoice
    fields = ["rank", "slot"]


class EntryMemberInline(ReadOnlyInline):
    model = EntryMember
    fields = ["position", "role", "person", "active"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """Entries change only through their services, so the admin only reads them."""

    list_display = ["code", "round", "party_size", "state", "created_at"]
    list_filter = ["state", "round"]
    search_fields = ["code"]
    inlines = [EntryChoiceInline, EntryMemberInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
