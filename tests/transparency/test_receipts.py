"""Entry receipts: signed with the log key, handed out on the web and in the API,
and telling their holder when the entry the draw reads is not the one entered."""

from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection
from django.utils import timezone

from tests import support
from tourdraw.api.models import ApiToken
from tourdraw.lottery import draw, drawing, receipts, rounds, statements
from tourdraw.lottery.draw import canonical
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Entry, EntryChoice

API = "/api/v1"


def _check_signature(receipt: dict[str, Any], key: dict[str, str]) -> None:
    payload = {k: v for k, v in receipt.items() if k != "signature"}
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key"]))
    public.verify(bytes.fromhex(receipt["signature"]), canonical(payload))


def _as_drawn(receipt: dict[str, Any], entries: list[draw.Entry]) -> str:
    """What a receipt's holder finds in the entries the closing statement digests:
    "as entered", or what differs."""
    found = [e for e in entries if e["code"] == receipt["entry"]]
    if not found:
        return "missing"
    entry = found[0]
    for field in ("party", "tier", "weight"):
        if entry[field] != receipt[field]:
            return f"{field} differs"
    if statements.choices_digest(entry["choices"]) != receipt["choices_digest"]:
        return "choices differ"
    return "as entered"


def test_a_receipt_is_signed_with_the_published_key(client, round, visitor):
    slots = list(round.slots.order_by("starts_at"))
    entry = enter_round(round, visitor, choices=[slots[1].pk, slots[0].pk])
    receipt = receipts.receipt_for(entry)
    key = client.get("/.well-known/tourdraw-log-key.json").json()

    _check_signature(receipt, key)
    assert receipt["key"] == key["id"]
    assert receipt["format"] == statements.RECEIPT
    assert (receipt["round"], receipt["entry"], receipt["party"]) == (round.code, entry.code, 1)
    assert receipt["choices_digest"] == statements.choices_digest([slots[1].code, slots[0].code])
    forged = {**receipt, "party": 2}
    with pytest.raises(InvalidSignature):
        _check_signature(forged, key)


def test_a_dropped_entry_and_altered_choices_are_caught_by_their_receipts(
    round, visitor, other_visitor
):
    slots = list(round.slots.order_by("starts_at"))
    dropped = enter_round(round, visitor, choices=[slots[0].pk])
    altered = enter_round(round, other_visitor, choices=[slots[0].pk, slots[1].pk])
    kept = support.make_party_entry(round, 7, 2, [slots[1].pk])
    held = {e.code: receipts.receipt_for(e) for e in (dropped, altered, kept)}
    # The hostile operator, straight in the database: one entry gone, one
    # entry's choices swapped to favour the second slot.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM lottery_entrymember WHERE entry_id = %s", [dropped.pk])
        cursor.execute("DELETE FROM lottery_entrychoice WHERE entry_id = %s", [dropped.pk])
        cursor.execute("DELETE FROM lottery_entry WHERE id = %s", [dropped.pk])
    EntryChoice.objects.filter(entry=altered, rank=1).update(rank=3)
    EntryChoice.objects.filter(entry=altered, rank=2).update(rank=1)
    rounds.close_round(round, now=timezone.now())

    closed = drawing.draw_inputs(round).entries
    assert _as_drawn(held[dropped.code], closed) == "missing"
    assert _as_drawn(held[altered.code], closed) == "choices differ"
    assert _as_drawn(held[kept.code], closed) == "as entered"


def test_the_api_returns_a_receipt_for_each_entry_made_or_changed(client, round, visitor):
    _, key = ApiToken.issue(visitor.user, "app")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    slots = list(round.slots.order_by("starts_at"))
    made = client.post(
        f"{API}/rounds/{round.code}/entries",
        {"choices": [slots[0].pk]},
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201
    code = made.json()["code"]
    changed = client.put(
        f"{API}/me/entries/{code}",
        {"choices": [slots[1].pk, slots[0].pk]},
        content_type="application/json",
        **headers,
    )
    assert changed.status_code == 200
    public = client.get("/.well-known/tourdraw-log-key.json").json()
    first, second = made.json()["receipt"], changed.json()["receipt"]
    for receipt in (first, second):
        _check_signature(receipt, public)
        assert receipt["entry"] == code
    assert first["choices_digest"] == statements.choices_digest([slots[0].code])
    assert second["choices_digest"] == statements.choices_digest([slots[1].code, slots[0].code])
    entry = Entry.objects.get(code=code)
    assert second == receipts.receipt_for(entry)


def test_the_entry_page_offers_the_receipt_to_its_owner_only(client, round, visitor, other_visitor):
    entry = enter_round(round, visitor, choices=[round.slots.first().pk])
    url = f"/me/entries/{entry.code}/receipt.json"
    client.force_login(visitor.user)
    page = client.get(f"/me/entries/{entry.code}/")
    assert url in page.content.decode()
    download = client.get(url)
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert download.json() == receipts.receipt_for(entry)

    client.force_login(other_visitor.user)
    assert client.get(url).status_code == 404
