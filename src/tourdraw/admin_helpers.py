from typing import Any

from django.http import HttpRequest


class ReadOnlyAdmin:
    """For records that change only through their services (entries, the audit
    log): the admin may show them, never add, edit or delete them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
