from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tourdraw.people import crypto, email_address
from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES
from tourdraw.people.fields import EncryptedDateField, EncryptedTextField


class User(AbstractUser):
    """Everyone who signs in: visitors (by phone) and staff (by password)."""

    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )


class Visitor(models.Model):
    """A person who signed in with a verified phone number.

    The number (E.164) is encrypted; its keyed hash finds the visitor at sign-in
    and keeps one account per number.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="visitor")
    phone = EncryptedTextField(_("phone number"))
    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Optional, for notices by e-mail beside the SMS; encrypted like the phone.
    email = EncryptedTextField(_("e-mail address"), blank=True, default="")
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    # Set when the visitor deleted their account: the phone is gone, the row
    # stays for the entries, offers and audit entries that point at it.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")

    def __str__(self) -> str:
        return str(self.phone)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The hash always follows the number, however the row was written; a
        # deleted account has no number, and a hash no number can match.
        if self.deleted_at is None:
            self.phone_hash = crypto.phone_hash(str(self.phone))
        super().save(*args, **kwargs)

    @property
    def self_person(self) -> "Person | None":
        # The ID number is decrypted only where it is read, which no screen does.
        # An erased profile (retention) is no profile: the visitor enters it again.
        return self.people.filter(is_self=True, erased_at__isnull=True).defer("id_number").first()

    @property
    def email_masked(self) -> str:
        return email_address.masked(self.email)


class Person(models.Model):
    """Someone who will walk through the gate, as one visitor recorded them.

    The ID number and birth date are encrypted; ``id_hash`` (keyed) matches the
    same document across entries and rounds, and ``id_masked`` (the last
    characters only) is what every screen shows.
    The document fields never change after creation: a different document is
    a different person, which is what "no substitutions" needs.
    """

    owner = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="people")
    is_self = models.BooleanField(_("the visitor themself"), default=False)
    full_name = models.CharField(_("full name"), max_length=100)
    id_type = models.CharField(_("ID document"), max_length=20, choices=DOCUMENT_TYPE_CHOICES)
    id_number = EncryptedTextField(_("ID number"))
    id_hash = models.CharField(max_length=64, db_index=True, editable=False)
    id_masked = models.CharField(_("ID number"), max_length=40, editable=False)
    # Encrypted like the number: in clear, beside the tail of a resident ID,
    # it was most of the number. Empty once the person is erased.
    birth_date = EncryptedDateField(_("date of birth"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the name, number and birth date were erased (retention or the
    # visitor's deletion); the keyed hash stays for the no-show ban and the
    # one-appearance rule, and nothing else about the person does.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["owner", "id_hash"], name="person_once_per_visitor"),
            models.UniqueConstraint(
                fields=["owner"], condition=models.Q(is_self=True), name="one_self_per_visitor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.id_masked})"


class SignInCode(models.Model):
    """A one-time code sent by SMS; only its keyed hash is stored, and the
    phone it went to only as a keyed hash too."""

    phone_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone_hash", "-created_at"], name="signin_phone_hash_recent")
        ]

    def __str__(self) -> str:
        return f"code @ {self.created_at:%Y-%m-%d %H:%M}"


class StaffRole(models.Model):
    """What a staff member may do, and at which site.

    A platform admin has no site (every site); every other role is scoped to
    one site, and a person working at two sites holds two roles.
    """

    class Role(models.TextChoices):
        PLATFORM_ADMIN = "platform_admin", _("platform admin")
        SITE_OPERATOR = "site_operator", _("site operator")
        CALL_CENTRE = "call_centre", _("call-centre agent")
        GATE = "gate", _("gate staff")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    site = models.ForeignKey(
        "catalog.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="staff_roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "site"], name="staff_role_once"),
            models.CheckConstraint(
                condition=(models.Q(role="platform_admin") & models.Q(site__isnull=True))
                | (~models.Q(role="platform_admin") & models.Q(site__isnull=False)),
                name="staff_role_site_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.site or '*'}"


class IdentityClaim(models.Model):
    """Which account holds an ID document as its own: one account per document.

    Without it anyone could register someone else's number as themselves,
    enter first and leave the real person refused (one appearance per round)
    or barred (a no-show). A second claim is refused; the call centre moves a
    claim to the account that proves the document is theirs.
    """

    visitor = models.OneToOneField(Visitor, on_delete=models.CASCADE, related_name="identity")
    id_hash = models.CharField(max_length=64, unique=True)
    # Set once the real-name check (settings.TOURDRAW_REAL_NAME_CHECK) passed,
    # or the call centre saw the document; ``verified_by`` says which.
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity claim")
        verbose_name_plural = _("identity claims")

    def __str__(self) -> str:
        return f"{self.visitor} ({self.verified_by or 'unverified'})"


class Consent(models.Model):
    """A visitor's acceptance of one version of the privacy notice, or their
    separate consent to sensitive personal information (ID documents) under it.

    Rows are only added: a new notice version asks again, and the history of
    what was accepted when stays (until the account is deleted).
    """

    class Kind(models.TextChoices):
        NOTICE = "notice", _("privacy notice")
        SENSITIVE = "sensitive_pi", _("sensitive personal information")

    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.CharField(max_length=20)
    given_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "kind", "version"], name="consent_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.version}"
