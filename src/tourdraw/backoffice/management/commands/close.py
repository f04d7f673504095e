from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tourdraw.lottery.models import Round
from tourdraw.lottery.rounds import RoundError, close_round


class Command(BaseCommand):
    help = "Close an open round now, freezing its entries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("round", help="the round's code")

    def handle(self, *args: Any, round: str, **options: Any) -> None:
        found = Round.objects.filter(code=round).first()
        if found is None:
            raise CommandError(f"no round with code {round!r}")
        try:
            closed = close_round(found, now=timezone.now(), actor=None)
        except RoundError as error:
            raise CommandError(f"{error.code}: {error}") from None
        if not closed:
            raise CommandError(f"round {found.code} is {found.state}, not open")
        self.stdout.write(f"Closed {found.code}: {found.frozen_entries} entries frozen")
