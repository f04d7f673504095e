"""Every type-ignore comment in the code says which check it silences and why."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = re.compile(r"#\s*type:\s*ignore")
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[\w\-, ]+\]\s+#\s*\S")


def test_every_type_ignore_names_its_code_and_gives_a_reason() -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("src", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if IGNORE.search(line) and not EXPLAINED.search(line)
    ]
    assert unexplained == []
