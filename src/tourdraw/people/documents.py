"""Identity documents a visitor can book with: checking, normalising, masking.

Pure functions over strings and dates, so the rules can be tested (and reused
by the API and the forms) without a database. Every failure is a
``DocumentError``, a domain error with its ``code``, a translatable ``message``
and the form ``field`` it belongs to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from tourdraw.errors import Code, DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class DocumentType(StrEnum):
    # The values are stored in the database and fed into the keyed ID hash:
    # renaming one would orphan every person recorded with it.
    CN_RESIDENT = "cn_resident"
    HK_MO_PERMIT = "hk_mo_permit"
    TW_PERMIT = "tw_permit"
    PASSPORT = "passport"


DOCUMENT_TYPE_CHOICES: list[tuple[str, StrPromise]] = [
    # Residence permits for Hong Kong, Macao and Taiwan residents (codes 81-83)
    # share the resident ID format, so they are entered under this type too.
    (DocumentType.CN_RESIDENT.value, _("Mainland resident ID card")),
    (
        DocumentType.HK_MO_PERMIT.value,
        _("Mainland Travel Permit for Hong Kong and Macao Residents"),
    ),
    (DocumentType.TW_PERMIT.value, _("Mainland Travel Permit for Taiwan Residents")),
    (DocumentType.PASSPORT.value, _("Passport")),
]

# Nobody alive was born earlier, and it keeps mistyped years like 0199 out.
EARLIEST_BIRTH_YEAR = 1900

# ISO 7064 MOD 11-2 as GB 11643-1999 applies it: weight 2**(18 - position) mod 11
# for the 17 digits; the check character makes the full sum 1 (mod 11).
_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK_CHARACTERS = "10X98765432"
# Province-level codes of GB/T 2260, plus 81-83 for the residence permits of
# Hong Kong, Macao and Taiwan residents, which use the same 18-digit format.
_CN_REGIONS = frozenset(
    {*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55)}
    | {*range(61, 66), 71, 81, 82, 83}
)
_CN_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

_HK_MO_PERMIT = re.compile(r"[HM](?:[0-9]{8}|[0-9]{10})")
# The card issued since 2015 carries 8 digits for life; the older booklet added
# a renewal suffix in parentheses, "12345678(B)", which normalises to
# "12345678B". Old booklets are still found in wallets, so both are accepted.
_TW_PERMIT = re.compile(r"[0-9]{8}[A-Z0-9]{0,2}")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")

# Every mask has the same run of stars, whatever the number's length, so the
# mask tells nothing about how many characters are hidden.
_MASK_STARS = "*" * 6
# At most the last four characters are shown, and never more than a third of
# the number: a short passport keeps at least two thirds of itself hidden.
_MASK_SHOWN_AT_MOST = 4


@dataclass(frozen=True, eq=False)
class LazyMessage:
    """A translatable message whose placeholders are filled in only when shown.

    ``gettext_lazy(...) % params`` translates on the spot, in whatever language
    happens to be active where the error is raised; keeping the template and
    the values apart lets the page or API response choose the language.
    """

    template: StrPromise
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        text = str(self.template)
        # Only interpolate when asked: a translation may contain a bare "%".
        return text % self.params if self.params else text


class DocumentError(DomainError):
    def __str__(self) -> str:
        # The exception text is the code alone: messages can quote digits of
        # the number, and exception text ends up in logs.
        return self.code.value


@dataclass(frozen=True)
class Document:
    # ``str`` rather than DocumentType so a stored person's ``id_type`` column
    # can be wrapped as it comes; ``validate`` always returns a DocumentType.
    doc_type: str
    number: str
    birth_date: date


def _number_error(code: Code, template: StrPromise, **params: object) -> DocumentError:
    return DocumentError(LazyMessage(template, params), code=code, field="id_number")


def _birth_date_error(code: Code, template: StrPromise, **params: object) -> DocumentError:
    return DocumentError(LazyMessage(template, params), code=code, field="birth_date")


def _document_type(value: str) -> DocumentType:
    try:
        return DocumentType(value)
    except ValueError:
        raise DocumentError(
            LazyMessage(_("Choose the type of ID document.")),
            code=Code.ID_TYPE_UNKNOWN,
            field="id_type",
        ) from None


def normalize(doc_type: str, raw_number: str) -> str:
    """The number as stored and hashed, so one document always matches itself.

    NFKC folds the full-width digits and letters that Chinese input methods
    produce into ASCII; all whitespace goes, letters become upper case.
    """
    kind = _document_type(doc_type)
    number = "".join(unicodedata.normalize("NFKC", raw_number).split()).upper()
    if kind is DocumentType.TW_PERMIT:
        number = number.replace("(", "").replace(")", "")
    return number


def cn_check_character(first_17_digits: str) -> str:
    """The MOD 11-2 check character that completes 17 resident ID digits."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, _CN_WEIGHTS, strict=True)
    )
    return _CN_CHECK_CHARACTERS[total % 11]


def _check_cn_resident(number: str, *, today: date) -> date:
    """Check a normalised resident ID number; return the birth date it holds."""
    if len(number) != 18:
        raise _number_error(
            Code.CN_ID_LENGTH,
            _("A resident ID number has 18 characters; this one has %(count)s."),
            count=len(number),
        )
    if not _CN_SHAPE.fullmatch(number):
        raise _number_error(
            Code.CN_ID_CHARACTERS,
            _("A resident ID number is 17 digits followed by a digit or the letter X."),
        )
    if int(number[:2]) not in _CN_REGIONS:
        raise _number_error(
            Code.CN_ID_REGION,
            _(
                "A resident ID number cannot start with %(prefix)s, which is not a region code: "
                "check the number for a typo."
            ),
            prefix=number[:2],
        )
    digits = number[6:14]
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        birth_date = None
    if birth_date is None or birth_date.year < EARLIEST_BIRTH_YEAR:
        raise _number_error(
            Code.CN_ID_BIRTH_DATE,
            _(
                "Digits 7 to 14 of the number, %(digits)s, are not a valid date of birth: "
                "check the number for a typo."
            ),
            digits=digits,
        )
    if birth_date > today:
        raise _number_error(
            Code.CN_ID_BIRTH_DATE_FUTURE,
            _(
                "The date of birth in the number, %(date)s, is in the future: "
                "check the number for a typo."
            ),
            date=birth_date.isoformat(),
        )
    if cn_check_character(number[:17]) != number[17]:
        raise _number_error(
            Code.CN_ID_CHECKSUM,
            _("The last character does not match: check the number for a typo."),
        )
    return birth_date


def _check_other_number(kind: DocumentType, number: str) -> None:
    if kind is DocumentType.HK_MO_PERMIT:
        if not _HK_MO_PERMIT.fullmatch(number):
            raise _number_error(
                Code.HK_MO_PERMIT_FORMAT,
                _(
                    "A travel permit for Hong Kong and Macao residents has H or M followed by "
                    "8 or 10 digits, for example H12345678."
                ),
            )
    elif kind is DocumentType.TW_PERMIT:
        if not _TW_PERMIT.fullmatch(number):
            raise _number_error(
                Code.TW_PERMIT_FORMAT,
                _(
                    "A travel permit for Taiwan residents has 8 digits, on older permits "
                    "followed by a renewal code, for example 12345678 or 12345678(B)."
                ),
            )
    elif not _PASSPORT.fullmatch(number):
        raise _number_error(
            Code.PASSPORT_FORMAT,
            _("A passport number has 5 to 20 letters and digits."),
        )


def _check_entered_birth_date(birth_date: date | None, *, today: date) -> date:
    if birth_date is None:
        raise _birth_date_error(
            Code.BIRTH_DATE_REQUIRED, _("Enter the date of birth shown on the document.")
        )
    if birth_date > today:
        raise _birth_date_error(
            Code.BIRTH_DATE_FUTURE, _("The date of birth cannot be in the future.")
        )
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise _birth_date_error(
            Code.BIRTH_DATE_INVALID,
            _("Enter a date of birth in %(year)s or later."),
            year=EARLIEST_BIRTH_YEAR,
        )
    return birth_date


def validate(doc_type: str, raw_number: str, birth_date: date | None, *, today: date) -> Document:
    """Check a document as entered and return it normalised, or raise DocumentError.

    A resident ID number holds the birth date, so the user need not enter it;
    if they do, it has to agree with the number. Other documents need it.
    """
    kind = _document_type(doc_type)
    number = normalize(kind, raw_number)
    if kind is DocumentType.CN_RESIDENT:
        number_birth_date = _check_cn_resident(number, today=today)
        if birth_date is not None and birth_date != number_birth_date:
            raise _birth_date_error(
                Code.BIRTH_DATE_MISMATCH,
                _("The date of birth does not match the one in the ID number, %(date)s."),
                date=number_birth_date.isoformat(),
            )
        return Document(kind, number, number_birth_date)
    _check_other_number(kind, number)
    return Document(kind, number, _check_entered_birth_date(birth_date, today=today))


def mask(number: str) -> str:
    """The normalised number as every screen shows it: enough to recognise, not to rebuild.

    Only the tail is shown, for every type. The head of a resident ID is its
    region and birth date, which together with the tail are the whole number.
    """
    shown = min(_MASK_SHOWN_AT_MOST, len(number) // 3)
    return _MASK_STARS + (number[-shown:] if shown else "")


def stored_fields(document: Document, id_hash: str) -> dict[str, object]:
    """A checked document as each model that keeps one stores it (a person, a group
    member): the number (encrypted by its field), its keyed hash for matching and
    its mask for screens."""
    return {
        "id_type": document.doc_type,
        "id_number": document.number,
        "id_hash": id_hash,
        "id_masked": mask(document.number),
        "birth_date": document.birth_date,
    }


def age_on(birth_date: date, day: date) -> int:
    """Completed years of age on ``day``.

    Comparing (month, day) pairs means someone born on 29 February is a year
    older only from 1 March in common years, never a day early.
    """
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)
