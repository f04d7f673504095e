from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from tourdraw.people.models import Person, User, Visitor


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("tourdraw", {"fields": ["language"]}))


class PersonInline(admin.TabularInline):
    model = Person
    fields = ("full_name", "id_type", "id_masked", "birth_date", "is_self")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["phone", "created_at"]
    search_fields = ["phone"]
    readonly_fields = ["user", "phone", "created_at"]
    inlines = [PersonInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Shows the masked ID number only; the clear number never reaches a page."""

    list_display = ["full_name", "id_type", "id_masked", "birth_date", "owner"]
    fields = ("owner", "full_name", "id_type", "id_masked", "birth_date", "is_self")
    readonly_fields = fields
    search_fields = ["full_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
