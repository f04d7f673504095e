from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tourdraw.audit.models import LogEntry


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "action"]
    readonly_fields = ["created_at", "action", "actor", "object_type", "object_id", "data"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
