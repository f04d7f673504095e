import logging
import re

# Resident ID numbers (18 characters) and long digit runs that could be one.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")


class RedactIdNumbers(logging.Filter):
    """A last line of defence: code must never log an ID number, but if a
    message or an exception ever carries one, only the masked form is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _ID_LIKE.sub(r"\1********\2", message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
