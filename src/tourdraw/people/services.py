"""A visitor's own details and the people they bring."""

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError
from tourdraw.people import consent, crypto, documents, email_address, identity
from tourdraw.people.models import Person, Visitor


class PersonError(DomainError):
    pass


RESTORED_FIELDS = ["id_type", "id_number", "id_masked", "birth_date"]


def clean_name(raw: str, *, field: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise PersonError(
            _("Enter the full name as on the ID document."), code=Code.NAME_REQUIRED, field=field
        )
    if len(name) > 100:
        raise PersonError(
            _("A name has at most 100 characters."), code=Code.NAME_TOO_LONG, field=field
        )
    return name


def check_document(
    id_type: str, id_number: str, birth_date: date | None, *, today: date, field_prefix: str = ""
) -> documents.Document:
    """Validate a document, naming the form field (``companions.1.id_number``)."""
    try:
        return documents.validate(id_type, id_number, birth_date, today=today)
    except documents.DocumentError as error:
        raise PersonError(
            error.message, code=error.code, field=field_prefix + error.field
        ) from None


def get_or_create_person(
    owner: Visitor,
    *,
    full_name: str,
    document: documents.Document,
    is_self: bool = False,
) -> Person:
    """The visitor's record of this document, created on first use.

    A person is matched by document, never by name; the name is refreshed so
    that a corrected typo shows on the next entry.
    """
    return get_or_create_people(owner, [(full_name, document)], is_self=is_self)[0]


def get_or_create_people(
    owner: Visitor,
    people: Sequence[tuple[str, documents.Document]],
    *,
    is_self: bool = False,
) -> list[Person]:
    """:func:`get_or_create_person` for several people at once, in their order:
    one query finds those already recorded, one insert adds the rest."""
    consent.require(owner)
    digests = [crypto.id_hash(document.doc_type, document.number) for _, document in people]
    found = Person.objects.filter(owner=owner, id_hash__in=digests).defer("id_number")
    known = {person.id_hash: person for person in found}
    new = [
        Person(
            owner=owner,
            is_self=is_self,
            full_name=full_name,
            **documents.stored_fields(document, digest),
        )
        for (full_name, document), digest in zip(people, digests, strict=True)
        if digest not in known
    ]
    known.update((person.id_hash, person) for person in Person.objects.bulk_create(new))
    recorded = [known[digest] for digest in digests]
    for (full_name, document), person in zip(people, recorded, strict=True):
        if person.erased_at is not None:
            # Erased after an earlier round, entered again: the document comes back.
            for name, value in documents.stored_fields(document, person.id_hash).items():
                setattr(person, name, value)
            person.full_name = full_name
            person.erased_at = None
            person.save(update_fields=[*RESTORED_FIELDS, "full_name", "erased_at"])
        elif person.full_name != full_name:
            person.full_name = full_name
            person.save(update_fields=["full_name"])
    return recorded


def correct_name(visitor: Visitor, person_id: int, *, full_name: str) -> Person:
    """Correct the name of a person the visitor recorded (the right to correction).
    The document is not corrected: a different document is a different person."""
    name = clean_name(full_name, field="full_name")
    with transaction.atomic():
        person = (
            visitor.people.select_for_update()
            .filter(pk=person_id, erased_at__isnull=True)
            .defer("id_number")
            .first()
        )
        if person is None:
            raise PersonError(
                _("This person is not among yours."), code=Code.PERSON_UNKNOWN, field="person"
            )
        person.full_name = name
        person.save(update_fields=["full_name"])
        log_action("tourdraw.person.corrected", person, actor=visitor.user)
    return person


def save_profile(
    visitor: Visitor,
    *,
    full_name: str,
    id_type: str,
    id_number: str,
    birth_date: date | None,
    today: date,
) -> Person:
    """Set the visitor's real name and ID document (the entrant of every entry)."""
    name = clean_name(full_name, field="full_name")
    document = check_document(id_type, id_number, birth_date, today=today)
    with transaction.atomic():
        current = visitor.people.select_for_update().filter(is_self=True).first()
        digest = crypto.id_hash(document.doc_type, document.number)
        if current is not None and current.id_hash != digest:
            if current.entry_memberships.filter(active=True).exists():
                raise PersonError(
                    _(
                        "Your ID document cannot change while you have an entry: "
                        "withdraw it first, or keep the document it names."
                    ),
                    code=Code.PROFILE_DOCUMENT_LOCKED,
                    field="id_number",
                )
            current.is_self = False
            current.save(update_fields=["is_self"])
        identity.claim(visitor, full_name=name, document=document, id_hash=digest)
        person = get_or_create_person(visitor, full_name=name, document=document)
        if not person.is_self:
            person.is_self = True
            person.save(update_fields=["is_self"])
        log_action("tourdraw.visitor.profile_saved", visitor, actor=visitor.user)
    return person


def set_email(visitor: Visitor, raw: str) -> Visitor:
    """Give, change or (with "") remove the visitor's e-mail address; notices
    that go by SMS then go by e-mail too."""
    address = email_address.clean(raw, field="email", error=PersonError)
    with transaction.atomic():
        locked = Visitor.objects.select_for_update().get(pk=visitor.pk)
        locked.email = address
        locked.save(update_fields=["email"])
        # The address itself stays out of the audit trail, as every contact does.
        log_action(
            "tourdraw.visitor.email_changed",
            locked,
            actor=locked.user,
            data={"given": bool(address)},
        )
    visitor.email = address
    return visitor
