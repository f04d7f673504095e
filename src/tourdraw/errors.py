"""The one shape of failure every service raises.

A domain error carries a machine-readable ``code`` (stable, used by the API and
tests), a human ``message`` (translatable) and the ``field`` it is about, so a
page can put the message next to the right input and the API can return
``{"code", "message", "field"}`` unchanged.
"""

from typing import Any


class DomainError(Exception):
    def __init__(self, message: Any, *, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self.message), "field": self.field}
