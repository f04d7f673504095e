"""One account per ID document, and the real-name check before it counts.

A visitor's own document is claimed when they save their profile: the
configured real-name check (``settings.TOURDRAW_REAL_NAME_CHECK``, a class
with ``check(full_name=, document=, phone=)``) is asked first, and a document
another account already holds is refused with the way to dispute it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tourdraw.errors import Code, DomainError
from tourdraw.people import crypto, documents
from tourdraw.people.documents import Document
from tourdraw.people.models import IdentityClaim, Visitor


class IdentityError(DomainError):
    pass


def typed_document_hash(id_type: str, id_number: str, refusal: type[DomainError]) -> str:
    """The hash of a document number that staff typed from the card in front of
    them (at the gate, in a dispute), or ``refusal`` saying what is wrong with it."""
    try:
        number = documents.normalize(id_type, id_number)
    except documents.DocumentError as error:
        raise refusal(error.message, code=error.code, field=error.field) from None
    if not number:
        raise refusal(
            _("Type the number on the ID document."),
            code=Code.ID_NUMBER_REQUIRED,
            field="id_number",
        )
    return crypto.id_hash(id_type, number)


@dataclass(frozen=True)
class RealNameResult:
    verified: bool
    # Who vouched (stored on the claim), or why not (shown to the visitor).
    provider: str
    reason: str = ""


class RealNameCheck(Protocol):
    def check(self, *, full_name: str, document: Document, phone: str) -> RealNameResult: ...


class ChecksumOnly:
    """Development: a document whose number passed its format and checksum
    (people/documents.py) counts; no outside register is asked."""

    def check(self, *, full_name: str, document: Document, phone: str) -> RealNameResult:
        return RealNameResult(verified=True, provider="checksum")


def real_name_check() -> RealNameCheck:
    return import_string(settings.TOURDRAW_REAL_NAME_CHECK)()


def claimed_elsewhere() -> IdentityError:
    return IdentityError(
        _(
            "This ID document is already registered to another account. If it is yours, "
            "call the service centre with the document: they can move it to your account."
        ),
        code=Code.ID_CLAIMED,
        field="id_number",
    )


def claim(
    visitor: Visitor,
    *,
    full_name: str,
    document: Document,
    id_hash: str,
    now: datetime | None = None,
) -> IdentityClaim:
    """Make ``document`` the visitor's own, after the real-name check; refused
    while another account holds it. Runs inside the caller's transaction."""
    now = now or timezone.now()
    held = IdentityClaim.objects.filter(id_hash=id_hash).first()
    if held is not None and held.visitor_id != visitor.pk:
        raise claimed_elsewhere()
    result = real_name_check().check(
        full_name=full_name, document=document, phone=str(visitor.phone)
    )
    if not result.verified:
        raise IdentityError(
            _("The name and ID document could not be verified: %(reason)s")
            % {"reason": result.reason or _("they do not match the register")},
            code=Code.REAL_NAME_REFUSED,
            field="full_name",
        )
    try:
        with transaction.atomic():
            mine, _created = IdentityClaim.objects.update_or_create(
                visitor=visitor,
                defaults={"id_hash": id_hash, "verified_at": now, "verified_by": result.provider},
            )
    except IntegrityError:
        # Another account claimed the same document between our read and write.
        raise claimed_elsewhere() from None
    return mine
