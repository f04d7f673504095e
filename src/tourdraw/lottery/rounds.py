"""A round's life: scheduled, open (opening statement public), closed (inputs sealed)."""

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot, Tour
from tourdraw.errors import Code, DomainError
from tourdraw.lottery import drand, draw, drawing, statements
from tourdraw.lottery.models import Round, RoundSlot
from tourdraw.transparency import log as public_log

logger = logging.getLogger(__name__)


def accepts_entries(round: Round, now: datetime) -> bool:
    """Open, and ``now`` inside its entry window: the one rule for entering or
    changing an entry, which the pages and the API show as the service applies it."""
    return round.state == Round.State.OPEN and round.opens_at <= now < round.closes_at


def visible_rounds() -> QuerySet[Round]:
    """The rounds the public sees: every round but a cancelled one."""
    return Round.objects.exclude(state=Round.State.CANCELLED)


def prefetch_visible_rounds(through: str = "") -> Prefetch:
    """Each tour's visible rounds, earliest first, as ``visible_rounds`` on the
    tour (or on the tours found ``through`` a relation, ``tours__``), read in one query."""
    return Prefetch(
        f"{through}rounds",
        queryset=visible_rounds().order_by("opens_at"),
        to_attr="visible_rounds",
    )


def lock_round_for_entry(round: Round) -> Round:
    """Read the round's state again so that closing it waits for this transaction.

    On PostgreSQL a KEY SHARE lock lets any number of entries go in side by
    side, while ``close_round``'s FOR UPDATE waits for them all and makes every
    later entry see the round closed. SQLite's IMMEDIATE transactions already
    run one writer at a time. Only the fields that decide whether the round
    takes entries are read, in the one query that locks, onto ``round``.
    """
    fields = ("state", "opens_at", "closes_at")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(fields)} FROM {Round._meta.db_table} "  # noqa: S608
                "WHERE id = %s FOR KEY SHARE",
                [round.pk],
            )
            row = cursor.fetchone()
        if row is None:
            raise Round.DoesNotExist
        values = dict(zip(fields, row, strict=True))
    else:
        values = Round.objects.filter(pk=round.pk).values(*fields).get()
    for field, value in values.items():
        setattr(round, field, value)
    return round


class RoundError(DomainError):
    pass


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _check_openable(round: Round, now: datetime) -> None:
    if round.state == Round.State.OPEN:
        raise RoundError(
            _("Round %(round)s is already open.") % {"round": round.code},
            code=Code.ROUND_ALREADY_OPEN,
            field="state",
        )
    if round.state != Round.State.SCHEDULED:
        raise RoundError(
            _("Round %(round)s is %(state)s; only a scheduled round opens.")
            % {"round": round.code, "state": round.get_state_display()},
            code=Code.ROUND_NOT_SCHEDULED,
            field="state",
        )
    if now < round.opens_at:
        raise RoundError(
            _("Round %(round)s opens at %(time)s, not before.")
            % {"round": round.code, "time": _when(round.opens_at)},
            code=Code.ROUND_NOT_DUE,
            field="opens_at",
        )


def _check_closable(round: Round) -> None:
    if round.state == Round.State.SCHEDULED:
        raise RoundError(
            _("Round %(round)s has not opened yet; only an open round can be closed.")
            % {"round": round.code},
            code=Code.ROUND_NOT_OPEN,
            field="state",
        )
    if round.state != Round.State.OPEN:
        raise RoundError(
            _("Round %(round)s is already %(state)s; only an open round can be closed.")
            % {"round": round.code, "state": round.get_state_display()},
            code=Code.ROUND_ALREADY_CLOSED,
            field="state",
        )


def open_round(round: Round, *, now: datetime, actor: Any = None) -> Round:
    """Open a scheduled round and publish its opening statement: the commitment,
    the fairness options and the beacon (chain and round), fixed from here on.
    Refused (``RoundError``) before its opening time or if it is not scheduled."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        _check_openable(locked, now)
        secret = secrets.token_bytes(32)
        chain: drand.Chain = settings.TOURDRAW_DRAND_CHAIN
        locked.secret = secret.hex()
        locked.commitment = draw.commitment_for(secret)
        locked.state = Round.State.OPEN
        locked.opened_at = now
        opening = statements.opening_statement(
            round=locked.code,
            commitment=locked.commitment,
            opened_at=now,
            # The statement shows whole seconds, and R must follow from what it shows.
            closes_at=locked.closes_at.replace(microsecond=0),
            options=drawing.options_of(locked),
            chain=chain,
        )
        locked.opening_statement = draw.canonical(opening).decode("ascii")
        locked.beacon_chain = chain.as_json()
        locked.beacon_round = opening["beacon"]["round"]
        locked.save(
            update_fields=[
                "secret",
                "commitment",
                "state",
                "opened_at",
                "opening_statement",
                "beacon_chain",
                "beacon_round",
            ]
        )
        log_action(
            "tourdraw.round.opened",
            locked,
            actor=actor,
            data={"commitment": locked.commitment, "beacon_round": locked.beacon_round},
        )
        public_log.append("opening", round_code=locked.code, body=opening, now=now)
    round.refresh_from_db()
    return round


def close_round(round: Round, *, now: datetime, actor: Any = None) -> Round:
    """Close an open round (early, if an operator asks) and publish its closing
    statement: from here on the entries, the capacity each slot gives the
    lottery and the options are sealed. Refused (``RoundError``) unless open."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        _check_closable(locked)
        check_time_to_confirm(locked, locked.slots.filter(cancelled_at__isnull=True), now)
        locked.state = Round.State.CLOSED
        locked.closed_at = now
        closing = drawing.freeze(locked)
        locked.save(
            update_fields=[
                "state",
                "closed_at",
                "frozen_digest",
                "frozen_entries",
                "closing_statement",
                "closing_digest",
            ]
        )
        log_action(
            "tourdraw.round.closed",
            locked,
            actor=actor,
            data={
                "entries": locked.frozen_entries,
                "entries_digest": locked.frozen_digest,
                "closing_digest": locked.closing_digest,
            },
        )
        if closing is not None:
            public_log.append("closing", round_code=locked.code, body=closing, now=now)
    round.refresh_from_db()
    return round


def _each(transition: Callable[..., Round], due: QuerySet[Round], now: datetime) -> int:
    """Apply a transition to each due round; one another worker took first is
    refused by the service and not counted."""
    done = 0
    for round in due:
        try:
            transition(round, now=now)
        except RoundError as refused:
            # Taken by another worker, or refused by a rule an operator must settle
            # (a session too close to the draw): the others go on.
            logger.warning("round %s: %s (%s)", round.code, refused.code, refused)
            continue
        done += 1
    return done


def open_due_rounds(now: datetime) -> int:
    due = Round.objects.filter(state=Round.State.SCHEDULED, opens_at__lte=now, closes_at__gt=now)
    return _each(open_round, due, now)


def close_due_rounds(now: datetime) -> int:
    due = Round.objects.filter(state=Round.State.OPEN, closes_at__lte=now)
    return _each(close_round, due, now)


def time_to_confirm(round: Round) -> timedelta:
    """How long before its session a round's draw must be: the winners' full
    confirm window, then the time the waitlist has to fill what they let lapse
    (promotions stop ``TOURDRAW_PROMOTION_CUTOFF`` before the session)."""
    return round.confirm_window + settings.TOURDRAW_PROMOTION_CUTOFF


def expected_draw(round: Round, now: datetime) -> datetime:
    """The latest the draw can be expected: its planned time, the beacon round's
    (ten minutes after the planned close, fixed at open) or now if both are past."""
    return max(round.draws_at, round.closes_at + statements.BEACON_MARGIN, now)


def check_time_to_confirm(round: Round, slots: Iterable[Slot], now: datetime) -> None:
    """Refuse a round whose draw leaves its first session too little time: the
    winners would get less than the confirm window, or a place they let lapse
    could no longer go down the waitlist. Checked when a round is scheduled,
    when slots are added and again at close (a slot may have been moved)."""
    first = min(slots, key=lambda slot: slot.starts_at, default=None)
    if first is None:
        return
    draw_at = expected_draw(round, now)
    needed = time_to_confirm(round)
    if first.starts_at - draw_at >= needed:
        return
    site = round.tour.site
    raise RoundError(
        _(
            "%(slot)s starts at %(starts)s, too close to the draw at %(draw)s: winners need "
            "%(window)s to confirm and the waitlist %(cutoff)s after that, so the first "
            "session can start at %(earliest)s at the earliest. Move the draw earlier or "
            "offer later sessions."
        )
        % {
            "slot": first.label,
            "starts": _moment(first.starts_at, site.tzinfo),
            "draw": _moment(draw_at, site.tzinfo),
            "window": _hours(round.confirm_window),
            "cutoff": _hours(settings.TOURDRAW_PROMOTION_CUTOFF),
            "earliest": _moment(draw_at + needed, site.tzinfo),
        },
        code=Code.TOO_CLOSE_TO_SESSION,
        field="slots",
    )


def _moment(moment: datetime, zone: tzinfo) -> str:
    return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h") % {"hours": minutes // 60}


def create_round(
    tour: Tour,
    *,
    code: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    draws_at: datetime,
    slots: list[Slot],
    actor: Any,
    title_en: str = "",
    copy_of: Round | None = None,
) -> Round:
    """Schedule a round; ``copy_of`` carries over an earlier round's settings."""
    if not opens_at < closes_at <= draws_at:
        raise RoundError(
            _("Entries must open before they close, and the draw comes after closing."),
            code=Code.ROUND_TIMES,
            field="closes_at",
        )
    if Round.objects.filter(code=code).exists():
        raise RoundError(
            _("A round with this code exists."), code=Code.ROUND_CODE_TAKEN, field="code"
        )
    settings = {}
    if copy_of is not None:
        settings = {
            "confirm_window": copy_of.confirm_window,
            "priority": copy_of.priority,
            "repeat_weight_days": copy_of.repeat_weight_days,
            "repeat_weight_cap": copy_of.repeat_weight_cap,
        }
    with transaction.atomic():
        round = Round.objects.create(
            tour=tour,
            code=code,
            title=title,
            title_en=title_en,
            opens_at=opens_at,
            closes_at=closes_at,
            draws_at=draws_at,
            **settings,
        )
        add_slots(round, slots, actor=actor)
        log_action(
            "tourdraw.round.created",
            round,
            actor=actor,
            data={"copy_of": copy_of.code if copy_of else None, "slots": len(slots)},
        )
    return round


def add_slots(round: Round, slots: list[Slot], *, actor: Any) -> int:
    """Offer more slots in a round that has not closed (extra sessions for
    demand while entries are open); each is then in the draw."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state not in (Round.State.SCHEDULED, Round.State.OPEN):
            raise RoundError(
                _("Slots can be added only before the round closes."),
                code=Code.ROUND_CLOSED,
                field="slots",
            )
        for slot in slots:
            if slot.tour_id != locked.tour_id or slot.cancelled_at is not None:
                raise RoundError(
                    _("%(slot)s is not an open session of this tour.") % {"slot": slot.label},
                    code=Code.SLOT_NOT_OFFERABLE,
                    field="slots",
                )
            taken = RoundSlot.objects.filter(slot=slot).exclude(round=locked).first()
            if taken is not None:
                raise RoundError(
                    _("%(slot)s is already offered in round %(round)s.")
                    % {"slot": slot.label, "round": taken.round.code},
                    code=Code.SLOT_IN_ANOTHER_ROUND,
                    field="slots",
                )
        check_time_to_confirm(locked, slots, timezone.now())
        existing = set(locked.round_slots.values_list("slot_id", flat=True))
        new = [RoundSlot(round=locked, slot=slot) for slot in slots if slot.pk not in existing]
        RoundSlot.objects.bulk_create(new)
        if new:
            log_action(
                "tourdraw.round.slots_added",
                locked,
                actor=actor,
                data={"slots": [r.slot_id for r in new]},
            )
    return len(new)


def remove_slot(round: Round, slot: Slot, *, actor: Any) -> None:
    """Take a cancelled session out of a round that has not closed: it is not
    in the draw. Its entries' choices are dropped first (``entries.drop_choice``)."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state not in (Round.State.SCHEDULED, Round.State.OPEN):
            raise RoundError(
                _("Slots can be removed only before the round closes."),
                code=Code.ROUND_CLOSED,
                field="slots",
            )
        if RoundSlot.objects.filter(round=locked, slot=slot).delete()[0]:
            log_action("tourdraw.round.slot_removed", locked, actor=actor, data={"slot": slot.pk})


def sealing_round(slot_id: int) -> Round | None:
    """The closed or drawn round that offers the slot, if any: the slot's capacity
    and the places groups keep in it are then pinned by its closing statement.

    Inside a transaction the round's row is locked, so a close waits for the
    caller's change and its statement counts it, or the change sees it closed.
    """
    offering = Round.objects.filter(round_slots__slot_id=slot_id)
    if transaction.get_connection().in_atomic_block:
        offering = offering.select_for_update(of=("self",))
    round = offering.first()
    return round if round is not None and round.inputs_sealed else None


def check_slot_not_sealed(slot_id: int, *, field: str) -> None:
    """Refuse a change to what a slot gives the lottery once its round has closed."""
    round = sealing_round(slot_id)
    if round is not None:
        raise RoundError(
            _(
                "Round %(round)s has closed: the places in its sessions are sealed by its "
                "closing statement."
            )
            % {"round": round.code},
            code=Code.ROUND_SEALED,
            field=field,
        )
