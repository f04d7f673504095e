from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tourdraw.catalog.models import Slot
from tourdraw.lottery.models import Entry, Round


class Offer(models.Model):
    """A place won, by the draw or from the waitlist, awaiting confirmation."""

    # Its site, as a lookup from here: staff see it where they have a role there
    # (people.access.scope).
    SITE_PATH: ClassVar[str] = "slot__tour__site_id"

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")

    class Source(models.TextChoices):
        DRAW = "draw", _("the draw")
        WAITLIST = "waitlist", _("the waitlist")
        LEFTOVER = "leftover", _("leftover places")

    class Via(models.TextChoices):
        ONLINE = "online", _("online")
        CALL = "call", _("by phone")

    # One offer per entry at most: spec section 5 never offers an entry twice.
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="offer")
    # No index of its own: the (slot, state) index below serves lookups by slot,
    # and every index is one more write per offer, 25k at once in a large draw.
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="offers", db_index=False)
    persons = models.PositiveSmallIntegerField(_("persons"))
    # Likewise served by the (state, deadline) index.
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    source = models.CharField(_("from"), max_length=20, choices=Source.choices)
    deadline = models.DateTimeField(_("confirm by"))
    created_at = models.DateTimeField(_("offered"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    confirmed_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["deadline"]
        indexes = [
            models.Index(fields=["slot", "state"]),
            models.Index(fields=["state", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.entry.code} → {self.slot.code}"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING


class CallAttempt(models.Model):
    """One call from the call centre to a winner, and how it went."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed on the phone")
        DECLINED = "declined", _("declined")
        NO_ANSWER = "no_answer", _("no answer")
        WRONG_NUMBER = "wrong_number", _("wrong number")

    FAILED = (Outcome.NO_ANSWER, Outcome.WRONG_NUMBER)

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="calls")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.offer} {self.outcome}"


class Ticket(models.Model):
    """A confirmed visit: one per party, naming each person; shown as a signed QR."""

    class State(models.TextChoices):
        VALID = "valid", _("valid")
        CANCELLED = "cancelled", _("cancelled")

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="ticket")
    # Unguessable: it is the ticket page's address, sent by SMS.
    code = models.CharField(max_length=32, unique=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.VALID, db_index=True
    )
    issued_at = models.DateTimeField(_("issued"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return self.code

    @property
    def is_valid(self) -> bool:
        return self.state == self.State.VALID


class Promotion(models.Model):
    """A waitlist promotion, shown on the round's public page (spec section 5)."""

    class Reason(models.TextChoices):
        DECLINED = "declined", _("an offer was declined")
        EXPIRED = "expired", _("an offer expired")
        CANCELLED = "cancelled", _("a ticket was cancelled")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="promotions")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+")
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="promotion")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    free_places = models.PositiveSmallIntegerField(_("places free"))
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.round.code} {self.offer}"


class CheckIn(models.Model):
    """A person of a ticket's party passing the gate."""

    class Source(models.TextChoices):
        ONLINE = "online", _("scanned online")
        OFFLINE = "offline", _("scanned offline, synced later")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="checkins")
    member = models.ForeignKey(
        "lottery.EntryMember", on_delete=models.PROTECT, related_name="checkins"
    )
    gate = models.CharField(_("gate"), max_length=100)
    device = models.CharField(_("device"), max_length=100, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The scanning device's id for this check-in: an upload replayed counts once.
    nonce = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    checked_in_at = models.DateTimeField(_("checked in"))
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["checked_in_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["member"], name="one_checkin_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.code} #{self.member_id} @ {self.gate}"


class CheckInConflict(models.Model):
    """The same person checked in on a second device while offline: flagged at sync
    for staff to look into; the first check-in stands."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="conflicts")
    member = models.ForeignKey("lottery.EntryMember", on_delete=models.PROTECT, related_name="+")
    first = models.ForeignKey(CheckIn, on_delete=models.PROTECT, related_name="conflicts")
    gate = models.CharField(_("gate"), max_length=100)
    device = models.CharField(_("device"), max_length=100, blank=True)
    nonce = models.CharField(max_length=64, unique=True)
    scanned_at = models.DateTimeField(_("scanned"))
    created_at = models.DateTimeField(_("flagged"))

    class Meta:
        verbose_name = _("check-in conflict")
        verbose_name_plural = _("check-in conflicts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket.code} #{self.member_id}"


class NoShow(models.Model):
    """A party that did not arrive: it bars the entrant from the site's rounds for a while."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="no_show")
    site = models.ForeignKey("catalog.Site", on_delete=models.PROTECT, related_name="+")
    entrant_hash = models.CharField(max_length=64, db_index=True)
    slot_ended_at = models.DateTimeField()
    barred_until = models.DateTimeField(_("barred until"))
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("no-show")
        verbose_name_plural = _("no-shows")

    def __str__(self) -> str:
        return f"{self.ticket.code} no-show"


class LeftoverOpening(models.Model):
    """A drawn slot whose free places are open to claims, first come, first
    served, once its waitlist can serve no one (visits/leftovers.py)."""

    SITE_PATH: ClassVar[str] = "slot__tour__site_id"

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="leftover_openings")
    slot = models.OneToOneField(Slot, on_delete=models.PROTECT, related_name="leftover_opening")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Why it could open: the waitlist had no one left for the slot, or its cut-off had passed.
    reason = models.CharField(max_length=20)
    opened_at = models.DateTimeField(_("opened"))

    class Meta:
        verbose_name = _("leftover places")
        verbose_name_plural = _("leftover places")
        ordering = ["opened_at", "pk"]

    def __str__(self) -> str:
        return f"{self.round.code} {self.slot.code}"
