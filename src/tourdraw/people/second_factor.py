"""Staff second factor: a TOTP authenticator app, and recovery codes for a lost phone.

Every staff account (any role, or Django's staff and superuser flags) must
enrol an authenticator before it reaches the back office, the admin or the
operator API; a password alone opens nothing. Wrong codes slow the device
down (django-otp's throttling), so six digits cannot be guessed in a session.
"""

from datetime import datetime, timedelta
from typing import Any

import django_otp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError

RECOVERY_CODES = 10


class SecondFactorError(DomainError):
    pass


def is_staff_member(user: Any) -> bool:
    """Anyone the back office or the admin would let in: they all need the second factor."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or user.staff_roles.exists())


def is_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: Any) -> TOTPDevice:
    """The authenticator being enrolled: its key is shown until a code from it is typed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def confirm_enrolment(user: Any, token: str) -> tuple[TOTPDevice, list[str]]:
    """The first right code confirms the authenticator; recovery codes are issued with it."""
    device = pending_device(user)
    # Outside a transaction of ours: a wrong code's throttle step must be kept.
    if not device.verify_token(token):
        raise SecondFactorError(
            _("That code is not the one the app shows. Type the six digits it shows now."),
            code=Code.WRONG_CODE,
            field="token",
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        log_action("tourdraw.staff.second_factor_enrolled", user, actor=user)
    return device, codes


def issue_recovery_codes(user: Any) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        log_action("tourdraw.staff.recovery_codes_issued", user, actor=user)
    return codes


def _replace_recovery_codes(user: Any) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify(user: Any, token: str) -> Device:
    """The device that accepts ``token``: the authenticator's six digits or a recovery code
    (which then stops working)."""
    for device in django_otp.devices_for_user(user, confirmed=True):
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            if isinstance(verified, StaticDevice):
                log_action("tourdraw.staff.recovery_code_used", user, actor=user)
            return verified
    raise SecondFactorError(
        _("That code is not right, or too many wrong codes were typed: wait and try again."),
        code=Code.WRONG_CODE,
        field="token",
    )


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def enrol_demo_operator(user: Any) -> tuple[TOTPDevice, list[str]]:
    """The demo's operator, enrolled so the demo works as production does: the key
    goes into an authenticator app, or a printed recovery code is typed."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="demo authenticator")
        codes = _replace_recovery_codes(user)
        log_action("tourdraw.staff.second_factor_enrolled", user, data={"demo": True})
    return device, codes


def session_end() -> datetime:
    """When a staff session signed in now ends: a working day later, active or not."""
    limit: timedelta = settings.TOURDRAW_STAFF_SESSION
    return timezone.now() + limit
