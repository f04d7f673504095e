"""Sign-in by phone number and a six-digit one-time code."""

import hashlib
import hmac
import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from tourdraw.audit.services import log_action
from tourdraw.errors import DomainError
from tourdraw.notify.channels import Message, sms_channel
from tourdraw.people import crypto
from tourdraw.people.models import SignInCode, User, Visitor


class SignInError(DomainError):
    pass


def parse_phone(raw: str) -> PhoneNumber:
    try:
        phone = PhoneNumber.from_string(raw.strip(), region=settings.PHONENUMBER_DEFAULT_REGION)
    except NumberParseException:
        phone = None
    if phone is None or not phone.is_valid():
        raise SignInError(
            _("%(phone)s is not a valid phone number.") % {"phone": raw},
            code="phone_invalid",
            field="phone",
        )
    return phone


def _code_hash(phone: PhoneNumber, code: str) -> str:
    message = f"{phone.as_e164}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def request_code(phone: PhoneNumber, *, language: str, now: datetime | None = None) -> SignInCode:
    """Create a code for ``phone`` and text it. Any earlier code stops working.

    Rate limits (per phone and per IP) are the caller's, who knows the IP.
    """
    now = now or timezone.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        digest = crypto.phone_hash(phone.as_e164)
        SignInCode.objects.filter(phone_hash=digest, used_at__isnull=True).update(used_at=now)
        sign_in_code = SignInCode.objects.create(
            phone_hash=digest,
            code_hash=_code_hash(phone, code),
            created_at=now,
            expires_at=now + settings.TOURDRAW_SIGN_IN_CODE_TTL,
        )
    minutes = int(settings.TOURDRAW_SIGN_IN_CODE_TTL.total_seconds() // 60)
    with translation.override(language):
        body = _("Your tourdraw sign-in code is %(code)s. It expires in %(minutes)s minutes.") % {
            "code": code,
            "minutes": minutes,
        }
    transaction.on_commit(
        lambda: sms_channel().send(Message(kind="sms", to=phone.as_e164, body=body))
    )
    return sign_in_code


def verify_code(
    phone: PhoneNumber, code: str, *, language: str, now: datetime | None = None
) -> User:
    """Check the code and return the visitor's user, creating them on first sign-in."""
    now = now or timezone.now()
    max_tries = settings.TOURDRAW_SIGN_IN_MAX_TRIES
    digest = crypto.phone_hash(phone.as_e164)
    latest = SignInCode.objects.filter(phone_hash=digest).order_by("-created_at", "-id").first()
    if latest is None:
        raise SignInError(
            _("No code was sent to this number. Ask for a code first."),
            code="code_not_requested",
            field="code",
        )
    if latest.used_at is not None:
        raise SignInError(
            _("This code has already been used. Ask for a new code."),
            code="code_used",
            field="code",
        )
    if latest.expires_at <= now:
        raise SignInError(
            _("This code has expired. Ask for a new code."), code="code_expired", field="code"
        )
    # Each try is claimed before the code is compared, in its own committed
    # statement, so that parallel guesses cannot share one remaining try.
    claimed_try = SignInCode.objects.filter(
        pk=latest.pk, used_at__isnull=True, attempts__lt=max_tries
    ).update(attempts=F("attempts") + 1)
    if not claimed_try:
        raise SignInError(
            _("Too many wrong codes. Ask for a new code."), code="too_many_tries", field="code"
        )
    if not hmac.compare_digest(latest.code_hash, _code_hash(phone, code.strip())):
        latest.refresh_from_db(fields=["attempts"])
        left = max_tries - latest.attempts
        if left <= 0:
            raise SignInError(
                _("Too many wrong codes. Ask for a new code."),
                code="too_many_tries",
                field="code",
            )
        raise SignInError(
            ngettext(
                "The code is wrong. %(left)d try left.",
                "The code is wrong. %(left)d tries left.",
                left,
            )
            % {"left": left},
            code="code_wrong",
            field="code",
        )
    with transaction.atomic():
        # Compare-and-set: of two requests with the same code, one wins.
        if not SignInCode.objects.filter(pk=latest.pk, used_at__isnull=True).update(used_at=now):
            raise SignInError(
                _("This code has already been used. Ask for a new code."),
                code="code_used",
                field="code",
            )
        visitor = Visitor.objects.select_related("user").filter(phone_hash=digest).first()
        if visitor is None:
            # The user name is random: the phone in it would be in clear.
            user = User.objects.create_user(
                username=f"visitor-{secrets.token_hex(8)}", language=language
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            visitor = Visitor.objects.create(user=user, phone=phone.as_e164)
            log_action("tourdraw.visitor.registered", visitor, actor=user)
        log_action("tourdraw.visitor.signed_in", visitor, actor=visitor.user)
        return visitor.user
