from django.contrib import admin

from tourdraw.admin_helpers import AuditedAdmin, ReadOnlyAdmin
from tourdraw.notify.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin, AuditedAdmin):
    """Operators see what was sent to whom and whether it arrived."""

    list_display = ["created_at", "kind", "topic", "to", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind", "topic"]
    search_fields = ["object_id"]
    readonly_fields = [
        "kind",
        "to",
        "subject",
        "body",
        "language",
        "topic",
        "object_type",
        "object_id",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
