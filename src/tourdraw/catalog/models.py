import zoneinfo
from datetime import date, datetime
from typing import ClassVar

from django.db import models
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from tourdraw.translated import Translated

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Site(Translated, models.Model):
    """A factory open to visitors."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300)
    address_en = models.CharField(_("address (English)"), max_length=300, blank=True)
    operator_name = models.CharField(_("operator"), max_length=200)
    rules = models.TextField(_("rules"), blank=True)
    rules_en = models.TextField(_("rules (English)"), blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="Asia/Shanghai"
    )
    no_show_ban_days = models.PositiveSmallIntegerField(
        _("days barred after a no-show"),
        default=90,
        help_text=_(
            "An entrant whose party did not come may not enter this site's rounds for this long."
        ),
    )
    visit_cooldown_days = models.PositiveSmallIntegerField(
        _("days before visiting again"),
        default=0,
        help_text=_(
            "A person who visited may enter this site's rounds again after this long (0: at once)."
        ),
    )
    group_size_limit = models.PositiveSmallIntegerField(
        _("largest group"), default=60, help_text=_("The most persons one group visit may bring.")
    )
    arrival_opens_minutes = models.PositiveSmallIntegerField(
        _("gate opens (minutes before the slot)"), default=60
    )
    arrival_closes_minutes = models.PositiveSmallIntegerField(
        _("gate closes (minutes after the slot starts)"), default=30
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Tour(Translated, models.Model):
    """A visit programme at a site, with the rules every party must meet."""

    # Its site, as a lookup from here: staff see it where they have a role there
    # (people.access.scope).
    SITE_PATH: ClassVar[str] = "site_id"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="tours")
    code = models.SlugField(_("code"))
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("what is seen"), blank=True)
    description_en = models.TextField(_("what is seen (English)"), blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=120)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=6)
    max_companions = models.PositiveSmallIntegerField(_("companions at most"), default=2)
    max_choices = models.PositiveSmallIntegerField(_("ranked choices at most"), default=3)
    rules = models.TextField(_("visit rules"), blank=True)
    rules_en = models.TextField(_("visit rules (English)"), blank=True)

    class Meta:
        verbose_name = _("tour")
        verbose_name_plural = _("tours")
        ordering = ["site", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="tour_code_unique_per_site"),
            models.CheckConstraint(
                condition=models.Q(max_choices__gte=1), name="tour_allows_a_choice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.name}"


class Slot(models.Model):
    """One dated, timed run of a tour, with its capacity in persons."""

    # Its site, as a lookup from here: staff see it where they have a role there
    # (people.access.scope).
    SITE_PATH: ClassVar[str] = "tour__site_id"

    tour = models.ForeignKey(Tour, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("capacity (persons)"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tour", "starts_at"], name="slot_start_unique_per_tour"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tour.name} {self.code}"

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.tour.site.tzinfo)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.tour.site.tzinfo)

    @property
    def code(self) -> str:
        """The slot's public code in draw records: its local start, to the minute."""
        return self.local_start.strftime("%Y-%m-%dT%H:%M")

    @property
    def visit_date(self) -> date:
        return self.local_start.date()

    @property
    def label(self) -> str:
        """``Tue 20 Jan 09:30–11:30``; ``1月20日 星期二 09:30–11:30`` in Chinese."""
        start, end = self.local_start, self.local_end
        day = dateformat.format(start, pgettext("slot date (PHP date format)", "D j M"))
        return f"{day} {start:%H:%M}–{end:%H:%M}"


class Notice(Translated, models.Model):
    """What a site tells every visitor before they come (phones sealed, dress,
    the ID to bring): for every tour of the site, or for one tour. Which apply
    where, in which language: ``catalog/notices.py``."""

    # Its site, as a lookup from here: staff see it where they have a role there
    # (people.access.scope).
    SITE_PATH: ClassVar[str] = "site_id"
    # The longest text, in each language: a notice is read on a phone and in an SMS.
    MAX_TEXT: ClassVar[int] = 300

    class Kind(models.TextChoices):
        PHONES = "phones", _("phones")
        DRESS = "dress", _("dress")
        DOCUMENTS = "documents", _("ID documents")
        OTHER = "other", _("other")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="notices")
    # None: every tour of the site.
    tour = models.ForeignKey(
        Tour, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=MAX_TEXT)
    text_en = models.CharField(_("text (English)"), max_length=MAX_TEXT)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("shown"), default=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["site", "order", "pk"]

    def __str__(self) -> str:
        return self.text
