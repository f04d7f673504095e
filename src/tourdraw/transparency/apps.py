from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransparencyConfig(AppConfig):
    name = "tourdraw.transparency"
    verbose_name = _("public log")
    default_auto_field = "django.db.models.BigAutoField"
