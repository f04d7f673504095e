"""Every change made in /admin/ is in the audit log: who, what, before and after,
with personal data withheld; and a round's trail is exported with its public log."""

import json
from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms import MultiWidget

from tests import support
from tourdraw.admin_helpers import AuditedAdmin
from tourdraw.audit import changes
from tourdraw.audit.models import LogEntry
from tourdraw.catalog.models import Slot
from tourdraw.lottery.models import Round
from tourdraw.people.models import Person
from tourdraw.transparency import log
from tourdraw.transparency.models import LogRecord


def _form_data(client, url: str) -> dict[str, Any]:
    """What the admin's change form would post back unchanged."""
    context = client.get(url).context
    data: dict[str, Any] = {}
    for bound in context["adminform"].form:
        widget, value = bound.field.widget, bound.value()
        if isinstance(widget, MultiWidget):
            parts = widget.decompress(value)
            # Django sets widgets_names on every MultiWidget; django-stubs leaves it out.
            names: list[str] = widget.widgets_names  # type: ignore[attr-defined]  # see above
            for suffix, sub, part in zip(names, widget.widgets, parts or [], strict=True):
                data[bound.html_name + suffix] = sub.format_value(part) or ""
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list):
            data[bound.html_name] = [str(v) for v in value]
        elif value is not None:
            data[bound.html_name] = str(value)
    for formset in context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def test_every_registered_admin_is_audited() -> None:
    plain = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not isinstance(model_admin, AuditedAdmin)
    ]
    assert plain == []


def test_an_admin_edit_of_a_slot_capacity_is_logged_with_before_and_after(client, round, superuser):
    slot = round.slots.order_by("starts_at").first()
    support.sign_in_staff(client, superuser)
    url = f"/admin/catalog/slot/{slot.pk}/change/"
    data = _form_data(client, url)
    assert data["capacity"] == "60"
    response = client.post(url, {**data, "capacity": "40"})
    assert response.status_code == 302

    (entry,) = LogEntry.objects.filter(action="tourdraw.admin.changed", object_type="catalog.slot")
    assert entry.actor == superuser
    assert entry.object_id == str(slot.pk)
    assert entry.site_id == slot.tour.site_id
    assert entry.data["changes"] == {"capacity": {"before": 60, "after": 40}}
    assert Slot.objects.get(pk=slot.pk).capacity == 40


def test_an_admin_another_package_registers_is_audited_too(client, superuser):
    support.sign_in_staff(client, superuser)
    client.post("/admin/auth/group/add/", {"name": "auditors"})
    (entry,) = LogEntry.objects.filter(action="tourdraw.admin.added", object_type="auth.group")
    assert entry.data["changes"]["name"] == {"before": None, "after": "auditors"}


def test_a_slot_added_to_a_round_through_its_inline_is_logged(client, round, superuser):
    extra = support.make_slots(round.tour, support.timezone.localdate(), days=1)[0]
    support.sign_in_staff(client, superuser)
    url = f"/admin/lottery/round/{round.pk}/change/"
    data = _form_data(client, url)
    prefix = "round_slots"
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    existing = list(round.round_slots.order_by("pk"))
    for n, row in enumerate(existing):
        data.update(
            {
                f"{prefix}-{n}-id": row.pk,
                f"{prefix}-{n}-round": round.pk,
                f"{prefix}-{n}-slot": row.slot_id,
            }
        )
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": index + 1,
            f"{prefix}-{index}-slot": extra.pk,
            f"{prefix}-{index}-round": round.pk,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]

    (entry,) = LogEntry.objects.filter(
        action="tourdraw.admin.added", object_type="lottery.roundslot"
    )
    assert entry.data["changes"]["slot"] == {"before": None, "after": extra.pk}
    assert entry.actor == superuser


def test_saving_unchanged_logs_nothing(client, round, superuser):
    slot = round.slots.first()
    support.sign_in_staff(client, superuser)
    url = f"/admin/catalog/slot/{slot.pk}/change/"
    client.post(url, _form_data(client, url))
    assert not LogEntry.objects.filter(action__startswith="tourdraw.admin.").exists()


def test_personal_data_changed_in_the_admin_is_named_never_shown(client, visitor, superuser):
    support.sign_in_staff(client, superuser)
    url = f"/admin/people/user/{visitor.user.pk}/change/"
    data = _form_data(client, url)
    client.post(url, {**data, "first_name": "秘密名字", "email": "secret@example.com"})

    (entry,) = LogEntry.objects.filter(action="tourdraw.admin.changed", object_type="people.user")
    assert entry.data["changes"]["first_name"] == {"before": "(withheld)", "after": "(withheld)"}
    assert entry.data["changes"]["email"] == {"before": "(withheld)", "after": "(withheld)"}
    text = json.dumps(entry.data, ensure_ascii=False)
    assert "秘密名字" not in text and "secret@example.com" not in text
    assert str(visitor.phone).startswith("+") and str(visitor.phone) not in text


def test_a_password_set_in_the_admin_is_logged_without_it(client, superuser, call_centre_agent):
    support.sign_in_staff(client, superuser)
    response = client.post(
        f"/admin/people/user/{call_centre_agent.pk}/password/",
        {
            "password1": "Another-pass-987",
            "password2": "Another-pass-987",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    (entry,) = LogEntry.objects.filter(action="tourdraw.admin.changed", object_type="people.user")
    assert entry.actor == superuser and entry.object_id == str(call_centre_agent.pk)
    assert "password" in json.dumps(entry.data)
    call_centre_agent.refresh_from_db()
    assert call_centre_agent.password not in json.dumps(entry.data)
    assert "Another-pass-987" not in json.dumps(entry.data)


def test_an_admin_deletion_and_a_bulk_delete_keep_each_rows_values(client, db, superuser):
    tour = support.make_tour()
    slot = support.make_slots(tour, support.timezone.localdate(), days=1)[0]
    spare = [support.make_tour(code=f"spare-{n}", min_age=n + 10) for n in range(2)]
    support.sign_in_staff(client, superuser)
    client.post(f"/admin/catalog/slot/{slot.pk}/delete/", {"post": "yes"})
    client.post(
        "/admin/catalog/tour/",
        {"action": "delete_selected", "_selected_action": [t.pk for t in spare], "post": "yes"},
    )

    deleted = LogEntry.objects.filter(action="tourdraw.admin.deleted").order_by("pk")
    assert [(e.object_type, e.object_id) for e in deleted] == [
        ("catalog.slot", str(slot.pk)),
        *(("catalog.tour", str(t.pk)) for t in spare),
    ]
    assert all(e.actor == superuser for e in deleted)
    assert deleted[0].data["changes"]["capacity"] == {"before": 60, "after": None}
    assert [e.data["changes"]["min_age"]["before"] for e in deleted[1:]] == [10, 11]
    assert not Slot.objects.filter(pk=slot.pk).exists()


def test_an_admin_addition_is_logged_with_its_values(client, db, superuser):
    site = support.make_site()
    support.sign_in_staff(client, superuser)
    response = client.post(
        "/admin/catalog/tour/add/",
        {
            "site": site.pk,
            "code": "battery-line",
            "name": "电池车间",
            "duration_minutes": "90",
            "min_age": "8",
            "max_companions": "2",
            "max_choices": "3",
        },
    )
    assert response.status_code == 302
    (entry,) = LogEntry.objects.filter(action="tourdraw.admin.added", object_type="catalog.tour")
    assert entry.data["changes"]["code"] == {"before": None, "after": "battery-line"}
    assert entry.data["changes"]["min_age"] == {"before": None, "after": 8}


def test_a_rounds_audit_trail_is_exported_with_its_public_log(
    client, round, superuser, site_operator, other_site_operator
):
    slot = round.slots.order_by("starts_at").first()
    support.sign_in_staff(client, superuser)
    url = f"/admin/catalog/slot/{slot.pk}/change/"
    client.post(url, {**_form_data(client, url), "capacity": "40"})
    with transaction.atomic():
        log.append("release", round_code=round.code, body={"slot": slot.code}, now=slot.starts_at)
        log.append("opening", round_code="another-round", body={}, now=slot.starts_at)
    support.sign_in_staff(client, site_operator)

    response = client.get(f"/backoffice/rounds/{round.pk}/audit.json")
    exported = json.loads(b"".join(response.streaming_content))

    assert exported["round"] == round.code
    changed = [e for e in exported["audit"] if e["action"] == "tourdraw.admin.changed"]
    assert changed == [
        {
            "time": changed[0]["time"],
            "action": "tourdraw.admin.changed",
            "actor": "root",
            "object_type": "catalog.slot",
            "object_id": str(slot.pk),
            "data": {"via": "admin", "changes": {"capacity": {"before": 60, "after": 40}}},
        }
    ]
    ours = LogRecord.objects.filter(round_code=round.code).order_by("seq")
    assert exported["public_log"]["entries"] == [log.published(r) for r in ours]
    assert {e["round"] for e in exported["public_log"]["entries"]} == {round.code}
    assert "release" in [e["kind"] for e in exported["public_log"]["entries"]]
    support.sign_in_staff(client, other_site_operator)
    assert client.get(f"/backoffice/rounds/{round.pk}/audit.json").status_code == 404


def test_a_rounds_secret_and_an_id_number_never_enter_the_log_in_clear(round, visitor):
    before = changes.snapshot(round)
    round.secret = "the-draw-secret-before-the-draw"
    found = changes.changes(Round, before, changes.snapshot(round))
    assert found == {"secret": {"before": changes.WITHHELD, "after": changes.WITHHELD}}

    person = visitor.self_person
    before = changes.snapshot(person)
    person.id_number = support.resident_id(support.date(1990, 1, 1))
    person.full_name = "李四"
    found = changes.changes(Person, before, changes.snapshot(person))
    assert set(found) == {"id_number", "full_name"}
    assert person.id_number not in json.dumps(found) and "李四" not in json.dumps(found)
