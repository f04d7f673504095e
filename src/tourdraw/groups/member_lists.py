"""Member lists as people really have them: a file in, rows out.

Organisers save their lists from whatever they use: Excel on a Chinese
Windows writes CSV in GBK, other tools write UTF-8 with or without a byte
order mark, and many send the workbook itself. This module reads all of these
into rows, numbered as the spreadsheet shows them (the header is row 1), and
refuses anything else with a message that says what to do. It checks only the
shape of the file; the member rules are ``groups.services``'s. Like
``people.documents`` it reads no database.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tourdraw.errors import Code, DomainError
from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES

COLUMNS = ["full_name", "id_type", "id_number", "birth_date"]
COLUMN_LABELS = {
    "full_name": gettext_lazy("Full name"),
    "id_type": gettext_lazy("ID type"),
    "id_number": gettext_lazy("ID number"),
    "birth_date": gettext_lazy("Date of birth (YYYY-MM-DD)"),
}
# The largest site takes groups of a few hundred; a list ten times longer is a
# mistake, and the limits keep one upload from tying up a worker.
MAX_BYTES = 512 * 1024
MAX_ROWS = 1000
# An .xlsx is a zip: what it unpacks to is bounded too, or a small file could
# expand into gigabytes.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
# A line starting with this is a note (the template's list of ID types), not a person.
NOTE = "#"

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and .doc: the old Office formats
_UTF8_BOM = b"\xef\xbb\xbf"
_LANGUAGES = ("en", "zh-hans")


class MemberListError(DomainError):
    """The file itself cannot be read; nothing in it is checked."""

    def __init__(self, message: Any, *, code: Code) -> None:
        super().__init__(message, code=code, field="members")


@dataclass(frozen=True)
class ListRow:
    """A person's line: its number as the spreadsheet shows it, its values by
    column, and what the reader already found wrong with a cell."""

    number: int
    values: Mapping[str, Any]
    # Codes of CELL_PROBLEMS.
    problems: tuple[Code, ...] = field(default=())


def read(data: bytes) -> list[ListRow]:
    """The rows of an uploaded member list: an .xlsx workbook or a CSV text file."""
    if not data.strip():
        raise MemberListError(_("The file is empty."), code=Code.LIST_EMPTY)
    if len(data) > MAX_BYTES:
        raise MemberListError(
            _("The file is larger than %(limit)d KB; split the group's list or remove pictures.")
            % {"limit": MAX_BYTES // 1024},
            code=Code.LIST_TOO_LARGE,
        )
    if data.startswith(_OLE2):
        raise MemberListError(
            _("This is an old Excel (.xls) file. Save it as .xlsx or as CSV and upload that."),
            code=Code.LIST_FORMAT,
        )
    if data.startswith(_ZIP):
        return _rows(_xlsx_lines(data))
    return read_text(decode(data))


def read_text(text: str) -> list[ListRow]:
    """The rows of a member list given as CSV text."""
    if not text.strip():
        raise MemberListError(_("Choose the member list's file."), code=Code.LIST_EMPTY)
    return _rows(_csv_lines(text.removeprefix("\ufeff")))


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, the superset of GBK that
    Chinese Excel saves in; bytes neither can read are refused by line."""
    if data.startswith(_UTF8_BOM):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _undecodable(data, error.start) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as gb_error:
            # The encoding that read further is the file's; its error is the real one.
            raise _undecodable(data, max(utf8_error.start, gb_error.start)) from None


def _undecodable(data: bytes, position: int) -> MemberListError:
    return MemberListError(
        _(
            "Line %(line)d has characters that are neither UTF-8 nor GBK. Save the list "
            'again as "CSV UTF-8" or as .xlsx.'
        )
        % {"line": data.count(b"\n", 0, position) + 1},
        code=Code.LIST_ENCODING,
    )


def _csv_lines(text: str) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise MemberListError(
            _("Line %(line)d cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": error},
            code=Code.LIST_CSV,
        ) from None


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    not_xlsx = MemberListError(
        _("This file is neither an .xlsx workbook nor a CSV file."), code=Code.LIST_FORMAT
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {info.filename: info.file_size for info in archive.infolist()}
    except zipfile.BadZipFile:
        raise not_xlsx from None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise MemberListError(
            _("This workbook contains macros. Save it as a plain .xlsx workbook or as CSV."),
            code=Code.LIST_MACROS,
        )
    if "xl/workbook.xml" not in names:
        raise not_xlsx
    if sum(names.values()) > MAX_UNPACKED_BYTES:
        raise MemberListError(
            _("The workbook is too large once unpacked; upload the list alone, as CSV."),
            code=Code.LIST_TOO_LARGE,
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(row)
                if number > MAX_ROWS + 1:
                    break
        finally:
            workbook.close()
    except MemberListError:
        raise
    except Exception:  # openpyxl raises anything from KeyError to XML errors on a broken file
        raise not_xlsx from None


def _rows(lines: Iterable[tuple[int, Sequence[Any]]]) -> list[ListRow]:
    iterator = iter(lines)
    columns = _header(iterator)
    rows: list[ListRow] = []
    for number, cells in iterator:
        texts = [_text(cell) for cell in cells]
        if not any(texts) or texts[0].startswith(NOTE):
            continue
        if len(rows) == MAX_ROWS:
            raise MemberListError(
                _("The list has more than %(limit)d persons.") % {"limit": MAX_ROWS},
                code=Code.LIST_TOO_LONG,
            )
        values = {column: (texts[i] if i < len(texts) else "") for i, column in enumerate(columns)}
        values["id_type"] = id_type_value(values.get("id_type", ""))
        problems = tuple(
            Code.ID_NUMBER_AS_NUMBER
            for i, column in enumerate(columns)
            if column == "id_number" and i < len(cells) and _lost_digits(cells[i])
        )
        rows.append(ListRow(number, values, problems))
    return rows


# What the reader sees wrong in a cell, by code: the column and the message.
CELL_PROBLEMS = {
    Code.ID_NUMBER_AS_NUMBER: (
        "id_number",
        gettext_lazy(
            "Excel stored this ID number as a number and lost its last digits. Format the "
            "column as Text and type the number again."
        ),
    ),
}


def _header(lines: Iterator[tuple[int, Sequence[Any]]]) -> list[str]:
    names = _column_names()
    for _number, cells in lines:
        texts = [_text(cell) for cell in cells]
        if not any(texts) or texts[0].startswith(NOTE):
            continue
        while not texts[-1]:
            texts.pop()
        columns = [names.get(text.casefold(), "") for text in texts]
        if all(columns) and sorted(columns) == sorted(COLUMNS):
            return columns
        break
    raise MemberListError(
        _("The first line must name the columns: %(columns)s (or download the template).")
        % {"columns": ", ".join(COLUMNS)},
        code=Code.CSV_COLUMNS,
    )


def _column_names() -> dict[str, str]:
    """Each column by its key and by its heading in every language of the site."""
    names = {column: column for column in COLUMNS}
    for language in _LANGUAGES:
        with translation.override(language):
            names.update({str(label).casefold(): key for key, label in COLUMN_LABELS.items()})
    return names


def id_type_value(text: str) -> str:
    """The stored ID type for what a list says: its value, or its name in any language."""
    wanted = text.strip().casefold()
    if not wanted:
        return ""
    for language in _LANGUAGES:
        with translation.override(language):
            for value, label in DOCUMENT_TYPE_CHOICES:
                if wanted in (value, str(label).casefold()):
                    return value
    return text.strip()


def allowed_id_types() -> list[tuple[str, str]]:
    """The ID type values a list may use, with their names in the active language."""
    return [(value, str(label)) for value, label in DOCUMENT_TYPE_CHOICES]


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split()) if isinstance(cell, str) else str(cell)


def _lost_digits(cell: Any) -> bool:
    # A spreadsheet number keeps 15 significant digits; an 18-digit ID number
    # typed into a number cell has already lost its last ones.
    return isinstance(cell, int | float) and not isinstance(cell, bool) and abs(cell) >= 10**15


def template_csv() -> bytes:
    """The list to fill in, as CSV with a BOM (so Excel opens it as UTF-8),
    headed in the active language."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for line in _template_lines():
        writer.writerow(line)
    return _UTF8_BOM + out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = _("Members")[:31]
    for line in _template_lines():
        sheet.append(line)
    # ID numbers stay text: as numbers Excel would round them to 15 digits.
    sheet.column_dimensions["C"].number_format = "@"
    for column, width in zip("ABCD", (20, 24, 24, 24), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _template_lines() -> list[list[str]]:
    allowed = "; ".join(f"{value} = {label}" for value, label in allowed_id_types())
    return [
        [str(COLUMN_LABELS[column]) for column in COLUMNS],
        [f"{NOTE} {_('ID type')}: {allowed}"],
    ]


def dump(rows: Sequence[ListRow]) -> str:
    """Rows as text to keep between the preview and the save (seal it: it holds ID numbers)."""
    return json.dumps(
        [
            [
                row.number,
                {k: _text(v) for k, v in row.values.items()},
                [p.name for p in row.problems],
            ]
            for row in rows
        ]
    )


def load(text: str) -> list[ListRow]:
    return [
        ListRow(number, values, tuple(Code[name] for name in problems))
        for number, values, problems in json.loads(text)
    ]
