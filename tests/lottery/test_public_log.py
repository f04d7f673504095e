"""The public log (draw.md §7), the release replay (§5.2) and receipts (§6), tried as a
forger holding the platform's key, or not, would try them."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lottery import v2chain
from tests.lottery.test_draw_v2 import JSON
from tourdraw.lottery import draw, public_log, statements
from tourdraw.lottery.public_log import LogError

VECTOR = Path(__file__).resolve().parents[2] / "docs" / "spec" / "draw-vector-2.json"
MORNING, AFTERNOON = "2026-01-20T09:30", "2026-01-20T13:30"
ROUND = "xiaomi-ev-2026-01-20"
PATH = f"/rounds/{ROUND}/draw.json"


@pytest.fixture
def record() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(VECTOR.read_text("utf-8"))
    return loaded


@pytest.fixture
def log(record: dict[str, Any]) -> v2chain.Log:
    """The vector's round logged, another round opened, and three releases after the draw.

    The draw filled both slots; the waitlist is R9S2T3U4V5 (2 persons, morning), then
    L4M5N6P7Q8 (2 persons, morning or afternoon).
    """
    log = v2chain.Log()
    other = v2chain.statements_for(
        "nio-2026-02-01",
        bytes(32),
        [],
        [],
        {"priority": "none", "repeat_weight_days": 0, "repeat_weight_cap": 3},
    )[0]
    log.append("opening", "nio-2026-02-01", other)
    v2chain.logged_round(log, record, PATH)
    # A2B3C4D5E6 declines its 3 morning places: R9S2T3U4V5's 2 fit, L4M5N6P7Q8's 2 no longer.
    v2chain.release(log, ROUND, MORNING, "A2B3C4D5E6", 3, [("R9S2T3U4V5", 2)])
    # After the morning's cut-off, a cancelled ticket promotes no one (L4M5N6P7Q8 would fit).
    v2chain.release(
        log, ROUND, MORNING, "C4D5E6F7G8", 2, [], reason="cancelled", waitlist_open=False
    )
    # B3C4D5E6F7's afternoon offer expires: L4M5N6P7Q8 lists the afternoon too.
    v2chain.release(log, ROUND, AFTERNOON, "B3C4D5E6F7", 3, [("L4M5N6P7Q8", 2)], reason="expired")
    return log


def failure(run: Any, *args: Any) -> LogError:
    with pytest.raises(LogError) as raised:
        run(*args)
    return raised.value


def check_all(document: dict[str, Any], record: dict[str, Any], key: bytes | None = None) -> None:
    rounds = public_log.check_log(document, key)
    public_log.check_round(rounds[record["round"]])
    public_log.check_record(rounds[record["round"]], record)


def test_the_logged_round_and_its_releases_hold(log: v2chain.Log, record: dict[str, Any]) -> None:
    check_all(log.document(), record, bytes.fromhex(log.public_key))
    rounds = public_log.check_log(log.document())
    assert list(rounds) == ["nio-2026-02-01", ROUND]
    assert rounds["nio-2026-02-01"].stage() == "opened"
    assert len(rounds[ROUND].releases) == 3


def test_one_byte_changed_in_any_entry_breaks_its_hash(log: v2chain.Log) -> None:
    for entry in log.entries:
        document = log.document()
        changed = document["entries"][entry["seq"] - 1]
        changed["time"] = changed["time"].replace("Z", "") + "Z"  # same
        changed["body"]["tampered"] = 1
        error = failure(public_log.check_log, document)
        assert (error.rule, error.seq) == ("log_hash", entry["seq"])


def test_a_forger_without_the_key_cannot_reseal(log: v2chain.Log, record: dict[str, Any]) -> None:
    honest_key = bytes.fromhex(log.public_key)
    log.entries[2]["body"]["closed_at"] = "2026-01-12T13:59:00Z"
    forger = v2chain.Log()
    log.private = forger.private
    log.reseal_from(3)
    document = log.document()
    # Resealed with the forger's key, the log is consistent with itself...
    error = failure(public_log.check_log, document, honest_key)
    assert error.rule == "log_key"
    # ...and with the honest key in its header, its signatures fail from the change on.
    document["key"]["public_key"] = honest_key.hex()
    error = failure(public_log.check_log, document)
    assert (error.rule, error.seq) == ("log_signature", 3)


def test_a_removed_or_reordered_entry_breaks_the_chain(log: v2chain.Log) -> None:
    document = log.document()
    del document["entries"][4]
    error = failure(public_log.check_log, document)
    assert (error.rule, error.seq) == ("log_seq", 5)
    document = log.document()
    document["entries"][5], document["entries"][6] = document["entries"][6], document["entries"][5]
    document["entries"][5]["seq"], document["entries"][6]["seq"] = 6, 7
    error = failure(public_log.check_log, document)
    assert (error.rule, error.seq) == ("log_prev", 6)


def test_a_closing_rewritten_by_the_key_holder_no_longer_matches_the_record(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    # The operator, holding the key, rewrites history: a later close in the log.
    log.entries[2]["body"]["closed_at"] = "2026-01-12T14:05:00Z"
    log.reseal_from(3)
    error = failure(check_all, log.document(), record)
    assert (error.rule, error.seq) == ("log_closing", 3)


def test_a_record_redrawn_with_another_closing_is_caught_by_the_log(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    # The same inputs under a closing statement that says the round closed a second
    # later: a record that holds by itself, with another seed and maybe other winners.
    closing = dict(record["closing"], closed_at="2026-01-12T14:00:03Z")
    redrawn = draw.draw_v2(
        record["round"],
        bytes.fromhex(record["secret"]),
        record["opening"],
        closing,
        record["beacon"],
        record["slots"],
        record["entries"],
    )
    draw.verify(dict(redrawn))
    error = failure(check_all, log.document(), dict(redrawn))
    assert (error.rule, error.seq) == ("log_closing", 3)


def test_the_draw_entry_pins_the_record(log: v2chain.Log, record: dict[str, Any]) -> None:
    log.entries[4]["body"]["record_digest"] = "0" * 64
    log.reseal_from(5)
    error = failure(check_all, log.document(), record)
    assert (error.rule, error.seq) == ("record_digest", 5)


def test_a_beacon_logged_for_another_round_or_with_a_bad_signature_fails(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    original = copy.deepcopy(log.entries)
    log.entries[3]["body"]["round"] += 1
    log.reseal_from(4)
    error = failure(check_all, log.document(), record)
    assert (error.rule, error.seq) == ("log_beacon", 4)
    log.entries = copy.deepcopy(original)
    signature = v2chain.beacon_for(v2chain.TEST_CHAIN, 7)["signature"]
    log.entries[3]["body"]["signature"] = signature
    log.reseal_from(4)
    error = failure(public_log.check_round, public_log.check_log(log.document())[ROUND])
    assert (error.rule, error.seq) == ("beacon_signature", 4)


def test_entries_out_of_order_or_twice_fail(log: v2chain.Log) -> None:
    log.entries.insert(1, copy.deepcopy(log.entries[2]))  # the closing before the opening
    for seq, entry in enumerate(log.entries, start=1):
        entry["seq"] = seq
    log.reseal_from(1)
    error = failure(public_log.check_log, log.document())
    assert (error.rule, error.seq) == ("log_order", 2)
    log.entries[1]["kind"] = "opening"
    log.entries[1]["body"] = log.entries[2]["body"]
    log.entries[1], log.entries[2] = log.entries[2], log.entries[1]
    for seq, entry in enumerate(log.entries, start=1):
        entry["seq"] = seq
    log.reseal_from(1)
    error = failure(public_log.check_log, log.document())
    assert (error.rule, error.seq) == ("log_duplicate", 3)


# Section 5.2: releases replayed


@pytest.mark.parametrize(
    ("seq", "change", "rule"),
    [
        # The next promotion goes to someone later in the order than section 5 says.
        (6, {"promotions": [{"entry": "L4M5N6P7Q8", "persons": 2}]}, "promotions"),
        # One promotion too many: both waitlisted parties into 3 freed places.
        (
            6,
            {
                "promotions": [
                    {"entry": "R9S2T3U4V5", "persons": 2},
                    {"entry": "L4M5N6P7Q8", "persons": 2},
                ]
            },
            "promotions",
        ),
        # A promotion after the cut-off.
        (7, {"promotions": [{"entry": "L4M5N6P7Q8", "persons": 2}]}, "promotions"),
        # The waitlist said open after the cut-off, and nobody promoted.
        (7, {"waitlist_open": True}, "promotions"),
        # Places freed by an entry that holds none there.
        (6, {"entry": "R9S2T3U4V5"}, "release_holder"),
        (6, {"slot": AFTERNOON}, "release_holder"),
        (6, {"persons": 2}, "release_persons"),
        # A waitlist said closed so as to skip a promotion due.
        (6, {"waitlist_open": False}, "promotions"),
    ],
)
def test_a_release_that_section_5_does_not_replay_fails(
    log: v2chain.Log, record: dict[str, Any], seq: int, change: dict[str, Any], rule: str
) -> None:
    log.entries[seq - 1]["body"].update(change)
    log.reseal_from(seq)
    error = failure(check_all, log.document(), record)
    assert (error.rule, error.seq, error.round) == (rule, seq, ROUND)


def test_a_release_before_the_draw_is_out_of_order(log: v2chain.Log) -> None:
    release = copy.deepcopy(log.entries[5])
    log.entries.insert(3, release)
    for seq, entry in enumerate(log.entries, start=1):
        entry["seq"] = seq
    log.reseal_from(1)
    error = failure(public_log.check_log, log.document())
    assert (error.rule, error.seq) == ("log_order", 4)


def test_a_promoted_entry_that_declines_frees_its_places_again(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    # R9S2T3U4V5 was promoted at seq 6; it declines: nobody is left on the waitlist.
    v2chain.release(log, ROUND, MORNING, "R9S2T3U4V5", 2, [])
    check_all(log.document(), record)
    # A released entry is not offered again.
    v2chain.release(log, ROUND, MORNING, "H8J9K2M3N4", 1, [("A2B3C4D5E6", 3)])
    error = failure(check_all, log.document(), record)
    assert (error.rule, error.seq) == ("promotions", 10)


# Receipts (§6)


def key_of(log: v2chain.Log) -> bytes:
    return bytes.fromhex(log.public_key)


def test_a_receipt_for_an_entry_in_the_record_as_entered_holds(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    entry = record["entries"][2]
    found = public_log.check_receipt(log.receipt(ROUND, entry), record, key_of(log))
    assert found == entry


def test_a_dropped_entry_is_caught_by_its_receipt(log: v2chain.Log, record: dict[str, Any]) -> None:
    dropped: draw.Entry = {
        "code": "Z2Z3Z4Z5Z6",
        "party": 2,
        "tier": 0,
        "weight": 1,
        "choices": [MORNING],
    }
    error = failure(public_log.check_receipt, log.receipt(ROUND, dropped), record, key_of(log))
    assert error.rule == "dropped"
    assert "Z2Z3Z4Z5Z6" in str(error)


def test_an_entry_changed_after_close_is_caught_by_its_receipt(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    entry = record["entries"][2]
    as_entered = dict(entry, choices=[MORNING])  # the entrant chose the morning only
    error = failure(public_log.check_receipt, log.receipt(ROUND, as_entered), record, key_of(log))
    assert error.rule == "altered" and "choices_digest" in str(error)
    error = failure(
        public_log.check_receipt, log.receipt(ROUND, dict(entry, party=1)), record, key_of(log)
    )
    assert error.rule == "altered" and "party" in str(error)


def test_a_receipt_not_signed_by_the_platform_proves_nothing(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    receipt = log.receipt(ROUND, record["entries"][0])
    receipt["party"] = 1
    error = failure(public_log.check_receipt, receipt, record, key_of(log))
    assert error.rule == "receipt_signature"
    other = v2chain.Log()
    error = failure(
        public_log.check_receipt, other.receipt(ROUND, record["entries"][0]), record, key_of(log)
    )
    assert error.rule == "receipt_signature"
    assert statements.RECEIPT == public_log.RECEIPT_FORMAT


@pytest.mark.parametrize("value", [["A2B3C4D5E6"], {"code": "A2B3C4D5E6"}, None, 7])
def test_a_release_of_something_not_an_entry_code_fails_cleanly(
    log: v2chain.Log, record: dict[str, Any], value: Any
) -> None:
    log.entries[5]["body"]["entry"] = value
    log.reseal_from(6)
    error = failure(check_all, log.document(), record)
    assert (error.rule, error.seq) == ("release_holder", 6)


def test_every_single_field_change_to_the_log_resigned_by_the_key_holder_fails(
    log: v2chain.Log, record: dict[str, Any]
) -> None:
    """Changed and re-signed with the platform's own key, so that hashes and signatures
    hold: what is left to catch each change is the rules on what the entries say."""
    from tests.lottery.test_draw_v2 import get, leaves, other_values

    # What no rule ties to the record: when an entry was appended, why places were
    # freed, where the record is served (audit downloads it from there), and the round
    # that is only opened. The log's copies keep them honest (check_extends).
    free = ("time", "reason", "record")
    tried = 0
    for seq, entry in enumerate(log.entries, start=1):
        if entry["round"] != ROUND:
            continue
        for path, value in leaves({key: entry[key] for key in ("seq", "kind", "round", "body")}):
            if path[0] == "time" or path[-1] in free:
                continue
            for other in other_values(value):
                changed = copy.deepcopy(log)
                get(changed.entries[seq - 1], path[:-1])[path[-1]] = other
                if draw.canonical(changed.entries[seq - 1]) == draw.canonical(entry):
                    continue
                changed.reseal_from(seq)
                with pytest.raises(LogError):
                    rounds = public_log.check_log(changed.document())
                    public_log.check_record(rounds[ROUND], record)
                    pytest.fail(f"seq {seq} {path} = {other!r} still holds")
                tried += 1
    assert tried > 300


def _log_paths() -> list[tuple[int, tuple[Any, ...]]]:
    from tests.lottery.test_draw_v2 import containers, leaves

    record: dict[str, Any] = json.loads(VECTOR.read_text("utf-8"))
    log = _vector_log_for_fuzz(record)
    return [
        (seq, path)
        for seq, entry in enumerate(log.entries, start=1)
        for source in (leaves, containers)
        for path, _ in source(entry)
        if path and path[0] not in ("hash", "signature", "prev")
    ]


def _vector_log_for_fuzz(record: dict[str, Any]) -> v2chain.Log:
    log = v2chain.Log()
    v2chain.logged_round(log, record, PATH)
    v2chain.release(log, ROUND, MORNING, "A2B3C4D5E6", 3, [("R9S2T3U4V5", 2)])
    return log


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(_log_paths()), JSON)
def test_any_json_anywhere_in_a_resigned_log_is_a_broken_rule_never_a_crash(
    where: tuple[int, tuple[Any, ...]], value: Any
) -> None:
    from tests.lottery.test_draw_v2 import get

    seq, path = where
    record: dict[str, Any] = json.loads(VECTOR.read_text("utf-8"))
    log = _vector_log_for_fuzz(record)
    get(log.entries[seq - 1], path[:-1])[path[-1]] = value
    log.reseal_from(seq)
    try:
        rounds = public_log.check_log(log.document())
        for round_log in rounds.values():
            public_log.check_round(round_log, check_signature=False)
        public_log.check_record(rounds[ROUND], record)
    except LogError:
        pass
