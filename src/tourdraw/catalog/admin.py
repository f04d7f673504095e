from django.contrib import admin

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
