from django.utils.translation import get_language


class Translated:
    """Models with a Chinese field ``name`` and an English twin ``name_en``.

    Chinese is the primary text (every site writes it); English is shown to
    English readers where the operator has written it.
    """

    def tr(self, field: str) -> str:
        if (get_language() or "").startswith("en"):
            english = getattr(self, f"{field}_en", "")
            if english:
                return str(english)
        return str(getattr(self, field))
