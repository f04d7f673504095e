"""The fast draw (``draw.py``) against the rule as the spec reads (``draw_rule.py``).

The platform draws with the fast path; every verifier runs the rule. They must
give the same record, byte for byte, on any round, and refuse the same broken
inputs with the same rule and message.
"""

import copy
import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lottery import v2chain
from tests.lottery.test_draw import rounds
from tests.lottery.test_draw_v2 import JSON, containers, get, leaves
from tourdraw.lottery import draw, draw_rule, statements

SPEC = Path(__file__).resolve().parents[2] / "docs" / "spec"
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

Outcome = tuple[str, ...]


def outcome(run: Callable[[], Mapping[str, Any]]) -> Outcome:
    """What a draw gives: its record's keys in order and canonical bytes, or the rule it
    names and its message."""
    try:
        record = run()
    except draw_rule.DrawInputError as error:
        return ("refused", error.rule, str(error))
    return ("record", ",".join(record), draw_rule.canonical(record).decode("ascii"))


def v1_inputs(round: dict[str, Any]) -> tuple[Any, ...]:
    return (round["round"], round["secret"], round["beacon"], round["slots"], round["entries"])


def both_v1(inputs: tuple[Any, ...]) -> tuple[Outcome, Outcome]:
    fast = outcome(lambda: draw.draw(*copy.deepcopy(inputs)))
    rule = outcome(lambda: draw_rule.draw(*copy.deepcopy(inputs)))
    return fast, rule


@functools.cache
def signed_beacon(number: int) -> draw_rule.Beacon:
    """The test chain's signed round: a BLS signature costs a second of pure Python."""
    return v2chain.beacon_for(v2chain.TEST_CHAIN, number)


def v2_inputs(round: dict[str, Any], options: statements.Options) -> tuple[Any, ...]:
    """The arguments of a draw_v2 of ``round``: its statements, the beacon, the inputs."""
    opening, closing = v2chain.statements_for(
        round["round"], round["secret"], round["slots"], round["entries"], options
    )
    slots: list[draw_rule.Slot] = [
        {"code": s["code"], "capacity": s["capacity"]} for s in round["slots"]
    ]
    beacon = signed_beacon(opening["beacon"]["round"])
    return (round["round"], round["secret"], opening, closing, beacon, slots, round["entries"])


def both_v2(inputs: tuple[Any, ...]) -> tuple[Outcome, Outcome]:
    fast = outcome(lambda: draw.draw_v2(*copy.deepcopy(inputs)))
    rule = outcome(lambda: draw_rule.draw_v2(*copy.deepcopy(inputs)))
    return fast, rule


def fairness_options(priority: str, days: int, cap: int) -> statements.Options:
    return {"priority": priority, "repeat_weight_days": days, "repeat_weight_cap": cap}


OPTIONS = st.builds(
    fairness_options,
    st.sampled_from(draw_rule.PRIORITIES),
    st.sampled_from([0, 0, 30, 365]),
    st.integers(1, 5),
)


@st.composite
def rounds_v2(draw_from: st.DrawFn) -> tuple[dict[str, Any], statements.Options]:
    """A round, places kept for groups beside each slot, and options its entries fit."""
    round = draw_from(rounds())
    options: statements.Options = draw_from(OPTIONS)
    round["slots"] = [dict(slot, reserved=draw_from(st.integers(0, 3))) for slot in round["slots"]]
    top_tier = 0 if options["priority"] == "none" else 1
    cap = 1 if options["repeat_weight_days"] == 0 else options["repeat_weight_cap"]
    for entry in round["entries"]:
        entry["tier"] = min(entry["tier"], top_tier)
        entry["weight"] = min(entry["weight"], cap)
    return round, options


# The spec's vectors


def rebuild(record: dict[str, Any], module: Any) -> Mapping[str, Any]:
    secret = bytes.fromhex(record["secret"])
    if record["format"] == draw_rule.FORMAT:
        inputs = (record["beacon"], record["slots"], record["entries"])
        rebuilt: Mapping[str, Any] = module.draw(record["round"], secret, *inputs)
        return rebuilt
    statements_and_inputs = (record["opening"], record["closing"], record["beacon"])
    rebuilt = module.draw_v2(
        record["round"], secret, *statements_and_inputs, record["slots"], record["entries"]
    )
    return rebuilt


@pytest.mark.parametrize("name", ["draw-vector-1.json", "draw-vector-2.json"])
@pytest.mark.parametrize("module", [draw, draw_rule], ids=["fast", "rule"])
def test_each_spec_vector_is_rebuilt_byte_for_byte_and_holds(name: str, module: Any) -> None:
    text = (SPEC / name).read_text("utf-8")
    vector = json.loads(text)
    rebuilt = rebuild(copy.deepcopy(vector), module)
    assert list(rebuilt) == list(vector)
    assert draw_rule.canonical(rebuilt) == draw_rule.canonical(vector)
    draw_rule.verify(json.loads(text))


def test_the_verifiers_run_the_rule() -> None:
    assert draw.verify is draw_rule.verify
    assert draw.verify_v2 is draw_rule.verify_v2


# Random rounds: the same record


@SLOW
@given(rounds())
def test_the_fast_v1_draw_gives_the_rules_record(round: dict[str, Any]) -> None:
    fast, rule = both_v1(v1_inputs(round))
    assert fast[0] == "record"
    assert fast == rule


@SLOW
@given(rounds_v2())
def test_the_fast_v2_draw_gives_the_rules_record(
    round_and_options: tuple[dict[str, Any], statements.Options],
) -> None:
    round, options = round_and_options
    fast, rule = both_v2(v2_inputs(round, options))
    assert fast[0] == "record"
    assert fast == rule
    draw_rule.verify(json.loads(fast[2]))


@SLOW
@given(rounds(), OPTIONS)
def test_entries_that_break_the_options_are_refused_alike(
    round: dict[str, Any], options: statements.Options
) -> None:
    round["slots"] = [dict(slot, reserved=0) for slot in round["slots"]]
    fast, rule = both_v2(v2_inputs(round, options))
    assert fast == rule


# Broken inputs: the same rule, the same message


def near_misses(value: object) -> list[object]:
    """Values just outside a rule, or of another type, in place of ``value``."""
    if isinstance(value, int):
        return [value - 1, value + 1, 0, -1, 100, 101, float(value), str(value), True, None]
    if isinstance(value, str):
        return [value + '"', value + "\\", value + "\n", value + "\u00e9", "", value.lower(), 7]
    return [[], {}, None, "S"]


def broken(inputs: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``inputs`` with one value replaced: a field of an entry, or anything anywhere."""
    changed = copy.deepcopy(inputs)
    # Uniform choices: sampled_from would favour the first items, the slots' codes.
    pick = data.draw(st.randoms(use_true_random=False)).choice
    if changed["entries"] and data.draw(st.booleans()):
        entry = pick(changed["entries"])
        field = pick([*entry, "a choice"])
        target, key = (entry["choices"], 0) if field == "a choice" else (entry, field)
        target[key] = data.draw(st.sampled_from(near_misses(target[key])))
        return changed
    path = pick([path for source in (leaves, containers) for path, _ in source(changed) if path])
    value = data.draw(st.sampled_from(near_misses(get(changed, path))) | JSON)
    get(changed, path[:-1])[path[-1]] = value
    return changed


@pytest.mark.parametrize("where", ["entries", "slots"])
def test_every_near_miss_in_the_vectors_inputs_is_refused_alike(where: str) -> None:
    vector = json.loads((SPEC / "draw-vector-1.json").read_text("utf-8"))
    inputs = (vector["round"], bytes(32), vector["beacon"])
    for i, item in enumerate(vector[where]):
        for field, original in item.items():
            for value in near_misses(original):
                changed = copy.deepcopy(vector[where])
                changed[i][field] = value
                slots, entries = (
                    (changed, vector["entries"]) if where == "slots" else (vector["slots"], changed)
                )
                fast, rule = both_v1((*inputs, slots, entries))
                assert fast == rule, (i, field, value)


@settings(SLOW, max_examples=300)
@given(rounds(min_entries=1), st.data())
def test_a_broken_v1_input_is_refused_alike(round: dict[str, Any], data: st.DataObject) -> None:
    changed = broken({"slots": round["slots"], "entries": round["entries"]}, data)
    fast, rule = both_v1(v1_inputs({**round, **changed}))
    assert fast == rule


@settings(SLOW, max_examples=300)
@given(rounds_v2(), st.data())
def test_a_broken_v2_input_is_refused_alike(
    round_and_options: tuple[dict[str, Any], statements.Options], data: st.DataObject
) -> None:
    round, options = round_and_options
    good = v2_inputs(round, options)
    changed = broken({"slots": good[5], "entries": good[6]}, data)
    fast, rule = both_v2((*good[:5], changed["slots"], changed["entries"]))
    assert fast == rule
