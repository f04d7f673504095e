from typing import Any

from django.core.management.base import BaseCommand

from tourdraw.people import keyrotation


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored personal field under the first of TOURDRAW_DATA_KEYS; "
        "afterwards the older keys can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for column, count in keyrotation.rotate_all().items():
            self.stdout.write(f"{column}: {count} re-encrypted")
