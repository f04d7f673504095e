"""Member lists as organisers really have them: GBK and UTF-8 CSV, .xlsx, and
what is refused, then the page's preview before saving."""

import io
import zipfile
from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from tests.support import make_slots, make_tour, request_group, resident_id
from tourdraw.catalog.models import Slot
from tourdraw.groups import member_lists, services
from tourdraw.groups.models import GroupMember, GroupVisit

LI = resident_id(date(2005, 1, 1), sequence=1)
CHEN = resident_id(date(1980, 6, 1), sequence=2)


@pytest.fixture
def slot(db: None) -> Slot:
    return make_slots(make_tour(), timezone.localdate() + timedelta(days=12), capacity=60)[0]


@pytest.fixture
def group(slot: Slot) -> GroupVisit:
    return services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)


def _csv(*lines: str) -> str:
    return "\r\n".join(["full_name,id_type,id_number,birth_date", *lines]) + "\r\n"


def _xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _refusal(data: bytes) -> services.GroupError:
    with pytest.raises(services.GroupError) as error:
        services.read_member_list(data)
    return error.value


def test_a_list_saved_by_chinese_excel_in_gbk_keeps_its_names(group: GroupVisit) -> None:
    data = _csv(f"陈老师,cn_resident,{CHEN},", f"李明,cn_resident,{LI},").encode("gbk")
    services.save_member_list(group, services.read_member_list(data))
    assert list(group.members.values_list("full_name", flat=True)) == ["陈老师", "李明"]


def test_a_gb18030_name_outside_gbk_is_read(group: GroupVisit) -> None:
    # 㐀 (U+3400) is in GB18030 only: four bytes that GBK cannot hold.
    data = _csv(f"王㐀,cn_resident,{LI},").encode("gb18030")
    assert [row.values["full_name"] for row in services.read_member_list(data)] == ["王㐀"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no BOM", "BOM"])
def test_utf8_lists_are_read_with_or_without_a_bom(group: GroupVisit, bom: bytes) -> None:
    data = bom + _csv(f"陈老师,cn_resident,{CHEN},").encode("utf-8")
    rows = services.read_member_list(data)
    assert [(row.number, row.values["full_name"]) for row in rows] == [(2, "陈老师")]
    assert rows[0].values["id_number"] == CHEN


def test_bytes_neither_utf8_nor_gbk_are_refused_by_line(group: GroupVisit) -> None:
    data = _csv(f"陈老师,cn_resident,{CHEN},").encode("utf-8") + b"\xff\xfe\xff,x,y,\r\n"
    error = _refusal(data)
    assert error.code == "list_encoding"
    assert str(error.message).startswith("Line 3 has characters that are neither UTF-8 nor GBK")
    assert not group.members.exists()


def test_an_xlsx_workbook_is_read_with_its_dates_and_text_numbers(group: GroupVisit) -> None:
    data = _xlsx(
        [
            ["Full name", "ID type", "ID number", "Date of birth (YYYY-MM-DD)"],
            ["陈老师", "cn_resident", CHEN, None],
            [],
            ["Maria Rossi", "Passport", "YA1234567", date(1990, 5, 17)],
        ]
    )
    rows = services.read_member_list(data)
    assert [row.number for row in rows] == [2, 4]
    assert rows[1].values == {
        "full_name": "Maria Rossi",
        "id_type": "passport",
        "id_number": "YA1234567",
        "birth_date": "1990-05-17",
    }
    members = services.save_member_list(group, rows)
    assert [(m.full_name, m.id_type) for m in members] == [
        ("陈老师", "cn_resident"),
        ("Maria Rossi", "passport"),
    ]


def test_an_xlsx_headed_in_chinese_with_chinese_id_type_names_is_read(group: GroupVisit) -> None:
    with translation.override("zh-hans"):
        headers = [str(member_lists.COLUMN_LABELS[c]) for c in member_lists.COLUMNS]
    assert headers[0] == "姓名"
    rows = services.read_member_list(_xlsx([headers, ["李明", "居民身份证", LI, None]]))
    assert rows[0].values["id_type"] == "cn_resident"


def test_an_id_number_excel_stored_as_a_number_is_refused_on_its_row(group: GroupVisit) -> None:
    rows = services.read_member_list(
        _xlsx([member_lists.COLUMNS, ["李明", "cn_resident", int(LI[:17] + "0"), None]])
    )
    checked = services.check_member_list(group, rows)
    assert [p.code for p in checked.problems] == ["id_number_as_number"]
    assert checked.errors[0].startswith("Row 2 (李明): Excel stored this ID number as a number")


@pytest.mark.parametrize(
    ("data", "code", "says"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "list_format", "old Excel (.xls)"),
        (b"", "list_empty", "The file is empty."),
        (b"x" * (member_lists.MAX_BYTES + 1), "list_too_large", "larger than 512 KB"),
        (b"name,phone\n", "csv_columns", "The first line must name the columns"),
    ],
    ids=["xls", "empty", "too large", "other columns"],
)
def test_files_that_are_no_member_list_are_refused_with_what_to_do(
    db: None, data: bytes, code: str, says: str
) -> None:
    error = _refusal(data)
    assert (error.code, error.field) == (code, "members")
    assert says in str(error.message)


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def test_a_workbook_with_macros_and_a_zip_that_is_no_workbook_are_refused(db: None) -> None:
    macros = _refusal(_zip(["xl/workbook.xml", "xl/vbaProject.bin"]))
    assert macros.code == "list_macros" and "macros" in str(macros.message)
    document = _refusal(_zip(["word/document.xml"]))
    assert document.code == "list_format"
    assert str(document.message) == "This file is neither an .xlsx workbook nor a CSV file."


def test_a_list_longer_than_the_limit_is_refused(db: None) -> None:
    lines = [f"P{n},passport,E{n:08d},1990-01-01" for n in range(member_lists.MAX_ROWS + 1)]
    error = _refusal(_csv(*lines).encode())
    assert error.code == "list_too_long"


def test_an_unknown_id_type_is_answered_with_the_allowed_values(group: GroupVisit) -> None:
    rows = services.read_member_list(_csv(f"李明,身份证号,{LI},").encode())
    checked = services.check_member_list(group, rows)
    assert checked.problems[0].code == "id_type_unknown"
    assert checked.errors[0].startswith('Row 2 (李明): "身份证号" is not an ID type; use one of:')
    for value in ("cn_resident", "hk_mo_permit", "tw_permit", "passport"):
        assert value in checked.errors[0]


def test_the_templates_are_headed_in_the_pages_language_and_list_the_id_types(
    client: Client, group: GroupVisit
) -> None:
    csv_file = client.get(
        reverse("web:group_template", args=[group.code, "csv"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = csv_file.content.decode("utf-8")
    assert text.startswith("\ufeff姓名,证件类型,证件号码,出生日期（YYYY-MM-DD）\r\n")
    assert "# 证件类型: cn_resident = 居民身份证" in text
    xlsx = client.get(reverse("web:group_template", args=[group.code, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == [
        "Full name",
        "ID type",
        "ID number",
        "Date of birth (YYYY-MM-DD)",
    ]
    assert "passport = Passport" in str(sheet["A2"].value)
    # Filled in, the template is read back: its note line is no person.
    sheet.append(["李明", "cn_resident", LI, None])
    out = io.BytesIO()
    sheet.parent.save(out)
    assert [row.values["full_name"] for row in services.read_member_list(out.getvalue())] == [
        "李明"
    ]
    assert client.get(reverse("web:group_template", args=[group.code, "pdf"])).status_code == 404


def test_the_upload_page_lists_the_allowed_id_types(client: Client, group: GroupVisit) -> None:
    page = client.get(reverse("web:group", args=[group.code])).content.decode()
    for value in ("cn_resident", "hk_mo_permit", "tw_permit", "passport"):
        assert f"<code>{value}</code>" in page


class Preview(NamedTuple):
    page: str
    token: str | None


def _upload(client: Client, group: GroupVisit, data: bytes, name: str) -> Preview:
    response = client.post(
        reverse("web:group", args=[group.code]),
        {"members_file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 200
    return Preview(response.content.decode(), response.context.get("preview_token"))


def test_a_gbk_upload_is_previewed_then_saved_as_previewed(
    client: Client, group: GroupVisit
) -> None:
    data = _csv(f"陈老师,cn_resident,{CHEN},", f"李明,cn_resident,{LI},").encode("gbk")
    preview = _upload(client, group, data, "members.csv")
    assert "陈老师" in preview.page and "李明" in preview.page
    assert CHEN not in preview.page and CHEN[-2:] in preview.page  # masked
    assert "Save this list" in preview.page and preview.token
    assert not group.members.exists()
    saved = client.post(reverse("web:group", args=[group.code]), {"save": preview.token})
    assert saved.status_code == 302
    assert list(group.members.values_list("full_name", flat=True)) == ["陈老师", "李明"]
    # The preview is spent: saving it again is refused.
    again = client.post(reverse("web:group", args=[group.code]), {"save": preview.token})
    assert "This preview is no longer current" in again.content.decode()


def test_a_preview_shows_each_rows_problems_and_offers_no_save(
    client: Client, group: GroupVisit
) -> None:
    data = _xlsx(
        [member_lists.COLUMNS, ["陈老师", "cn_resident", CHEN, None], ["", "x", "1", None]]
    )
    preview = _upload(client, group, data, "members.xlsx")
    assert "Row 3 (?): Enter the full name as on the ID document." in preview.page
    assert "1 problem to fix" in preview.page and "Save this list" not in preview.page


def test_only_the_previewed_rows_are_saved_and_their_rules_are_checked_again(
    client: Client, group: GroupVisit, slot: Slot
) -> None:
    first = _upload(client, group, _csv(f"李明,cn_resident,{LI},").encode(), "a.csv")
    second = _upload(client, group, _csv(f"陈老师,cn_resident,{CHEN},").encode(), "b.csv")
    stale = client.post(reverse("web:group", args=[group.code]), {"save": first.token})
    assert "This preview is no longer current" in stale.content.decode()
    assert not group.members.exists()
    # Between the preview and the save, 陈老师 joins another group in the session.
    other = services.approve_visit(request_group(slot.tour.site, 2), slot=slot, actor=None)
    services.upload_members(other, _csv(f"陈老师,cn_resident,{CHEN},"))
    refused = client.post(reverse("web:group", args=[group.code]), {"save": second.token})
    assert "is already in another party" in refused.content.decode()
    assert not GroupMember.objects.filter(group=group).exists()


def test_checking_without_a_file_asks_for_one(client: Client, group: GroupVisit) -> None:
    page = client.post(reverse("web:group", args=[group.code])).content.decode()
    assert "Choose the member list&#x27;s file." in page
