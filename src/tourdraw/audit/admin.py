from django.contrib import admin

from tourdraw.admin_helpers import AuditedAdmin, ReadOnlyAdmin
from tourdraw.audit.models import LogEntry


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin, AuditedAdmin):
    list_display = ["created_at", "action", "actor", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "action"]
    readonly_fields = ["created_at", "action", "actor", "object_type", "object_id", "data"]
