from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def _end_staff_sessions_after_a_working_day(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    from tourdraw.people import second_factor

    if second_factor.is_staff_member(user):
        request.session.set_expiry(second_factor.session_end())


class BackofficeConfig(AppConfig):
    name = "tourdraw.backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        user_logged_in.connect(_end_staff_sessions_after_a_working_day)
