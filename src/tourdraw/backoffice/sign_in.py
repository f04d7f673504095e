"""Staff sign-in: password (locked out after repeated failures by django-axes),
then the second factor, enrolled on first sign-in."""

from base64 import b32encode
from typing import Any

import django_otp
import segno
from django import forms
from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from tourdraw.people import second_factor
from tourdraw.people.models import User


class StaffLoginView(LoginView):
    template_name = "backoffice/login.html"
    # Without a ``next``, staff land on the back office (Django's default is a
    # profile page this project does not have).
    next_page = "backoffice:index"


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Code"),
        # Six digits from the app, or a recovery code (letters and digits).
        regex=r"^\s*[a-zA-Z0-9]{6,16}\s*$",
        max_length=40,
        error_messages={"invalid": _("Type the six digits the app shows, or a recovery code.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip().lower()


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else reverse("backoffice:index")


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "backoffice:login")
    if not second_factor.is_staff_member(request.user):
        return redirect("web:home")
    return None


def second_factor_view(request: HttpRequest) -> HttpResponse:
    """The code from the authenticator (or a recovery code) after the password."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    if request.user.is_verified():  # type: ignore[union-attr]  # added by django-otp
        return HttpResponseRedirect(_next(request))
    if not second_factor.is_enrolled(request.user):
        return redirect(f"{reverse('backoffice:enrol')}?{request.GET.urlencode()}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor.verify(request.user, form.cleaned_data["token"])
        except second_factor.SecondFactorError as error:
            form.add_error("token", str(error.message))
        else:
            django_otp.login(request, device)
            return HttpResponseRedirect(_next(request))
    return render(request, "backoffice/second_factor.html", {"form": form, "next": _next(request)})


def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the key into an authenticator app, type its code, keep
    the recovery codes."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    if second_factor.is_enrolled(request.user):
        # Replacing a lost phone needs a recovery code first, not a new key.
        return redirect(f"{reverse('backoffice:second_factor')}?{request.GET.urlencode()}")
    device = second_factor.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = second_factor.confirm_enrolment(
                request.user, form.cleaned_data["token"]
            )
        except second_factor.SecondFactorError as error:
            form.add_error("token", str(error.message))
        else:
            django_otp.login(request, device)
            return render(
                request, "backoffice/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
    context: dict[str, Any] = {
        "form": form,
        "next": _next(request),
        "qr": segno.make(device.config_url, error="m").svg_inline(scale=4),
        "key": _grouped(device),
    }
    return render(request, "backoffice/enrol.html", context)


def _grouped(device: Any) -> str:
    """The key as an app asks to type it: base32, in groups of four."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username axes counts a failure against. Django's sign-in form passes
    any length on to authentication, and axes stores it in a 255-character
    column; no account's name is longer than the user model's field."""
    source: Any = credentials or getattr(request, "POST", {})
    raw = source.get("username")
    if raw is None:
        return None
    return str(raw)[: User._meta.get_field("username").max_length]
