"""Every text of the project reads in Simplified Chinese, from the compiled catalogue."""

import gettext
import re
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from django.core.management import call_command

CATALOGUE = Path(__file__).resolve().parents[1] / "src/tourdraw/locale/zh_Hans/LC_MESSAGES"
_STRING = r'"((?:[^"\\]|\\.)*)"'


class _Entry(NamedTuple):
    fuzzy: bool
    context: str
    msgid: str
    plural: bool
    msgstr: str


def _joined(block: str) -> str:
    return "".join(re.findall(_STRING, block))


def _entries(po: Path = CATALOGUE / "django.po") -> list[_Entry]:
    """Every entry of a catalogue but the header."""
    text = po.read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        if "msgid " not in block:
            continue
        parts = re.split(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) ", block, flags=re.M)
        fields: dict[str, str] = {}
        for keyword, value in zip(parts[1::2], parts[2::2], strict=True):
            fields[keyword] = fields.get(keyword, "") + _joined(value)
        if not fields.get("msgid"):
            continue  # the header
        entries.append(
            _Entry(
                fuzzy="#, fuzzy" in block,
                context=fields.get("msgctxt", ""),
                msgid=fields["msgid"],
                plural="msgid_plural" in fields,
                msgstr="".join(v for k, v in fields.items() if k.startswith("msgstr")),
            )
        )
    return entries


def test_every_text_is_translated_and_none_is_fuzzy() -> None:
    entries = _entries()
    assert len(entries) > 300
    assert [e.msgid for e in entries if not e.msgstr] == []
    assert [e.msgid for e in entries if e.fuzzy] == []


def test_the_compiled_catalogue_is_up_to_date() -> None:
    """A text translated after the last compilemessages would show in English."""
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for entry in _entries():
        if entry.plural or "\\" in entry.msgid or entry.msgstr == entry.msgid:
            continue
        found = (
            catalogue.pgettext(entry.context, entry.msgid)
            if entry.context
            else catalogue.gettext(entry.msgid)
        )
        if found != entry.msgstr:
            stale.append(entry.msgid)
    assert stale == []


def test_every_text_in_the_code_is_in_the_catalogue(tmp_path, monkeypatch) -> None:
    """makemessages, run on a copy of the code, finds no text the catalogue lacks."""
    if not shutil.which("xgettext"):
        pytest.skip("needs GNU gettext (apt-get install gettext)")
    copy = tmp_path / "tourdraw"
    shutil.copytree(CATALOGUE.parents[2], copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    fresh = {(e.context, e.msgid) for e in _entries(copy / "locale/zh_Hans/LC_MESSAGES/django.po")}
    known = {(e.context, e.msgid) for e in _entries()}
    assert sorted(fresh - known) == []


# The names makemessages has xgettext read: Django's keywords and xgettext's own.
_EXTRACTED = {
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def test_every_translation_function_goes_by_a_name_the_extractor_reads() -> None:
    """A text marked with an alias (``gettext_lazy as _lazy``) is never extracted,
    so it reaches Chinese readers in English and the catalogue test cannot see it."""
    source = CATALOGUE.parents[2]
    unread = []
    for path in sorted(source.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name, alias in re.findall(
            r"^from django\.utils\.translation import (\w+) as (\w+)$", text, flags=re.M
        ):
            if name not in _EXTRACTED or alias not in ("_", name):
                unread.append(f"{path.relative_to(source)}: {name} as {alias}")
    assert unread == []
