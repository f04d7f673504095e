from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tourdraw.catalog.models import Site, Slot
from tourdraw.people import email_address
from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES
from tourdraw.people.fields import EncryptedDateField, EncryptedTextField


class GroupVisit(models.Model):
    """An organisation's request for a block of places, outside the lottery."""

    # Its site, as a lookup from here: staff see it where they have a role there
    # (people.access.scope).
    SITE_PATH: ClassVar[str] = "site_id"

    class State(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("group visit", "requested")
        APPROVED = "approved", pgettext_lazy("group visit", "approved")
        DECLINED = "declined", pgettext_lazy("group visit", "declined")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="group_visits")
    organisation = models.CharField(_("organisation"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=100)
    contact_phone = EncryptedTextField(_("contact phone"))
    # Optional; encrypted like the phone, checked by people.email_address.
    contact_email = EncryptedTextField(_("contact email"), blank=True, default="")
    size = models.PositiveSmallIntegerField(_("group size"))
    preferred_dates = models.CharField(_("preferred dates"), max_length=300)
    purpose = models.TextField(_("purpose of the visit"))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.REQUESTED, db_index=True
    )
    # Places kept in this slot, taken out of its lottery capacity.
    slot = models.ForeignKey(
        Slot, null=True, blank=True, on_delete=models.PROTECT, related_name="group_visits"
    )
    decline_reason = models.TextField(_("reason"), blank=True)
    # The address of the group's page (member list, ticket): a secret link.
    code = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(_("requested"))
    # The organiser's messages are in the language they asked in; a signed-in
    # visitor also finds the request among their entries.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    requested_by = models.ForeignKey(
        "people.Visitor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_visits",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The contact phone is stored encrypted, so its column has no limit; this
    # is the longest one taken, for the form, the API schema and the service.
    CONTACT_PHONE_MAX_LENGTH: ClassVar[int] = 30

    class Meta:
        verbose_name = _("group visit")
        verbose_name_plural = _("group visits")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="approved") | models.Q(slot__isnull=False),
                name="approved_group_has_a_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.size})"

    @classmethod
    def max_length(cls, field: str) -> int:
        if field == "contact_phone":
            return cls.CONTACT_PHONE_MAX_LENGTH
        if field == "contact_email":
            return email_address.MAX_LENGTH
        return int(cls._meta.get_field(field).max_length or 0)  # type: ignore[union-attr]  # every other text field is a CharField


class GroupMember(models.Model):
    group = models.ForeignKey(GroupVisit, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveSmallIntegerField()
    full_name = models.CharField(_("full name"), max_length=100)
    id_type = models.CharField(_("ID document"), max_length=20, choices=DOCUMENT_TYPE_CHOICES)
    id_number = EncryptedTextField(_("ID number"))
    id_hash = models.CharField(max_length=64, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=40)
    birth_date = EncryptedDateField(_("date of birth"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_gate = models.CharField(max_length=100, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "position"]
        constraints = [
            models.UniqueConstraint(fields=["group", "id_hash"], name="group_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.id_masked})"
