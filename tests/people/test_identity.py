"""One account per ID document, the real-name check, and the call centre's way
to hand a squatted document back to its holder. Written as the squatter."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.lottery import eligibility
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Entry
from tourdraw.people import crypto
from tourdraw.people.documents import Document
from tourdraw.people.identity import IdentityError, RealNameResult
from tourdraw.people.models import IdentityClaim, User, Visitor
from tourdraw.people.services import save_profile
from tourdraw.visits import disputes, gate
from tourdraw.visits.models import NoShow, Offer
from tourdraw.visits.offers import confirm_offer

VICTIM_ID = support.resident_id(date(1992, 5, 20), sequence=777)


def _bare_visitor(phone: str) -> Visitor:
    """A visitor who signed in and consented, but has not saved a profile yet."""
    user = User.objects.create_user(username=f"visitor-{phone}")
    visitor = Visitor.objects.create(user=user, phone=phone)
    support.give_consent(visitor)
    return visitor


def _profile(visitor: Visitor, number: str = VICTIM_ID, name: str = "赵真名") -> None:
    save_profile(
        visitor,
        full_name=name,
        id_type="cn_resident",
        id_number=number,
        birth_date=None,
        today=timezone.localdate(),
    )


def test_a_second_account_cannot_claim_an_id_number_already_held(db):
    squatter = _bare_visitor("+8613900000011")
    _profile(squatter, name="随便写")
    victim = _bare_visitor("+8613900000012")
    with pytest.raises(IdentityError) as refused:
        _profile(victim)
    assert refused.value.code == "id_claimed" and refused.value.field == "id_number"
    assert "service centre" in str(refused.value)
    assert victim.self_person is None


def test_the_profile_page_refuses_a_held_number_and_says_how_to_dispute(client, db):
    _profile(_bare_visitor("+8613900000011"), name="随便写")
    victim = _bare_visitor("+8613900000012")
    client.force_login(victim.user)
    page = client.post(
        reverse("web:profile"),
        {"full_name": "赵真名", "id_type": "cn_resident", "id_number": VICTIM_ID},
    )
    assert page.status_code == 200
    assert "call the service centre" in page.content.decode()


def test_the_call_centre_moves_a_squatted_number_and_voids_the_squatters_entry(
    round, call_centre_agent
):
    squatter = _bare_visitor("+8613900000011")
    _profile(squatter, name="随便写")
    slot = round.slots.first()
    squatted = enter_round(round, squatter, choices=[slot.pk])
    victim = _bare_visitor("+8613900000012")
    settled = disputes.move_identity(
        id_type="cn_resident",
        id_number=VICTIM_ID.lower(),
        claimant=victim,
        agent=call_centre_agent,
        evidence="Card shown on video call; face matches.",
    )
    assert (settled.squatter, settled.entries_voided) == (squatter, 1)
    assert Entry.objects.get(pk=squatted.pk).state == Entry.State.WITHDRAWN
    assert (
        IdentityClaim.objects.get(visitor=victim).verified_by
        == f"call-centre:{call_centre_agent.pk}"
    )
    assert squatter.self_person is None
    _profile(victim)
    assert enter_round(round, victim, choices=[slot.pk]).visitor == victim
    with pytest.raises(IdentityError) as again:
        _profile(squatter, name="随便写")
    assert again.value.code == "id_claimed"


def test_a_squatters_no_show_ban_is_lifted_for_the_real_holder(call_centre_agent):
    _, slot, entries = support.drawn_round(4, [1], [])
    squatter = entries[0].visitor
    number = squatter.people.get(is_self=True).id_number
    digest = crypto.id_hash("cn_resident", number)
    confirm_offer(Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="web")
    assert gate.mark_no_shows(slot.ends_at + timedelta(minutes=1)) == 1
    site = slot.tour.site
    after = slot.ends_at + timedelta(days=1)
    assert eligibility.no_show_ban(site, digest, after) is not None  # the holder is barred
    victim = _bare_visitor("+8613900000012")
    with pytest.raises(IdentityError):
        _profile(victim, number=number)
    settled = disputes.move_identity(
        id_type="cn_resident",
        id_number=number,
        claimant=victim,
        agent=call_centre_agent,
        evidence="Holder came to the site office with the card.",
        now=after,
    )
    assert settled.bans_lifted == 1
    assert eligibility.no_show_ban(site, digest, after) is None
    assert NoShow.objects.count() == 1  # the record stays, the ban does not
    _profile(victim, number=number)


def test_a_dispute_needs_evidence_and_a_held_number(call_centre_agent, visitor):
    with pytest.raises(IdentityError) as no_evidence:
        disputes.move_identity(
            id_type="cn_resident",
            id_number=VICTIM_ID,
            claimant=visitor,
            agent=call_centre_agent,
            evidence=" ",
        )
    assert no_evidence.value.code == "evidence_required"
    with pytest.raises(IdentityError) as unheld:
        disputes.move_identity(
            id_type="cn_resident",
            id_number=VICTIM_ID,
            claimant=visitor,
            agent=call_centre_agent,
            evidence="x",
        )
    assert unheld.value.code == "id_not_claimed"


def test_the_dispute_page_is_for_the_call_centre_only(client, db, call_centre_agent, gate_staff):
    squatter = _bare_visitor("+8613900000011")
    _profile(squatter, name="随便写")
    victim = _bare_visitor("+8613900000012")
    form = {
        "phone": "13900000012",
        "id_type": "cn_resident",
        "id_number": VICTIM_ID,
        "evidence": "Card seen at the desk.",
    }
    url = reverse("backoffice:identity_dispute")
    support.sign_in_staff(client, gate_staff)
    assert client.post(url, form).status_code == 403
    client.force_login(squatter.user)
    assert client.post(url, form).status_code == 403
    assert (
        IdentityClaim.objects.get(id_hash=crypto.id_hash("cn_resident", VICTIM_ID)).visitor
        == squatter
    )
    support.sign_in_staff(client, call_centre_agent)
    done = client.post(url, {**form, "confirm": "yes"}, follow=True)
    assert "now belongs to" in done.content.decode()
    assert IdentityClaim.objects.get(visitor=victim)


@dataclass
class Register:
    """A real-name register that knows one person: stands where the provider's
    service stands, implementing the same check the setting names."""

    def check(self, *, full_name: str, document: Document, phone: str) -> RealNameResult:
        known = {VICTIM_ID: "赵真名"}
        if known.get(document.number) == full_name:
            return RealNameResult(verified=True, provider="register")
        return RealNameResult(verified=False, provider="register", reason="name and number differ")


def test_the_configured_real_name_check_refuses_a_number_under_another_name(db, settings):
    settings.TOURDRAW_REAL_NAME_CHECK = "tests.people.test_identity.Register"
    squatter = _bare_visitor("+8613900000011")
    with pytest.raises(IdentityError) as refused:
        _profile(squatter, name="随便写")
    assert refused.value.code == "real_name_refused"
    assert not IdentityClaim.objects.exists()
    holder = _bare_visitor("+8613900000012")
    _profile(holder)
    assert IdentityClaim.objects.get(visitor=holder).verified_by == "register"
