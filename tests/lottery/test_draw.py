"""The draw module against spec/draw.md: the published vector, verify's rules, properties."""

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tourdraw.lottery import draw
from tourdraw.lottery.draw import DrawInputError, RecordError, Waitlist

VECTOR = Path(__file__).resolve().parents[2] / "docs" / "spec" / "draw-vector-1.json"
MORNING, AFTERNOON = "2026-01-20T09:30", "2026-01-20T13:30"


@pytest.fixture
def vector() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(VECTOR.read_text("utf-8"))
    return record


def draw_again(record: dict[str, Any]) -> dict[str, Any]:
    return dict(
        draw.draw(
            record["round"],
            bytes.fromhex(record["secret"]),
            record["beacon"],
            record["slots"],
            record["entries"],
        )
    )


def broken_rule(record: object) -> str:
    with pytest.raises(RecordError) as raised:
        draw.verify(record)
    rule: str = raised.value.rule
    return rule


# The published vector


def test_it_reproduces_the_published_vector(vector: dict[str, Any]) -> None:
    record = draw_again(vector)
    assert record == vector
    assert list(record) == list(vector)
    assert draw.canonical(record) == draw.canonical(vector)


def test_the_published_vector_holds(vector: dict[str, Any]) -> None:
    draw.verify(vector)


def test_the_steps_give_the_vectors_commitment_digest_and_seed(vector: dict[str, Any]) -> None:
    secret = bytes.fromhex(vector["secret"])
    assert draw.commitment_for(secret) == vector["commitment"]
    assert draw.entries_digest(vector["entries"]) == vector["entries_digest"]
    assert draw.seed_for(secret, vector["entries_digest"], vector["beacon"]) == vector["seed"]


def test_the_vector_shows_what_the_spec_says_it_shows(vector: dict[str, Any]) -> None:
    placed = {p["entry"]: p["slot"] for p in vector["placements"]}
    # The tier-1 entry is drawn last and still fills a remainder with its party of one.
    assert vector["order"][-1] == "W6X7Y8Z9A2"
    assert placed["W6X7Y8Z9A2"] == AFTERNOON
    # A party of two finds its only slot full.
    assert "R9S2T3U4V5" not in placed
    # The weight-3 entry is drawn second.
    assert vector["order"][1] == "L4M5N6P7Q8"


# verify: every single-field change breaks a rule, and the right one


def flip(hex_text: str) -> str:
    return ("1" if hex_text[0] == "0" else "0") + hex_text[1:]


def entry(record: dict[str, Any], code: str) -> dict[str, Any]:
    return next(e for e in record["entries"] if e["code"] == code)


def set_in(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = record
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def swap(field: str, i: int, j: int) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        items = record[field]
        items[i], items[j] = items[j], items[i]

    return change


CHANGES: list[Any] = [
    pytest.param(set_in("format", "tourdraw-draw/3"), "format", id="format"),
    # A v1 record relabelled as v2 lacks the statements v2 records carry.
    pytest.param(set_in("format", "tourdraw-draw/2"), "keys", id="format-v2"),
    pytest.param(
        lambda r: r.update(commitment=flip(r["commitment"])), "commitment", id="commitment"
    ),
    pytest.param(lambda r: r.update(secret=flip(r["secret"])), "commitment", id="secret"),
    pytest.param(set_in("beacon", "drand-quicknet:round=1234568"), "seed", id="beacon"),
    pytest.param(set_in("beacon", ""), "seed", id="beacon-emptied"),
    pytest.param(
        lambda r: r.update(entries_digest=flip(r["entries_digest"])),
        "entries_digest",
        id="entries_digest",
    ),
    pytest.param(lambda r: r.update(seed=flip(r["seed"])), "seed", id="seed"),
    pytest.param(set_in("entries.0.party", 2), "entries_digest", id="entry-party"),
    pytest.param(set_in("entries.0.tier", 1), "entries_digest", id="entry-tier"),
    pytest.param(set_in("entries.3.weight", 1), "entries_digest", id="entry-weight"),
    pytest.param(
        set_in("entries.3.choices", [MORNING, AFTERNOON]), "entries_digest", id="entry-choices"
    ),
    pytest.param(set_in("slots.0.capacity", 3), "placements", id="slot-capacity"),
    pytest.param(set_in("slots.1.capacity", 2), "placements", id="slot-capacity-other"),
    pytest.param(swap("order", 0, 1), "order", id="order-swap"),
    pytest.param(swap("order", 4, 5), "order", id="order-swap-last"),
    pytest.param(swap("placements", 0, 1), "placements", id="placements-reordered"),
    pytest.param(set_in("placements.0.slot", AFTERNOON), "placements", id="placement-moved"),
    pytest.param(lambda r: r["placements"].pop(), "placements", id="placement-dropped"),
    pytest.param(
        lambda r: r["placements"].append({"entry": "R9S2T3U4V5", "slot": MORNING}),
        "placements",
        id="placement-added",
    ),
    pytest.param(lambda r: r.pop("seed"), "keys", id="key-missing"),
    pytest.param(set_in("signature", ""), "keys", id="key-extra"),
    pytest.param(set_in("round", 20260120), "round", id="round-not-text"),
    pytest.param(
        lambda r: r.update(commitment=r["commitment"].upper()), "commitment_hex", id="hex-upper"
    ),
    pytest.param(lambda r: r.update(secret=r["secret"][:-2]), "secret_hex", id="hex-short"),
    pytest.param(set_in("beacon", None), "beacon", id="beacon-not-text"),
    pytest.param(set_in("beacon", "\ud800"), "beacon", id="beacon-lone-surrogate"),
    pytest.param(swap("slots", 0, 1), "slots_sorted", id="slots-unsorted"),
    pytest.param(set_in("slots.1.code", MORNING), "slots_unique", id="slots-twice"),
    pytest.param(set_in("slots.0.room", "A"), "slot_keys", id="slot-extra-key"),
    pytest.param(set_in("slots.0.capacity", -1), "slot_capacity", id="slot-capacity-negative"),
    pytest.param(set_in("slots.0.capacity", True), "slot_capacity", id="slot-capacity-bool"),
    pytest.param(set_in("slots.0.code", 930), "slot_code", id="slot-code-number"),
    pytest.param(swap("entries", 0, 1), "entries_sorted", id="entries-unsorted"),
    pytest.param(set_in("entries.1.code", "A2B3C4D5E6"), "entries_unique", id="entries-twice"),
    pytest.param(set_in("entries.0.name", "Li"), "entry_keys", id="entry-extra-key"),
    pytest.param(lambda r: r["entries"][0].pop("tier"), "entry_keys", id="entry-key-missing"),
    pytest.param(set_in("entries.0.code", "Ä2B3C4D5E6"), "entry_code", id="entry-code-ascii"),
    pytest.param(set_in("entries.0.party", 0), "entry_party", id="entry-party-zero"),
    pytest.param(set_in("entries.0.party", "3"), "entry_party", id="entry-party-text"),
    pytest.param(set_in("entries.0.tier", -1), "entry_tier", id="entry-tier-negative"),
    pytest.param(set_in("entries.0.weight", 101), "entry_weight", id="entry-weight-101"),
    pytest.param(set_in("entries.0.weight", True), "entry_weight", id="entry-weight-bool"),
    pytest.param(set_in("entries.0.weight", 1.0), "entry_weight", id="entry-weight-float"),
    pytest.param(set_in("entries.0.choices", []), "entry_choices", id="entry-choices-empty"),
    pytest.param(
        set_in("entries.0.choices", [MORNING, MORNING]),
        "entry_choice_repeated",
        id="entry-choice-repeated",
    ),
    pytest.param(
        set_in("entries.0.choices", ["2026-01-21T09:30"]),
        "entry_choice_unknown",
        id="entry-choice-unknown",
    ),
]


@pytest.mark.parametrize(("change", "rule"), CHANGES)
def test_verify_names_the_rule_a_changed_record_breaks(
    vector: dict[str, Any], change: Callable[[dict[str, Any]], None], rule: str
) -> None:
    change(vector)
    assert broken_rule(vector) == rule


def test_verify_names_the_first_rule_when_several_are_broken(vector: dict[str, Any]) -> None:
    vector["seed"] = flip(vector["seed"])
    vector["commitment"] = flip(vector["commitment"])
    vector["order"].reverse()
    assert broken_rule(vector) == "commitment"
    vector["format"] = "tourdraw-draw/0"
    assert broken_rule(vector) == "format"


def test_verify_says_where_the_order_differs(vector: dict[str, Any]) -> None:
    vector["order"][1], vector["order"][2] = vector["order"][2], vector["order"][1]
    with pytest.raises(RecordError, match="at position 2: expected L4M5N6P7Q8, found A2B3C4D5E6"):
        draw.verify(vector)


def test_verify_says_which_entry_breaks_a_rule(vector: dict[str, Any]) -> None:
    entry(vector, "R9S2T3U4V5")["party"] = 0
    with pytest.raises(RecordError, match=r"entries\[4\] \(R9S2T3U4V5\): party"):
        draw.verify(vector)


def test_verify_refuses_what_is_not_a_record() -> None:
    assert broken_rule(["tourdraw-draw/1"]) == "record"


def test_a_changed_round_code_alone_still_verifies(vector: dict[str, Any]) -> None:
    # The spec binds the round code to nothing it derives: only the commitment,
    # published on the round's page before it opens, ties a record to its round.
    vector["round"] = "another-round"
    draw.verify(vector)


def test_a_capacity_change_that_moves_no_one_still_verifies(vector: dict[str, Any]) -> None:
    # Slots are not in the digest or the seed: their capacities are checked only
    # through the placements they lead to. With 5 places in the morning, the
    # party of two still does not fit the one place left.
    vector["slots"][0]["capacity"] = 5
    draw.verify(vector)


# draw's inputs


def test_draw_names_the_first_broken_input_rule(vector: dict[str, Any]) -> None:
    entries = list(reversed(vector["entries"]))
    with pytest.raises(DrawInputError) as raised:
        draw.draw("r", bytes(32), "", vector["slots"], entries)
    assert raised.value.rule == "entries_sorted"
    assert "R9S2T3U4V5" in str(raised.value)


class LooksLikeASlotCode:
    """Equal to a slot code and hashed like it, but no str: no JSON text has it."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __eq__(self, other: object) -> bool:
        return other == self.code

    def __hash__(self) -> int:
        return hash(self.code)


@pytest.mark.parametrize(
    "choice", [930, LooksLikeASlotCode(MORNING)], ids=["number", "equal-to-a-slot-code"]
)
def test_draw_wants_choices_that_are_slot_codes(vector: dict[str, Any], choice: object) -> None:
    entries = copy.deepcopy(vector["entries"])
    entries[2]["choices"] = [choice]
    with pytest.raises(DrawInputError) as raised:
        draw.draw("r", bytes(32), "", vector["slots"], entries)
    assert raised.value.rule == "entry_choices"
    assert "entries[2] (F7G8H9J2K3)" in str(raised.value)


@pytest.mark.parametrize(
    ("secret", "beacon", "rule"),
    [(bytes(31), "", "secret"), ("00" * 32, "", "secret"), (bytes(32), b"", "beacon")],
)
def test_draw_wants_a_32_byte_secret_and_a_text_beacon(
    vector: dict[str, Any], secret: Any, beacon: Any, rule: str
) -> None:
    with pytest.raises(DrawInputError) as raised:
        draw.draw("r", secret, beacon, vector["slots"], vector["entries"])
    assert raised.value.rule == rule


def test_prepare_sorts_and_keeps_exactly_the_spec_keys(vector: dict[str, Any]) -> None:
    slots = [dict(s, label="Morning tour") for s in reversed(vector["slots"])]
    entries = [
        dict(e, choices=tuple(e["choices"]), visitor_id=7) for e in reversed(vector["entries"])
    ]
    prepared_slots, prepared_entries = draw.prepare(slots, entries)
    assert prepared_slots == vector["slots"]
    assert prepared_entries == vector["entries"]
    record = draw.draw(
        vector["round"],
        bytes.fromhex(vector["secret"]),
        vector["beacon"],
        prepared_slots,
        prepared_entries,
    )
    assert dict(record) == vector


def test_an_empty_round_draws_and_verifies() -> None:
    record = draw.draw("empty", bytes(32), "", [], [])
    assert record["order"] == []
    assert record["placements"] == []
    draw.verify(dict(record))


# Properties of random rounds

PLAIN = st.text("23456789ABCDEFGHJKMNPQRSTUVWXYZ", min_size=1, max_size=10)
# Codes are ASCII: quotes, backslashes and control characters are allowed too, and
# the draw then takes its slower path through json.dumps.
ASCII = st.text(st.characters(codec="ascii"), min_size=1, max_size=6)


@st.composite
def rounds(draw_from: st.DrawFn, min_entries: int = 0) -> dict[str, Any]:
    codes = ASCII if draw_from(st.integers(0, 3)) == 3 else PLAIN
    slot_codes = sorted(draw_from(st.lists(codes, min_size=1, max_size=8, unique=True)))
    slots = [{"code": code, "capacity": draw_from(st.integers(0, 12))} for code in slot_codes]
    entry_codes = sorted(draw_from(st.lists(codes, min_size=min_entries, max_size=60, unique=True)))
    entries = [
        {
            "code": code,
            "party": draw_from(st.integers(1, 3)),
            "tier": draw_from(st.integers(0, 1)),
            "weight": draw_from(st.integers(1, 5)),
            "choices": draw_from(
                st.lists(st.sampled_from(slot_codes), min_size=1, max_size=3, unique=True)
            ),
        }
        for code in entry_codes
    ]
    return {
        "round": draw_from(st.text(max_size=12)),
        "secret": draw_from(st.binary(min_size=32, max_size=32)),
        "beacon": draw_from(st.text(max_size=40)),
        "slots": slots,
        "entries": entries,
    }


def run(round: dict[str, Any]) -> dict[str, Any]:
    return dict(
        draw.draw(
            round["round"], round["secret"], round["beacon"], round["slots"], round["entries"]
        )
    )


@given(rounds())
def test_capacity_is_never_exceeded(round: dict[str, Any]) -> None:
    record = run(round)
    party = {e["code"]: e["party"] for e in round["entries"]}
    for slot in round["slots"]:
        seated = sum(party[p["entry"]] for p in record["placements"] if p["slot"] == slot["code"])
        assert seated <= slot["capacity"]


@given(rounds())
def test_a_party_is_never_split_each_entry_sits_in_one_slot_at_most(round: dict[str, Any]) -> None:
    placed = [p["entry"] for p in run(round)["placements"]]
    assert len(placed) == len(set(placed))


@given(rounds())
def test_each_entry_takes_its_first_choice_with_room_at_its_turn_or_nothing(
    round: dict[str, Any],
) -> None:
    record = run(round)
    by_code = {e["code"]: e for e in round["entries"]}
    placed = {p["entry"]: p["slot"] for p in record["placements"]}
    remaining = {s["code"]: s["capacity"] for s in round["slots"]}
    made = []
    for code in record["order"]:
        entry = by_code[code]
        with_room = [c for c in entry["choices"] if remaining[c] >= entry["party"]]
        if code in placed:
            assert placed[code] == with_room[0]
            remaining[placed[code]] -= entry["party"]
            made.append({"entry": code, "slot": placed[code]})
        else:
            assert with_room == []
    assert made == record["placements"]


@given(rounds())
def test_the_order_lists_every_entry_once_lower_tiers_first(round: dict[str, Any]) -> None:
    record = run(round)
    assert sorted(record["order"]) == [e["code"] for e in round["entries"]]
    tier = {e["code"]: e["tier"] for e in round["entries"]}
    tiers = [tier[code] for code in record["order"]]
    assert tiers == sorted(tiers)


@given(rounds())
def test_the_same_inputs_give_the_same_record(round: dict[str, Any]) -> None:
    assert draw.canonical(run(round)) == draw.canonical(run(copy.deepcopy(round)))


@given(rounds(min_entries=20), st.binary(min_size=32, max_size=32), st.text(max_size=40))
def test_another_secret_or_beacon_gives_another_seed_and_order(
    round: dict[str, Any], other_secret: bytes, other_beacon: str
) -> None:
    assume(other_secret != round["secret"] and other_beacon != round["beacon"])
    record = run(round)
    # With 20 entries or more, two seeds give the same order with odds below 1e-13.
    for change in ({"secret": other_secret}, {"beacon": other_beacon}):
        other = run({**round, **change})
        assert other["seed"] != record["seed"]
        assert other["order"] != record["order"]


@given(rounds())
def test_every_drawn_record_verifies_also_after_a_json_round_trip(round: dict[str, Any]) -> None:
    record = run(round)
    draw.verify(record)
    published = json.loads(draw.canonical(record))
    assert published == record
    draw.verify(published)


@given(rounds(min_entries=1), st.data())
def test_a_changed_order_or_placement_never_verifies(round: dict[str, Any], data: Any) -> None:
    record = run(round)
    i = data.draw(st.integers(0, len(record["order"]) - 1))
    changed = copy.deepcopy(record)
    changed["order"].append(changed["order"].pop(i))
    assume(changed["order"] != record["order"])
    assert broken_rule(changed) == "order"
    if record["placements"]:
        changed = copy.deepcopy(record)
        changed["placements"].pop(data.draw(st.integers(0, len(record["placements"]) - 1)))
        assert broken_rule(changed) == "placements"


@given(st.lists(st.text(st.characters(codec="ascii"), max_size=8), max_size=8, unique=True))
def test_the_digest_matches_json_dumps_for_any_ascii_codes(codes: list[str]) -> None:
    slots: list[draw.Slot] = [{"code": "S", "capacity": 1}]
    entries: list[draw.Entry] = [
        {"code": code, "party": 1, "tier": 0, "weight": 1, "choices": ["S"]}
        for code in sorted(codes)
    ]
    record = draw.draw("r", bytes(32), "", slots, entries)
    text = json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert record["entries_digest"] == hashlib.sha256(text.encode("ascii")).hexdigest()


# Section 5: promotions from the waitlist


def test_a_party_too_big_is_skipped_and_a_smaller_later_one_takes_the_places() -> None:
    waitlist = Waitlist([("A", 3, ["S"]), ("B", 2, ["S"]), ("C", 1, ["S"])])
    assert waitlist.next_promotions("S", 2, set(), set()) == ["B"]
    assert waitlist.next_promotions("S", 1, set(), set()) == ["C"]
    assert waitlist.next_promotions("S", 3, set(), set()) == ["A"]


def test_promotions_go_on_while_places_remain() -> None:
    waitlist = Waitlist([("A", 1, ["S"]), ("B", 1, ["S"]), ("C", 2, ["S"]), ("D", 1, ["S"])])
    assert waitlist.next_promotions("S", 3, set(), set()) == ["A", "B", "D"]
    assert waitlist.next_promotions("S", 4, set(), set()) == ["A", "B", "C"]


def test_entries_placed_or_offered_before_are_passed_over() -> None:
    waitlist = Waitlist([("A", 1, ["S"]), ("B", 1, ["S"]), ("C", 1, ["S"])])
    assert waitlist.next_promotions("S", 1, {"A"}, {"A", "B"}) == ["C"]
    assert waitlist.next_promotions("S", 1, {"A"}, set()) == ["B"]


def test_entries_that_do_not_list_the_slot_are_passed_over() -> None:
    waitlist = Waitlist([("A", 1, ["T"]), ("B", 1, ["T", "S"]), ("C", 1, ["S"])])
    assert waitlist.next_promotions("S", 2, set(), set()) == ["B", "C"]
    assert waitlist.next_promotions("U", 2, set(), set()) == []


def test_no_free_place_promotes_no_one() -> None:
    waitlist = Waitlist([("A", 1, ["S"])])
    assert waitlist.next_promotions("S", 0, set(), set()) == []
