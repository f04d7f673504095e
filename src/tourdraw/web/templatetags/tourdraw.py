from django import template

from tourdraw.translated import Translated

register = template.Library()


@register.filter
def tr(obj: Translated, field: str) -> str:
    """``{{ site|tr:"name" }}``: the field in the reader's language."""
    return obj.tr(field)
