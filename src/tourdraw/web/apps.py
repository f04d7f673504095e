from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "tourdraw.web"
    verbose_name = _("Visitor pages")
