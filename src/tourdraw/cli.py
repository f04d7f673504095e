"""The ``tourdraw`` command: Django's management commands, plus ``verify``.

``tourdraw verify FILE`` checks a published draw record with nothing but the
record itself: no settings, no database. Anyone can run it. ``tourdraw demo``
is the one command that runs without keys in the environment: it uses this
install's own, made on its first run in var/.
"""

import argparse
import json
import os
import sys
from pathlib import Path


def verify(argv: list[str]) -> int:
    from tourdraw.lottery import draw

    parser = argparse.ArgumentParser(
        prog="tourdraw verify",
        description="Check that a published draw record holds (spec/draw.md).",
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
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text("utf-8")
        record = json.loads(text)
    except (OSError, ValueError) as error:
        print(f"cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    try:
        draw.verify(record)
    except draw.RecordError as error:
        print(f"record does not hold: {error.rule}: {error}")
        return 1
    # The record alone cannot tell which round it is for: only the commitment,
    # published before the round opened, ties it to that round.
    for field, expected in (("round", args.round), ("commitment", args.commitment)):
        if expected is not None and record[field] != expected:
            print(f"record holds, but is not the one expected: {field} is {record[field]}")
            return 1
    print(
        f"record holds: round {record['round']}, {len(record['entries'])} entries, "
        f"{len(record['placements'])} placed"
    )
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "verify":
        sys.exit(verify(argv[2:]))
    if len(argv) > 1 and argv[1] == "demo":
        # The one start that needs no environment: it makes (once) and uses
        # this install's own keys; the worker it starts inherits them.
        from tourdraw import keys

        keys.use_demo_keys()
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
