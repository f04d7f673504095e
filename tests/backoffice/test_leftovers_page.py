"""The back office's round page: leftover places opened and claimed."""

from django.test import Client
from django.urls import reverse

from tests.support import drawn_round, make_staff, sign_in_staff
from tourdraw.audit.models import LogEntry
from tourdraw.visits.models import LeftoverOpening


def _open(client: Client, round, slot):
    url = reverse("backoffice:round_action", args=[round.pk])
    return client.post(url, {"action": "open_leftovers", "slot": str(slot.pk)}, follow=True)


def test_an_operator_opens_a_slots_leftovers_and_sees_them(client: Client, db: None) -> None:
    round, slot, _ = drawn_round(10, [2, 2, 2], [])
    operator = make_staff("op", "site_operator", round.tour.site)
    sign_in_staff(client, operator)
    page = client.get(reverse("backoffice:round", args=[round.pk])).content.decode()
    assert "Open leftover places" in page
    done = _open(client, round, slot).content.decode()
    assert "are open to claims" in done
    assert "Opened " in done and "0 parties, 0 persons" in done
    opening = LeftoverOpening.objects.get()
    assert opening.opened_by == operator
    assert LogEntry.objects.get(action="tourdraw.leftovers.opened").actor == operator


def test_an_operator_cannot_open_them_ahead_of_the_waitlist(client: Client, db: None) -> None:
    round, slot, _ = drawn_round(10, [2, 2, 2, 2], [2])
    sign_in_staff(client, make_staff("op", "site_operator", round.tour.site))
    done = _open(client, round, slot).content.decode()
    assert "could still be offered its places" in done
    assert not LeftoverOpening.objects.exists()


def test_another_sites_operator_cannot_open_them(client: Client, db: None) -> None:
    from tests.support import make_site

    round, slot, _ = drawn_round(10, [2, 2, 2], [])
    sign_in_staff(client, make_staff("op2", "site_operator", make_site("nio")))
    assert _open(client, round, slot).status_code == 404
    assert not LeftoverOpening.objects.exists()


def test_the_audit_log_tells_openings_and_claims_in_words() -> None:
    from django.utils.safestring import SafeString

    from tourdraw.backoffice.audit_words import sentence

    opened = sentence(
        "tourdraw.leftovers.opened",
        {"round": "r1", "slot": "s1", "free": 4, "reason": "waitlist_empty"},
        actor="op",
        obj=SafeString("s1"),
    )
    assert opened == "op opened the leftover places of session s1 (4 free)."
    claimed = sentence(
        "tourdraw.leftover.claimed",
        {"entry": "ABC", "slot": "s1", "persons": 2},
        actor="王",
        obj=SafeString("x"),
    )
    assert claimed == "王 claimed 2 leftover places in session s1 (entry ABC)."
