from datetime import date
from typing import Any

from django.db import models

from tourdraw.people import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python code only ever sees the clear text.

    The token is randomised, so the column can be neither searched nor made
    unique: match on a keyed hash column beside it instead.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)


class EncryptedDateField(models.TextField):
    """A date stored as a Fernet token of its ISO form; Python sees a ``date``.

    A birth date in clear next to the tail of a resident ID number is most of
    the number: so the date is only ever read with the key, where a rule (age
    on the visit date) needs it. It can be neither compared nor sorted in SQL.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> date | None:
        if value is None or value == "":
            return None
        return date.fromisoformat(crypto.decrypt(value))

    def to_python(self, value: Any) -> date | None:
        if value is None or value == "" or isinstance(value, date):
            return value or None
        return date.fromisoformat(str(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, date):
            value = date.fromisoformat(str(value))
        return crypto.encrypt(value.isoformat())

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else value.isoformat()
