from django.core.management import call_command
from django.urls import reverse

from tourdraw.catalog.models import Site
from tourdraw.lottery.models import Entry, Round


def test_the_demo_command_sets_up_the_real_case(db, capsys):  # type: ignore[no-untyped-def]
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/" in out
    assert "user: operator  password:" in out
    assert set(Site.objects.values_list("code", flat=True)) == {
        "xiaomi-ev",
        "nio",
        "mengniu",
        "tsingtao",
    }
    xiaomi = Round.objects.filter(tour__site__code="xiaomi-ev")
    assert sorted(xiaomi.values_list("state", flat=True)) == ["closed", "open", "scheduled"]
    current = xiaomi.get(state="open")
    assert current.slots.count() == 14 * 3
    assert set(current.slots.values_list("capacity", flat=True)) == {60}
    assert current.entries.filter(state=Entry.State.ACTIVE).count() == 300


def test_the_demo_pages_serve(client, db):  # type: ignore[no-untyped-def]
    call_command("demo", "--no-serve")
    assert client.get(reverse("web:home")).status_code == 200
    for round in Round.objects.all():
        assert client.get(reverse("web:round", args=[round.code])).status_code == 200
