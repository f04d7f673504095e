from django.contrib import admin

from tourdraw.admin_helpers import AuditedAdmin, ReadOnlyAdmin
from tourdraw.lottery.models import Entry, EntryChoice, EntryMember, Round, RoundSlot


class RoundSlotInline(admin.TabularInline):
    model = RoundSlot
    raw_id_fields = ["slot"]
    extra = 0


@admin.register(Round)
class RoundAdmin(AuditedAdmin):
    list_display = ["code", "tour", "state", "opens_at", "closes_at", "draws_at"]
    list_filter = ["state", "tour__site"]
    search_fields = ["code", "title"]
    readonly_fields = ["state", "commitment", "frozen_digest", "opened_at", "closed_at", "drawn_at"]
    inlines = [RoundSlotInline]


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
