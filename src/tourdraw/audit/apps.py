from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "tourdraw.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # django.contrib.admin is listed first, so its ready() has loaded every
        # admin module by now.
        from django.contrib import admin

        from tourdraw.admin_helpers import audit_every_admin

        audit_every_admin(admin.site)
