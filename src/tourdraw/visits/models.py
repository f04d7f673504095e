from django.db import models
from django.utils.translation import gettext_lazy as _

from tourdraw.catalog.models import Slot
from tourdraw.lottery.models import Entry


class Offer(models.Model):
    """A place won, by the draw or from the waitlist, awaiting confirmation."""

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")

    class Source(models.TextChoices):
        DRAW = "draw", _("the draw")
        WAITLIST = "waitlist", _("the waitlist")

    # One offer per entry at most: spec section 5 never offers an entry twice.
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="offer")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="offers")
    persons = models.PositiveSmallIntegerField(_("persons"))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True
    )
    source = models.CharField(_("from"), max_length=20, choices=Source.choices)
    deadline = models.DateTimeField(_("confirm by"))
    created_at = models.DateTimeField(_("offered"))

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["deadline"]
        indexes = [models.Index(fields=["slot", "state"])]

    def __str__(self) -> str:
        return f"{self.entry.code} → {self.slot.code}"
