from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from tourdraw.admin_helpers import AuditedAdmin
from tourdraw.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Platform admins issue partner systems' tokens here; the key is shown once."""

    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    fields = ["user", "name", "revoked_at"]
    raw_id_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = ApiToken.issue(obj.user, obj.name)
        obj.pk = token.pk
        messages.warning(request, f"Token for {obj.name}: {key} (shown once; copy it now)")
