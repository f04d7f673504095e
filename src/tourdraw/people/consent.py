"""The privacy notice and the separate consent to sensitive personal information.

PIPL asks for notice before processing and a separate consent for sensitive
personal information, which an ID document is. Both are recorded per version;
when the notice changes (``TOURDRAW_PRIVACY_NOTICE_VERSION``), nobody stores
another document until they have accepted the new version.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError
from tourdraw.people.models import Consent, Visitor


class ConsentError(DomainError):
    pass


def current_version() -> str:
    return str(settings.TOURDRAW_PRIVACY_NOTICE_VERSION)


def is_current(visitor: Visitor) -> bool:
    given = Consent.objects.filter(visitor=visitor, version=current_version())
    return given.values("kind").distinct().count() == len(Consent.Kind)


def require(visitor: Visitor) -> None:
    """Refuse to store an ID document without consent to the current notice."""
    if not is_current(visitor):
        raise ConsentError(
            _(
                "Read the privacy notice and agree to the processing of your ID "
                "documents on your profile page before adding an ID document."
            ),
            code=Code.CONSENT_REQUIRED,
            field="accept_sensitive",
        )


def give(
    visitor: Visitor, *, version: str, notice: bool, sensitive: bool, now: datetime
) -> list[Consent]:
    """Record both consents to ``version``, which must be the notice in force."""
    if version != current_version():
        raise ConsentError(
            _("The privacy notice has changed since you opened it: read the new version."),
            code=Code.NOTICE_CHANGED,
            field="version",
        )
    if not notice:
        raise ConsentError(
            _("Confirm that you have read the privacy notice."),
            code=Code.NOTICE_NOT_ACCEPTED,
            field="accept_notice",
        )
    if not sensitive:
        raise ConsentError(
            _("Agree to the processing of ID documents, which are sensitive personal information."),
            code=Code.SENSITIVE_NOT_ACCEPTED,
            field="accept_sensitive",
        )
    recorded = []
    with transaction.atomic():
        for kind in Consent.Kind:
            consent, created = Consent.objects.get_or_create(
                visitor=visitor, kind=kind, version=version, defaults={"given_at": now}
            )
            if created:
                log_action(
                    f"tourdraw.consent.{kind}",
                    visitor,
                    actor=visitor.user,
                    data={"version": version},
                )
            recorded.append(consent)
    return recorded


def history(visitor: Visitor) -> list[dict[str, Any]]:
    return [
        {"kind": c.kind, "version": c.version, "given_at": c.given_at.isoformat()}
        for c in visitor.consents.order_by("given_at", "pk")
    ]
