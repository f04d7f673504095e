"""``{% notices_for tour as notices %}``: the site's notices for a tour, in the
reader's language (catalog/notices.py decides which)."""

from django import template

from tourdraw.catalog import notices
from tourdraw.catalog.models import Tour

register = template.Library()


@register.simple_tag
def notices_for(tour: Tour | None) -> list[notices.Shown]:
    return notices.shown(tour) if tour is not None else []
