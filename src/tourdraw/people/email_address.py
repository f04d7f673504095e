"""E-mail addresses people give (a visitor, a group's contact): checked the way
Django's EmailField checks them, and shown masked, as every contact is."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tourdraw.errors import Code, DomainError

# The longest address RFC 5321 lets through (and Django's EmailField takes).
MAX_LENGTH = 254


def clean(raw: str, *, field: str, error: type[DomainError]) -> str:
    """The address, trimmed; "" for none. A malformed one raises ``error``
    (the caller's domain error), naming ``field``."""
    address = raw.strip()
    if not address:
        return ""
    if len(address) > MAX_LENGTH:
        raise error(
            _("An e-mail address has at most %(limit)d characters.") % {"limit": MAX_LENGTH},
            code=Code.TOO_LONG,
            field=field,
        )
    try:
        validate_email(address)
    except ValidationError:
        raise error(
            _("Enter a whole e-mail address, such as name@example.com."),
            code=Code.EMAIL_INVALID,
            field=field,
        ) from None
    return address


def masked(address: str) -> str:
    """What a screen shows: the first character and the domain (w•••@example.com)."""
    if not address:
        return ""
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"
