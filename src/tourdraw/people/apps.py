from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_cache_table(using: str, **kwargs: Any) -> None:
    # Sign-in and API rate limits, and the public demand counts, live in the
    # cache; its embedded default is a database table. Creating it with every
    # migrate leaves no separate deploy step to forget (the command does nothing
    # when the table exists or the cache is Redis).
    call_command("createcachetable", database=using, verbosity=0)


class PeopleConfig(AppConfig):
    name = "tourdraw.people"
    verbose_name = _("People")

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, sender=self)
        # The rate limits' cache check, which knows tourdraw's atomic backends.
        from tourdraw.cache import replace_rate_limit_check

        replace_rate_limit_check()
