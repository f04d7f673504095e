from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tourdraw.errors import DomainError
from tourdraw.lottery.models import Round


class RoundCommand(BaseCommand):
    """A command that acts on one round, named by its code."""

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("round", help="the round's code")

    def handle(self, *args: Any, round: str, **options: Any) -> None:
        found = Round.objects.filter(code=round).first()
        if found is None:
            raise CommandError(f"no round with code {round!r}")
        try:
            self.handle_round(found)
        except DomainError as refused:
            raise CommandError(f"{refused.code}: {refused}") from refused

    def handle_round(self, round: Round) -> None:
        raise NotImplementedError
