import logging
import re

from tourdraw.people.documents import mask

# Any run of 5 to 20 letters and digits holding at least five digits: every
# document type (resident IDs, Hong Kong/Macao and Taiwan permits, passports)
# and phone numbers (with or without +86) look like that; words, public entry
# codes and times mostly do not.
_NUMBER_LIKE = re.compile(
    r"(?<![0-9A-Za-z])(?=(?:[A-Za-z]*[0-9]){5})[0-9A-Za-z]{5,20}(?![0-9A-Za-z])"
)
# A ticket's link is what gets a party through the gate.
_TICKET_LINK = re.compile(r"(/tickets/)[^/\s?#\"'<>]+")


def redact(text: str) -> str:
    text = _TICKET_LINK.sub(r"\1******", text)
    return _NUMBER_LIKE.sub(lambda match: mask(match.group(0).upper()), text)


class RedactIdNumbers(logging.Filter):
    """A last line of defence: code must never log a document number, a phone
    number or a ticket link, but if a message or an exception ever carries one,
    only a mask is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
