"""A password alone opens nothing: staff finish their second factor first."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from tourdraw.errors import Code
from tourdraw.people import second_factor

# Pages a staff member needs on the way to the second factor.
OPEN_VIEWS = (
    "backoffice:login",
    "backoffice:logout",
    "backoffice:second_factor",
    "backoffice:enrol",
    "admin:logout",
)
OPERATOR_API = "/api/v1/operator/"


class StaffSecondFactorMiddleware:
    """Stops a staff session that has not passed its second factor at the back
    office, the admin and the operator API; visitors are not concerned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._must_stop(request):
            return self.get_response(request)
        if request.path.startswith(OPERATOR_API):
            message = _("Finish signing in with your second factor first.")
            return JsonResponse(
                {"code": Code.SECOND_FACTOR_REQUIRED.value, "message": message, "field": ""},
                status=Code.SECOND_FACTOR_REQUIRED.status,
            )
        target = reverse("backoffice:second_factor")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")

    def _must_stop(self, request: HttpRequest) -> bool:
        user: Any = request.user
        if not user.is_authenticated or user.is_verified():
            return False
        guarded = ("/backoffice/", f"/{settings.TOURDRAW_ADMIN_PATH}", OPERATOR_API)
        if not request.path.startswith(guarded):
            return False
        if request.path in {reverse(name) for name in OPEN_VIEWS}:
            return False
        return second_factor.is_staff_member(user)
