from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tourdraw.admin_helpers import AuditedAdmin, ReadOnlyAdmin
from tourdraw.people.models import Person, User, Visitor


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("tourdraw", {"fields": ["language"]}))


class PersonInline(ReadOnlyAdmin, admin.TabularInline):
    model = Person
    fields = ("full_name", "id_type", "id_masked", "is_self")
    readonly_fields = fields
    extra = 0


@admin.register(Visitor)
class VisitorAdmin(AuditedAdmin):
    list_display = ["phone", "created_at"]
    readonly_fields = ["user", "phone", "email", "created_at"]
    inlines = [PersonInline]


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin, AuditedAdmin):
    """Shows the masked ID number only; the clear number never reaches a page, and
    neither does the birth date, which no operator task needs."""

    list_display = ["full_name", "id_type", "id_masked", "owner"]
    fields = ("owner", "full_name", "id_type", "id_masked", "is_self")
    readonly_fields = fields
    search_fields = ["full_name"]
