from django.core.management.base import CommandError
from django.utils import timezone

from tourdraw.backoffice.management.rounds import RoundCommand
from tourdraw.lottery.models import Round
from tourdraw.lottery.rounds import RoundError, close_round


class Command(RoundCommand):
    help = "Close an open round now, freezing its entries."

    def handle_round(self, round: Round) -> None:
        try:
            close_round(round, now=timezone.now())
        except RoundError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"Closed {round.code}: {round.frozen_entries} entries frozen")
