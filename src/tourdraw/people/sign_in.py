"""Sign-in by phone number and a six-digit one-time code."""

import hashlib
import hmac
import secrets
from datetime import datetime

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException, PhoneNumberType

from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError
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
            code=Code.PHONE_INVALID,
            field="phone",
        )
    return phone


def sign_in_phone(raw: str) -> PhoneNumber:
    """A number codes may be texted to: a mobile of one of the configured regions.

    Texts to landlines fail, and texts abroad (satellite and premium ranges
    above all) cost the platform whatever an SMS-pumping fraud asks.
    """
    phone = parse_phone(raw)
    regions = settings.TOURDRAW_SIGN_IN_REGIONS
    if (
        phonenumbers.region_code_for_number(phone) not in regions
        or phonenumbers.number_type(phone) != PhoneNumberType.MOBILE
    ):
        raise SignInError(
            _(
                "Sign-in codes are sent only to mobile numbers of mainland China, "
                "Hong Kong, Macao and Taiwan."
            ),
            code=Code.PHONE_NOT_MOBILE,
            field="phone",
        )
    return phone


def _code_hash(phone: PhoneNumber, code: str) -> str:
    message = f"{phone.as_e164}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def request_code(phone: PhoneNumber, *, language: str, now: datetime | None = None) -> SignInCode:
    """Create a code for ``phone`` and text it. Earlier codes keep working until
    they expire or one is used: a request anyone can make for any number must
    not void the code its owner is about to type.

    Rate limits (per phone and per IP) are the caller's, who knows the IP.
    """
    now = now or timezone.now()
    phone = sign_in_phone(str(phone))
    code = f"{secrets.randbelow(1_000_000):06d}"
    sign_in_code = SignInCode.objects.create(
        phone_hash=crypto.phone_hash(phone.as_e164),
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


def _no_live_code(phone: PhoneNumber, now: datetime) -> SignInError:
    """Why no code of ``phone`` can be typed now, judged by the latest one."""
    digest = crypto.phone_hash(phone.as_e164)
    latest = SignInCode.objects.filter(phone_hash=digest).order_by("-created_at", "-id").first()
    if latest is None:
        return SignInError(
            _("No code was sent to this number. Ask for a code first."),
            code=Code.CODE_NOT_REQUESTED,
            field="code",
        )
    if latest.used_at is not None:
        return SignInError(
            _("This code has already been used. Ask for a new code."),
            code=Code.CODE_USED,
            field="code",
        )
    if latest.expires_at <= now:
        return SignInError(
            _("This code has expired. Ask for a new code."), code=Code.CODE_EXPIRED, field="code"
        )
    return SignInError(
        _("Too many wrong codes. Ask for a new code."), code=Code.TOO_MANY_TRIES, field="code"
    )


def _claim_try(live: list[SignInCode], max_tries: int) -> SignInCode | None:
    """Take one try from the newest live code that has one left. Each try is
    claimed in its own committed statement before any code is compared, so
    parallel guesses cannot share one remaining try."""
    for candidate in live:
        if SignInCode.objects.filter(
            pk=candidate.pk, used_at__isnull=True, attempts__lt=max_tries
        ).update(attempts=F("attempts") + 1):
            return candidate
    return None


def _wrong_code(claimed: SignInCode, max_tries: int) -> SignInError:
    claimed.refresh_from_db(fields=["attempts"])
    left = max_tries - claimed.attempts
    if left <= 0:
        return SignInError(
            _("Too many wrong codes. Ask for a new code."), code=Code.TOO_MANY_TRIES, field="code"
        )
    return SignInError(
        ngettext(
            "The code is wrong. %(left)d try left.",
            "The code is wrong. %(left)d tries left.",
            left,
        )
        % {"left": left},
        code=Code.CODE_WRONG,
        field="code",
    )


def verify_code(
    phone: PhoneNumber, code: str, *, language: str, now: datetime | None = None
) -> User:
    """Check the code against the phone's live codes and return the visitor's
    user, creating them on first sign-in. Signing in uses up every live code."""
    now = now or timezone.now()
    max_tries = settings.TOURDRAW_SIGN_IN_MAX_TRIES
    digest = crypto.phone_hash(phone.as_e164)
    live = list(
        SignInCode.objects.filter(
            phone_hash=digest, used_at__isnull=True, expires_at__gt=now, attempts__lt=max_tries
        ).order_by("-created_at", "-id")
    )
    claimed = _claim_try(live, max_tries)
    if claimed is None:
        raise _no_live_code(phone, now)
    typed = _code_hash(phone, code.strip())
    matched = next((c for c in live if hmac.compare_digest(c.code_hash, typed)), None)
    if matched is None:
        raise _wrong_code(claimed, max_tries)
    with transaction.atomic():
        # Compare-and-set: of two requests with the same code, one wins.
        if not SignInCode.objects.filter(pk=matched.pk, used_at__isnull=True).update(used_at=now):
            raise SignInError(
                _("This code has already been used. Ask for a new code."),
                code=Code.CODE_USED,
                field="code",
            )
        SignInCode.objects.filter(phone_hash=digest, used_at__isnull=True).update(used_at=now)
        return _signed_in(phone, language)


def _signed_in(phone: PhoneNumber, language: str) -> User:
    digest = crypto.phone_hash(phone.as_e164)
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
