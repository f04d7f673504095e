from django.core.management.base import CommandError
from django.utils import timezone

from tourdraw.backoffice.management.rounds import RoundCommand
from tourdraw.lottery.models import Round
from tourdraw.lottery.rounds import close_round


class Command(RoundCommand):
    help = "Close an open round now, freezing its entries."

    def handle_round(self, round: Round) -> None:
        if not close_round(round, now=timezone.now()):
            raise CommandError(f"round {round.code} is {round.state}, not open")
        self.stdout.write(f"Closed {round.code}: {round.frozen_entries} entries frozen")
