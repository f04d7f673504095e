"""Offers: places won, awaiting confirmation."""

from datetime import datetime

from django.conf import settings

from tourdraw.catalog.models import Slot
from tourdraw.lottery.models import Round


def offer_deadline(round: Round, slot: Slot, now: datetime) -> datetime:
    """The round's confirm window, but never later than the cut-off before the slot."""
    cutoff = slot.starts_at - settings.TOURDRAW_OFFER_CUTOFF
    return max(now, min(now + round.confirm_window, cutoff))
