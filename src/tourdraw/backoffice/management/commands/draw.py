from django.core.management.base import CommandError
from django.utils import timezone

from tourdraw.backoffice.management.rounds import RoundCommand
from tourdraw.lottery.drawing import DrawRefused, draw_round
from tourdraw.lottery.models import Round


class Command(RoundCommand):
    help = "Draw a closed round now (the worker does it at the round's draw time)."

    def handle_round(self, round: Round) -> None:
        try:
            result = draw_round(round, now=timezone.now())
        except DrawRefused as refused:
            raise CommandError(f"{refused.code}: {refused}") from None
        self.stdout.write(
            f"Drew {round.code}: {result.entries} entries, {result.placed_entries} placed, "
            f"seed {result.seed}"
        )
