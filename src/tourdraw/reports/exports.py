"""Every dashboard table as CSV, with a byte-order mark so spreadsheets read Chinese."""

import csv
import io
import re
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

# A spreadsheet reads a cell that starts with one of these as a formula (or,
# for tab and carriage return, strips them and then reads one); a code, a name
# or an audit note typed by anyone must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def cell(value: object) -> object:
    """``value`` as a spreadsheet will show it, never run it: numbers stay numbers,
    text that would start a formula gets a leading apostrophe."""
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def attachment_name(filename: str) -> str:
    """A file name safe in a header: a code with a line break or a quote in it
    must not break (or forge) the Content-Disposition header."""
    return _UNSAFE_IN_FILENAME.sub("_", filename)


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{attachment_name(filename)}"'
    return response
