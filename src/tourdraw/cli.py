"""The ``tourdraw`` command: Django's management commands, plus ``verify`` and ``audit``.

``tourdraw verify FILE`` checks a published draw record with nothing but the
record itself: no settings, no database. Anyone can run it. With ``--log`` it
also checks the record against the platform's public log, with ``--receipt``
that an entrant's entry is in it as entered. ``tourdraw audit URL`` downloads a
site's public log and every record it names, and checks them all.
``tourdraw demo`` is the one command that runs without keys in the
environment: it uses this install's own, made on its first run in var/.
"""

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

LOG_PATH = "/transparency/log.json"
KEY_PATH = "/.well-known/tourdraw-log-key.json"


class Failed(Exception):
    """A check failed: the message says what broke; exit 1."""


class Unreadable(Exception):
    """An input could not be read at all; exit 2."""


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
        return json.loads(text)
    except (OSError, ValueError) as error:
        raise Unreadable(f"cannot read {path}: {error}") from None


def _beacon_line(record: dict[str, Any]) -> str:
    """Which beacon the record used, and a warning when it is not drand's quicknet."""
    from tourdraw.lottery import drand

    chain = record["beacon"]["chain"]
    line = (
        f"beacon: drand chain {chain['name']} ({chain['hash']}), round {record['beacon']['round']}"
    )
    if chain != drand.QUICKNET.as_json():
        line += (
            "\nwarning: this chain is not drand's quicknet: its randomness is only as "
            "public as that chain is (a local test chain proves nothing about fairness)"
        )
    return line


def _check_record(args: argparse.Namespace) -> dict[str, Any]:
    # The rule as the spec reads, not the platform's fast path: a verifier stands apart.
    from tourdraw.lottery import draw_rule

    record = _read_json(str(args.file))
    try:
        draw_rule.verify(record)
    except draw_rule.RecordError as error:
        raise Failed(f"record does not hold: {error.rule}: {error}") from None
    # The record alone cannot tell which round it is for: only the commitment,
    # published before the round opened, ties it to that round.
    for field, expected in (("round", args.round), ("commitment", args.commitment)):
        if expected is not None and record[field] != expected:
            raise Failed(f"record holds, but is not the one expected: {field} is {record[field]}")
    print(
        f"record holds: round {record['round']}, {len(record['entries'])} entries, "
        f"{len(record['placements'])} placed ({record['format']})"
    )
    if record["format"] != draw_rule.FORMAT:
        print(_beacon_line(record))
    return record


def _failure(error: Any) -> str:
    where = error.where()
    return f"{where}: {error.rule}: {error}" if where else f"{error.rule}: {error}"


def _check_against_log(record: dict[str, Any], log: Any, key: bytes | None) -> bytes:
    from tourdraw.lottery import public_log

    try:
        rounds = public_log.check_log(log, key)
        round_log = rounds.get(record["round"])
        if round_log is None:
            raise public_log.LogError("log_round", f"the log has no round {record['round']}")
        public_log.check_round(round_log)
        public_log.check_record(round_log, record)
    except public_log.LogError as error:
        raise Failed(f"record does not match the log: {_failure(error)}") from None
    print(
        f"log: the record matches the log's round {record['round']}: statements, beacon, "
        f"digest, {len(round_log.releases)} releases replayed by section 5"
    )
    return public_log.key_bytes(log["key"])


def _check_receipt(record: dict[str, Any], receipt: Any, key: bytes) -> None:
    from tourdraw.lottery import public_log

    try:
        entry = public_log.check_receipt(receipt, record, key)
    except public_log.LogError as error:
        raise Failed(f"receipt: {error.rule}: {error}") from None
    placed = {p["entry"]: p["slot"] for p in record["placements"]}
    if entry["code"] in placed:
        fate = f"placed in slot {placed[entry['code']]}"
    else:
        waiting = [code for code in record["order"] if code not in placed]
        fate = f"not placed by the draw, waitlist position {waiting.index(entry['code']) + 1}"
    print(f"receipt: entry {entry['code']} is in the record as entered; {fate}")


def verify(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="tourdraw verify",
        description="Check that a published draw record holds (docs/spec/draw.md).",
    )
    parser.add_argument("file", type=Path, help="the draw record (JSON), or - for standard input")
    parser.add_argument(
        "--round", help="the round code you expect (as on the round's page)", default=None
    )
    parser.add_argument(
        "--commitment",
        help="the commitment the round's page showed before entries opened",
        default=None,
    )
    parser.add_argument(
        "--log", help="the platform's public log (JSON) to check the record against"
    )
    parser.add_argument(
        "--receipt", help="your entry's receipt (JSON): is it in the record as entered?"
    )
    parser.add_argument(
        "--key",
        help="the platform's log key: 64 hex digits, or its key file "
        "(/.well-known/tourdraw-log-key.json); default: the log's own key",
    )
    args = parser.parse_args(argv)
    try:
        return _verify(args)
    except Unreadable as error:
        print(error, file=sys.stderr)
        return 2
    except Failed as error:
        print(error)
        return 1


def _verify(args: argparse.Namespace) -> int:
    from tourdraw.lottery import draw, public_log

    key = None
    if args.key is not None:
        try:
            key = public_log.load_key(args.key, lambda path: Path(path).read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise Unreadable(f"cannot read the key {args.key}: {error}") from None
    record = _check_record(args)
    if (args.log or args.receipt) and record["format"] != draw.FORMAT_V2:
        raise Failed(f"a {record['format']} record has no public log nor receipts")
    if args.log:
        key = _check_against_log(record, _read_json(args.log), key)
    if args.receipt:
        if key is None:
            raise Unreadable("to check a receipt, give the platform's key with --key or --log")
        _check_receipt(record, _read_json(args.receipt), key)
    return 0


def _download(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310  # http(s) only, checked in audit()
            return json.loads(response.read())
    except (OSError, ValueError) as error:
        raise Unreadable(f"cannot download {url}: {error}") from None


def _audit_round(base: str, round_log: Any) -> str:
    """Check one round of the log; its line for the report, or raise LogError."""
    from tourdraw.lottery import public_log

    public_log.check_round(round_log)
    if round_log.draw is None:
        waiting = {"opened": "open or closing", "closed": "closed, waiting for its beacon"}
        stage = waiting.get(round_log.stage(), "beacon out, not drawn yet")
        return f"round {round_log.round}: {stage}"
    path = round_log.draw["body"]["record"]
    if not isinstance(path, str) or not path.startswith("/"):
        raise public_log.LogError(
            "log_draw", "the draw entry's record must be a path from the site's root",
            seq=round_log.draw["seq"], round=round_log.round,
        )  # fmt: skip
    record = _download(base + path)
    public_log.check_record(round_log, record)
    beacon = record["beacon"]
    chain = "" if beacon["chain"]["name"] == "quicknet" else " (warning: not quicknet)"
    return (
        f"round {round_log.round}: holds: {len(record['entries'])} entries, "
        f"{len(record['placements'])} placed, {len(round_log.releases)} releases replayed; "
        f"beacon {beacon['chain']['name']} round {beacon['round']}{chain}"
    )


def audit(argv: list[str]) -> int:
    from tourdraw.lottery import public_log

    parser = argparse.ArgumentParser(
        prog="tourdraw audit",
        description="Download a site's public log and every record it names; check them all.",
    )
    parser.add_argument("url", help="the site, e.g. https://tours.example.cn/")
    parser.add_argument(
        "--previous",
        help="a copy of the log saved before: the log now must start with it, unchanged",
    )
    parser.add_argument("--save", help="save the downloaded log here, for the next --previous")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        print("the URL must start with http:// or https://", file=sys.stderr)
        return 2
    try:
        key = public_log.key_bytes(_download(base + KEY_PATH))
        log = _download(base + LOG_PATH)
        rounds = public_log.check_log(log, key)
        if args.previous:
            public_log.check_extends(_read_json(args.previous), log)
        if args.save:
            Path(args.save).write_text(json.dumps(log), "utf-8")
    except Unreadable as error:
        print(error, file=sys.stderr)
        return 2
    except public_log.LogError as error:
        print(f"FAILED: the log: {_failure(error)}")
        return 1
    failures = 0
    for round_log in rounds.values():
        try:
            print(_audit_round(base, round_log))
        except Unreadable as error:
            failures += 1
            print(f"round {round_log.round}: FAILED: {error}")
        except public_log.LogError as error:
            failures += 1
            print(f"round {round_log.round}: FAILED: {_failure(error)}")
    if failures:
        print(f"FAILED: {failures} of {len(rounds)} rounds do not hold")
        return 1
    print(f"all {len(rounds)} rounds in the log hold")
    return 0


def demo_environment() -> None:
    """Development mode with this install's keys (made once, in var/), and DEBUG
    off unless asked for: a newcomer meets the site's own 404 and 500 pages, as
    visitors would, not Django's debug pages."""
    from tourdraw import keys

    keys.use_demo_keys()
    os.environ.setdefault("DEBUG", "false")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "verify":
        sys.exit(verify(argv[2:]))
    if len(argv) > 1 and argv[1] == "audit":
        sys.exit(audit(argv[2:]))
    if len(argv) > 1 and argv[1] == "demo":
        # The one start that needs no environment: it makes (once) and uses
        # this install's own keys; the worker it starts inherits them.
        demo_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tourdraw.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["tourdraw", *argv[1:]])
    except ImproperlyConfigured as error:
        # A start without its keys (or with DEBUG outside development) is an
        # operator's mistake: say what to set, not a traceback.
        print(f"tourdraw: {error}", file=sys.stderr)
        sys.exit(2)
