from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tourdraw.lottery.drawing import DrawRefused, draw_round
from tourdraw.lottery.models import Round


class Command(BaseCommand):
    help = "Draw a closed round now (the worker does it at the round's draw time)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("round", help="the round's code")

    def handle(self, *args: Any, round: str, **options: Any) -> None:
        found = Round.objects.filter(code=round).first()
        if found is None:
            raise CommandError(f"no round with code {round!r}")
        try:
            result = draw_round(found, now=timezone.now())
        except DrawRefused as refused:
            raise CommandError(f"{refused.code}: {refused}") from None
        self.stdout.write(
            f"Drew {found.code}: {result.entries} entries, {result.placed_entries} placed, "
            f"seed {result.seed}"
        )
