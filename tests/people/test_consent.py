"""Notice and separate consent before any ID document is stored; a new notice asks again;
a child companion needs the entrant's guardian declaration."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support import resident_id
from tourdraw.audit.models import LogEntry
from tourdraw.lottery.entries import CompanionInput, EntryRejected, enter_round
from tourdraw.lottery.models import EntryMember
from tourdraw.people import consent
from tourdraw.people.models import Consent, Person, User, Visitor
from tourdraw.people.services import save_profile

ID = resident_id(date(1985, 3, 14), sequence=123)


@pytest.fixture
def newcomer(db) -> Visitor:
    user = User.objects.create_user("visitor-newcomer")
    return Visitor.objects.create(user=user, phone="+8613900000077")


def _save(visitor: Visitor) -> Person:
    return save_profile(
        visitor,
        full_name="王建国",
        id_type="cn_resident",
        id_number=ID,
        birth_date=None,
        today=timezone.localdate(),
    )


def test_no_id_document_is_stored_without_consent(newcomer):
    with pytest.raises(consent.ConsentError) as refused:
        _save(newcomer)
    assert refused.value.code == "consent_required"
    assert not Person.objects.exists()


def test_consent_is_recorded_with_its_version_and_time_and_each_part_is_required(newcomer):
    now = timezone.now()
    version = consent.current_version()
    for notice, sensitive, code in [
        (False, True, "notice_not_accepted"),
        (True, False, "sensitive_not_accepted"),
    ]:
        with pytest.raises(consent.ConsentError) as refused:
            consent.give(newcomer, version=version, notice=notice, sensitive=sensitive, now=now)
        assert refused.value.code == code
    consent.give(newcomer, version=version, notice=True, sensitive=True, now=now)
    rows = Consent.objects.filter(visitor=newcomer)
    assert {(c.kind, c.version, c.given_at) for c in rows} == {
        ("notice", version, now),
        ("sensitive_pi", version, now),
    }
    assert LogEntry.objects.filter(action__startswith="tourdraw.consent.").count() == 2
    assert _save(newcomer).id_number == ID


def test_a_new_notice_version_asks_again_before_another_document_is_stored(
    visitor, round, settings
):
    settings.TOURDRAW_PRIVACY_NOTICE_VERSION = "2099-01-01"
    assert not consent.is_current(visitor)
    companion = CompanionInput(
        full_name="陈静", id_type="cn_resident", id_number=resident_id(date(1990, 1, 1), sequence=9)
    )
    with pytest.raises(consent.ConsentError):
        enter_round(round, visitor, choices=[round.slots.first().pk], companions=[companion])
    with pytest.raises(consent.ConsentError) as stale:
        consent.give(visitor, version="2026-12-01", notice=True, sensitive=True, now=timezone.now())
    assert stale.value.code == "notice_changed"
    consent.give(visitor, version="2099-01-01", notice=True, sensitive=True, now=timezone.now())
    assert enter_round(round, visitor, choices=[round.slots.first().pk], companions=[companion])
    assert [c["version"] for c in consent.history(visitor)][-2:] == ["2099-01-01"] * 2


def test_the_profile_page_asks_for_the_notice_and_the_separate_consent(client, newcomer):
    client.force_login(newcomer.user)
    page = client.get(reverse("web:profile")).content.decode()
    assert reverse("web:privacy") in page and "consent-accept_sensitive" in page
    profile = {"full_name": "王建国", "id_type": "cn_resident", "id_number": ID}
    fields = {"consent-version": consent.current_version(), "consent-accept_notice": "on"}
    refused = client.post(reverse("web:profile"), {**profile, **fields})
    assert (
        refused.status_code == 200 and "sensitive personal information" in refused.content.decode()
    )
    assert not Person.objects.exists()
    accepted = client.post(
        reverse("web:profile"), {**profile, **fields, "consent-accept_sensitive": "on"}
    )
    assert accepted.status_code == 302 and consent.is_current(newcomer)
    assert "consent-accept_sensitive" not in client.get(reverse("web:profile")).content.decode()


def test_the_privacy_notice_names_the_periods_and_the_rights(client, db, settings):
    settings.TOURDRAW_RETENTION_DAYS = 45
    page = client.get(reverse("web:privacy")).content.decode()
    assert "45 days" in page and consent.current_version() in page
    assert "delete your account" in page and "Operators of a site" in page


def _child(visit: date, guardian: bool) -> CompanionInput:
    born = visit.replace(year=visit.year - 8)
    return CompanionInput(
        full_name="王小宝",
        id_type="cn_resident",
        id_number=resident_id(born, sequence=8),
        guardian=guardian,
    )


def test_a_child_under_14_needs_the_guardian_declaration_recorded_per_person(visitor, round):
    slot = round.slots.order_by("starts_at").first()
    with pytest.raises(EntryRejected) as refused:
        enter_round(round, visitor, choices=[slot.pk], companions=[_child(slot.visit_date, False)])
    assert refused.value.code == "guardian_required"
    assert refused.value.field == "companions.0.guardian"
    assert "under 14" in str(refused.value.message)

    teen = CompanionInput(
        full_name="王大宝",
        id_type="cn_resident",
        id_number=resident_id(slot.visit_date - timedelta(days=365 * 15 + 4), sequence=5),
    )
    entry = enter_round(
        round, visitor, choices=[slot.pk], companions=[_child(slot.visit_date, True), teen]
    )
    members = {m.person.full_name: m for m in EntryMember.objects.filter(entry=entry)}
    assert members["王小宝"].guardian_declared_at is not None
    assert members["王大宝"].guardian_declared_at is None
    assert members["王建国"].guardian_declared_at is None


def test_the_entry_page_shows_the_guardian_error_next_to_the_child(client, visitor, round):
    slot = round.slots.order_by("starts_at").first()
    child = _child(slot.visit_date, False)
    client.force_login(visitor.user)
    response = client.post(
        reverse("web:enter", args=[round.code]),
        {
            "choice_1": slot.pk,
            "companion_0_full_name": child.full_name,
            "companion_0_id_type": "cn_resident",
            "companion_0_id_number": child.id_number,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["companion_0_guardian"]
