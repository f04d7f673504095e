from datetime import UTC, datetime, timedelta
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tourdraw.catalog.models import Slot, Tour
from tourdraw.lottery import drand
from tourdraw.people.fields import EncryptedTextField
from tourdraw.people.models import Person, Visitor
from tourdraw.translated import Translated


class Round(Translated, models.Model):
    """A lottery round: slots offered, the entry window, the draw time."""

    # Its site, as a lookup from here: staff see it where they have a role there
    # (people.access.scope).
    SITE_PATH: ClassVar[str] = "tour__site_id"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        OPEN = "open", _("open for entries")
        CLOSED = "closed", _("closed")
        DRAWN = "drawn", _("drawn")
        CANCELLED = "cancelled", _("cancelled")

    # What the opening statement fixes, and what the closing statement pins
    # besides the entries and slots: never changed after (spec sections 1-2).
    # The admin shows them read-only; on PostgreSQL a trigger refuses them too
    # (migration 0006_sealed_inputs_i12b).
    FIXED_AT_OPEN: ClassVar[tuple[str, ...]] = (
        "code",
        "tour",
        "opens_at",
        "closes_at",
        "priority",
        "repeat_weight_days",
        "repeat_weight_cap",
    )
    FIXED_AT_CLOSE: ClassVar[tuple[str, ...]] = ("draws_at",)

    code = models.SlugField(_("code"), max_length=80, unique=True)
    tour = models.ForeignKey(Tour, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    slots: "models.ManyToManyField[Slot, RoundSlot]" = models.ManyToManyField(
        Slot, through="RoundSlot", related_name="rounds"
    )
    opens_at = models.DateTimeField(_("entries open"))
    closes_at = models.DateTimeField(_("entries close"))
    draws_at = models.DateTimeField(_("draw"))
    confirm_window = models.DurationField(_("time to confirm"), default=timedelta(hours=48))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.SCHEDULED, db_index=True
    )

    # Fairness options (spec section 2: tier and weight), off by default.
    class Priority(models.TextChoices):
        NONE = "none", _("none: every entry in one tier")
        MINORS = "minors", _("parties with a child under 18 are drawn first")

    priority = models.CharField(
        _("priority tier"), max_length=20, choices=Priority.choices, default=Priority.NONE
    )
    repeat_weight_days = models.PositiveSmallIntegerField(
        _("extra chances for earlier losses (days back, 0 = off)"),
        default=0,
        help_text=_(
            "One more ticket for each earlier round at this site, drawn within this many "
            "days before the round opens, in which the entrant entered and was not drawn."
        ),
    )
    repeat_weight_cap = models.PositiveSmallIntegerField(
        _("tickets at most"), default=3, help_text=_("The most tickets one entry can hold.")
    )
    # sha256 of the secret, public from the moment the round opens (spec section 1).
    commitment = models.CharField(_("commitment"), max_length=64, blank=True)
    secret = EncryptedTextField(blank=True, editable=False)
    # tourdraw-draw/1 only: the free-text beacon rounds drawn before version 2
    # bound after close. Kept so their records still read and verify; never an input.
    beacon = models.CharField(_("beacon"), max_length=500, blank=True, editable=False)
    # Fixed at open (tourdraw-opening/2, spec section 1): the canonical JSON of the
    # opening statement, and the drand chain and round number it names.
    opening_statement = models.TextField(blank=True, editable=False)
    beacon_chain = models.JSONField(null=True, blank=True, editable=False)
    beacon_round = models.PositiveBigIntegerField(
        _("beacon round"), null=True, blank=True, editable=False
    )
    # Fixed at close (tourdraw-closing/2, spec section 2): the canonical JSON of the
    # closing statement and its digest, which the draw record carries.
    closing_statement = models.TextField(blank=True, editable=False)
    closing_digest = models.CharField(max_length=64, blank=True, editable=False)
    # The beacon round's signature and randomness, once fetched and verified.
    beacon_signature = models.CharField(max_length=96, blank=True, editable=False)
    beacon_randomness = models.CharField(max_length=64, blank=True, editable=False)
    # The last try at fetching the beacon and why it failed: the round shows
    # "waiting for beacon round R" with this reason until a relay answers.
    beacon_tried_at = models.DateTimeField(null=True, blank=True, editable=False)
    beacon_error = models.TextField(blank=True, editable=False)
    # sha256 of the frozen entries at close; the draw refuses if they changed since.
    frozen_digest = models.CharField(max_length=64, blank=True, editable=False)
    frozen_entries = models.PositiveIntegerField(null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    drawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="round_closes_after_it_opens",
            ),
            models.CheckConstraint(
                condition=models.Q(draws_at__gte=models.F("closes_at")),
                name="round_draws_after_it_closes",
            ),
            models.CheckConstraint(
                condition=models.Q(repeat_weight_cap__gte=1, repeat_weight_cap__lte=100),
                name="round_weight_cap_within_spec",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def opened(self) -> bool:
        """Its opening statement is public (or it was cancelled after)."""
        return self.state != self.State.SCHEDULED

    @property
    def inputs_sealed(self) -> bool:
        """Closed: its entries, slots, capacities and group places are sealed."""
        return self.state in (self.State.CLOSED, self.State.DRAWN)

    @property
    def beacon_at(self) -> datetime | None:
        """When the beacon round fixed at open is published (None before open)."""
        if self.beacon_round is None or self.beacon_chain is None:
            return None
        chain = drand.Chain.from_json(self.beacon_chain)
        return datetime.fromtimestamp(drand.round_time(chain, self.beacon_round), UTC)

    @property
    def waiting_for_beacon(self) -> bool:
        """Closed, with its beacon round fixed, and the beacon not yet fetched."""
        return (
            self.state == self.State.CLOSED
            and self.beacon_round is not None
            and not self.beacon_signature
        )


class RoundSlot(models.Model):
    """A slot offered in a round. A slot is offered by one round only, so its
    places cannot be drawn twice."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="round_slots")
    slot = models.OneToOneField(Slot, on_delete=models.PROTECT, related_name="round_slot")

    class Meta:
        verbose_name = _("slot in round")
        verbose_name_plural = _("slots in round")

    def __str__(self) -> str:
        return f"{self.round.code} {self.slot.code}"


class Entry(models.Model):
    """A visitor's application to a round: ranked slots and the party."""

    class State(models.TextChoices):
        ACTIVE = "active", _("entered")
        WITHDRAWN = "withdrawn", _("withdrawn")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="entries")
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="entries")
    # Public pseudonym: the only thing about an entry that public pages show.
    code = models.CharField(_("entry code"), max_length=10, unique=True)
    party_size = models.PositiveSmallIntegerField(_("persons"))
    # Fixed when the entry is made or changed, shown to the entrant, drawn as is.
    tier = models.PositiveSmallIntegerField(_("tier"), default=0)
    weight = models.PositiveSmallIntegerField(
        pgettext_lazy("chances in the draw", "tickets"), default=1
    )
    lost_rounds = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # A party that claimed a leftover place after the draw (visits/leftovers.py):
    # it took no part in the draw, has no outcome, and is never on the waitlist.
    # Its party is stored as any entry's, so the gate, tickets and the
    # one-appearance-per-round constraint treat it alike.
    leftover = models.BooleanField(default=False, editable=False)

    # Set when the entries service stores the party, or by entries.with_party()
    # for a list; read them through entries.choices_of() and entries.party_of().
    ranked_choices: list["EntryChoice"]
    party: list["EntryMember"]

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(party_size__gte=1), name="entry_has_a_party"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class EntryChoice(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="choices")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="entry_choices")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["entry", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "rank"], name="choice_rank_unique"),
            models.UniqueConstraint(fields=["entry", "slot"], name="choice_slot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry.code} #{self.rank} {self.slot.code}"


class EntryMember(models.Model):
    """A person in an entry's party. ``round`` and ``id_hash`` are copied here so
    the database itself refuses a person appearing twice in one round."""

    class Role(models.TextChoices):
        ENTRANT = "entrant", _("entrant")
        COMPANION = "companion", _("companion")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="members")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="entry_memberships")
    id_hash = models.CharField(max_length=64)
    role = models.CharField(max_length=20, choices=Role.choices)
    position = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)
    # When the entrant declared being this child's guardian (or having the
    # guardian's consent); only companions under 14 on a chosen date need it.
    guardian_declared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["entry", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "id_hash"],
                condition=models.Q(active=True),
                name="one_appearance_per_person_per_round",
            ),
            models.UniqueConstraint(fields=["entry", "position"], name="member_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry.code} #{self.position}"


class Draw(models.Model):
    """A round's drawn record, published as is and never changed (spec section 4)."""

    round = models.OneToOneField(Round, on_delete=models.PROTECT, related_name="draw")
    record = models.TextField()
    seed = models.CharField(max_length=64)
    entries = models.PositiveIntegerField()
    placed_entries = models.PositiveIntegerField()
    drawn_at = models.DateTimeField()

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")

    def __str__(self) -> str:
        return self.round.code

    @property
    def waitlisted_entries(self) -> int:
        """The entries the draw did not place: the waitlist (spec section 5)."""
        return self.entries - self.placed_entries


class DrawOutcome(models.Model):
    """Where an entry came in the draw: its place in ``order`` and its slot if placed.

    Entries not placed form the waitlist, in this order (spec section 5).
    """

    # A draw writes one row per entry at once; every index is one more write
    # each. Lookups by round use the (round, position) unique index, and only
    # placed rows have a slot to look up by.
    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="outcomes", db_index=False
    )
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="outcome")
    position = models.PositiveIntegerField()
    slot = models.ForeignKey(
        Slot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outcomes_placed",
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "position"], name="outcome_position_unique"),
        ]
        indexes = [
            models.Index(
                fields=["slot"], condition=models.Q(slot__isnull=False), name="outcome_placed_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id}#{self.position}"

    @property
    def placed(self) -> bool:
        return self.slot_id is not None
