import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VECTOR = ROOT / "docs" / "spec" / "draw-vector-1.json"
SHARED_SPEC = ROOT.parent / "shared" / "spec"


def test_the_v1_spec_is_the_shared_contract_to_the_byte():  # type: ignore[no-untyped-def]
    if not SHARED_SPEC.is_dir():
        pytest.skip("no shared/ checkout beside the project")
    # tourdraw-draw/1 records stay verifiable by the text they were published under.
    for ours, shared in (("draw-v1.md", "draw.md"), ("draw-vector-1.json", "draw-vector-1.json")):
        assert (ROOT / "docs" / "spec" / ours).read_bytes() == (SHARED_SPEC / shared).read_bytes()


def _verify(path: str, *options: str, env=None):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "tourdraw", "verify", path, *options],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_verify_needs_no_settings_and_holds_on_the_published_vector(tmp_path):  # type: ignore[no-untyped-def]
    result = _verify(str(VECTOR), env={"PATH": "/usr/bin:/bin", "TOURDRAW_ENV": "production"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("record holds")


def test_verify_names_the_first_broken_rule(tmp_path):  # type: ignore[no-untyped-def]
    record = json.loads(VECTOR.read_text())
    record["placements"][0]["slot"] = "2026-01-20T13:30"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(record))
    result = _verify(str(broken))
    assert result.returncode == 1
    assert "placements" in result.stdout


def test_verify_says_when_it_cannot_read_the_file(tmp_path):  # type: ignore[no-untyped-def]
    result = _verify(str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_verify_checks_the_round_and_commitment_you_expect(tmp_path):  # type: ignore[no-untyped-def]
    record = json.loads(VECTOR.read_text())
    right = ("--round", record["round"], "--commitment", record["commitment"])
    assert _verify(str(VECTOR), *right).returncode == 0
    record["round"] = "another-round"
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps(record))
    # A record's round code is not derived from anything, so the record alone holds...
    assert _verify(str(renamed)).returncode == 0
    # ...but not as the record of the round its page names.
    result = _verify(str(renamed), *right)
    assert result.returncode == 1
    assert "round is another-round" in result.stdout
    result = _verify(str(VECTOR), "--commitment", "0" * 64)
    assert result.returncode == 1
    assert "commitment is" in result.stdout
