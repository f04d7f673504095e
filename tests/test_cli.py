import copy
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.lottery import v2chain
from tourdraw import cli

ROOT = Path(__file__).resolve().parents[1]
VECTOR = ROOT / "docs" / "spec" / "draw-vector-1.json"
SHARED_SPEC = ROOT.parent / "shared" / "spec"


def test_the_v1_spec_is_the_shared_contract_to_the_byte():
    if not SHARED_SPEC.is_dir():
        pytest.skip("no shared/ checkout beside the project")
    # tourdraw-draw/1 records stay verifiable by the text they were published under.
    for ours, shared in (("draw-v1.md", "draw.md"), ("draw-vector-1.json", "draw-vector-1.json")):
        assert (ROOT / "docs" / "spec" / ours).read_bytes() == (SHARED_SPEC / shared).read_bytes()


def _verify(path: str, *options: str, env=None):
    return subprocess.run(
        [sys.executable, "-m", "tourdraw", "verify", path, *options],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_verify_needs_no_settings_and_holds_on_the_published_vector(tmp_path):
    result = _verify(str(VECTOR), env={"PATH": "/usr/bin:/bin", "TOURDRAW_ENV": "production"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("record holds")


def test_verify_names_the_first_broken_rule(tmp_path):
    record = json.loads(VECTOR.read_text())
    record["placements"][0]["slot"] = "2026-01-20T13:30"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(record))
    result = _verify(str(broken))
    assert result.returncode == 1
    assert "placements" in result.stdout


def test_verify_says_when_it_cannot_read_the_file(tmp_path):
    result = _verify(str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_verify_checks_the_round_and_commitment_you_expect(tmp_path):
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


# tourdraw-draw/2: the record, the log, receipts, audit

VECTOR_2 = ROOT / "docs" / "spec" / "draw-vector-2.json"
ROUND_2 = "xiaomi-ev-2026-01-20"
MORNING = "2026-01-20T09:30"


def _write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def _vector_log(record: dict[str, Any]) -> v2chain.Log:
    log = v2chain.Log()
    v2chain.logged_round(log, record, f"/rounds/{ROUND_2}/draw.json")
    v2chain.release(log, ROUND_2, MORNING, "A2B3C4D5E6", 3, [("R9S2T3U4V5", 2)])
    return log


def test_verify_checks_a_v2_record_and_warns_of_a_chain_that_is_not_quicknet() -> None:
    result = _verify(str(VECTOR_2), env={"PATH": "/usr/bin:/bin", "TOURDRAW_ENV": "production"})
    assert result.returncode == 0, result.stderr
    assert "record holds: round xiaomi-ev-2026-01-20" in result.stdout
    assert "beacon: drand chain tourdraw-test" in result.stdout
    assert "warning: this chain is not drand's quicknet" in result.stdout


def test_verify_a_record_on_quicknet_without_warning(tmp_path: Path) -> None:
    from tests.lottery.test_draw_v2 import quicknet_record

    result = _verify(_write(tmp_path, "q.json", quicknet_record()))
    assert result.returncode == 0, result.stdout
    assert "beacon: drand chain quicknet" in result.stdout and "warning" not in result.stdout


def test_verify_names_the_rule_a_changed_v2_record_breaks(tmp_path: Path) -> None:
    record = json.loads(VECTOR_2.read_text())
    record["slots"][0]["capacity"] = 10  # the group places handed to the lottery
    result = _verify(_write(tmp_path, "r.json", record))
    assert result.returncode == 1
    assert "record does not hold: slots:" in result.stdout


def test_verify_against_the_log_and_a_receipt(tmp_path: Path) -> None:
    record = json.loads(VECTOR_2.read_text())
    log = _vector_log(record)
    log_file = _write(tmp_path, "log.json", log.document())
    result = _verify(str(VECTOR_2), "--log", log_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 releases replayed" in result.stdout
    receipt = _write(tmp_path, "receipt.json", log.receipt(ROUND_2, record["entries"][5]))
    result = _verify(str(VECTOR_2), "--log", log_file, "--receipt", receipt)
    assert result.returncode == 0, result.stdout
    assert "receipt: entry R9S2T3U4V5 is in the record as entered" in result.stdout
    key_file = _write(tmp_path, "key.json", log.key_document())
    for key in (log.public_key, key_file):
        assert _verify(str(VECTOR_2), "--key", key, "--receipt", receipt).returncode == 0


def test_verify_against_a_rewritten_log_names_the_entry(tmp_path: Path) -> None:
    record = json.loads(VECTOR_2.read_text())
    log = _vector_log(record)
    log.entries[4]["body"]["promotions"] = []  # R9S2T3U4V5 passed over
    log.reseal_from(5)
    result = _verify(str(VECTOR_2), "--log", _write(tmp_path, "log.json", log.document()))
    assert result.returncode == 1
    assert "seq 5, round xiaomi-ev-2026-01-20: promotions:" in result.stdout
    other_key = v2chain.Log().public_key
    result = _verify(
        str(VECTOR_2), "--log", _write(tmp_path, "l.json", log.document()), "--key", other_key
    )
    assert result.returncode == 1 and "log_key" in result.stdout


def test_verify_a_receipt_says_dropped_or_altered(tmp_path: Path) -> None:
    record = json.loads(VECTOR_2.read_text())
    log = _vector_log(record)
    log_file = _write(tmp_path, "log.json", log.document())
    entry = dict(record["entries"][0], code="Z2Z3Z4Z5Z6")
    dropped = _write(tmp_path, "dropped.json", log.receipt(ROUND_2, entry))
    result = _verify(str(VECTOR_2), "--log", log_file, "--receipt", dropped)
    assert result.returncode == 1 and "receipt: dropped: entry Z2Z3Z4Z5Z6" in result.stdout
    entry = dict(record["entries"][0], choices=["2026-01-20T13:30"])
    altered = _write(tmp_path, "altered.json", log.receipt(ROUND_2, entry))
    result = _verify(str(VECTOR_2), "--log", log_file, "--receipt", altered)
    assert result.returncode == 1 and "receipt: altered: entry A2B3C4D5E6" in result.stdout
    result = _verify(str(VECTOR_2), "--receipt", altered)
    assert result.returncode == 2 and "--key or --log" in result.stderr


class _Site:
    """A tiny site serving a log, its key and records, as a running tourdraw would."""

    def __init__(self, files: dict[str, bytes]) -> None:
        files_ = files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                body = files_.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args: Any) -> None:
                pass

        self.files = files
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[tuple[_Site, v2chain.Log, dict[str, Any]]]:
    from tests.lottery.test_draw_v2 import quicknet_record

    record = json.loads(VECTOR_2.read_text())
    log = _vector_log(record)
    quicknet = dict(quicknet_record())
    v2chain.logged_round(log, quicknet, "/rounds/quicknet-1000/draw.json")
    opening = v2chain.statements_for(
        "nio-2026-02-01",
        bytes(32),
        [],
        [],
        {"priority": "none", "repeat_weight_days": 0, "repeat_weight_cap": 3},
    )[0]
    log.append("opening", "nio-2026-02-01", opening)
    served = _Site(
        {
            "/transparency/log.json": json.dumps(log.document()).encode(),
            "/.well-known/tourdraw-log-key.json": json.dumps(log.key_document()).encode(),
            f"/rounds/{ROUND_2}/draw.json": json.dumps(record).encode(),
            "/rounds/quicknet-1000/draw.json": json.dumps(quicknet).encode(),
        }
    )
    yield served, log, record
    served.close()


def test_audit_checks_every_round_of_a_site(site: Any, capsys: Any) -> None:
    served, _, _ = site
    assert cli.audit([served.url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"round {ROUND_2}: holds: 7 entries, 5 placed, 1 releases replayed")
    assert "(warning: not quicknet)" in lines[0]
    assert lines[1].startswith("round quicknet-1000: holds: 4 entries, 2 placed")
    assert lines[2] == "round nio-2026-02-01: open or closing"
    assert lines[3] == "all 3 rounds in the log hold"


def test_audit_names_a_byte_changed_in_the_log(site: Any, capsys: Any) -> None:
    served, _, _ = site
    text = served.files["/transparency/log.json"]
    served.files["/transparency/log.json"] = text.replace(b'"persons": 3', b'"persons": 2', 1)
    assert cli.audit([served.url]) == 1
    out = capsys.readouterr().out
    assert "FAILED: the log: seq 5, round xiaomi-ev-2026-01-20: log_hash:" in out


def test_audit_names_the_round_whose_record_was_changed(site: Any, capsys: Any) -> None:
    served, _, record = site
    changed = copy.deepcopy(record)
    changed["entries"][0]["choices"] = ["2026-01-20T13:30"]
    served.files[f"/rounds/{ROUND_2}/draw.json"] = json.dumps(changed).encode()
    assert cli.audit([served.url]) == 1
    out = capsys.readouterr().out
    assert f"round {ROUND_2}: FAILED: round {ROUND_2}: entries_digest:" in out
    assert "round quicknet-1000: holds" in out
    assert "FAILED: 1 of 3 rounds do not hold" in out


def test_audit_names_a_record_the_site_no_longer_serves(site: Any, capsys: Any) -> None:
    served, _, _ = site
    del served.files["/rounds/quicknet-1000/draw.json"]
    assert cli.audit([served.url]) == 1
    assert "round quicknet-1000: FAILED: cannot download" in capsys.readouterr().out


def test_audit_refuses_a_log_signed_with_another_key_than_the_well_known_one(
    site: Any, capsys: Any
) -> None:
    served, _, _ = site
    served.files["/.well-known/tourdraw-log-key.json"] = json.dumps(
        v2chain.Log().key_document()
    ).encode()
    assert cli.audit([served.url]) == 1
    assert "FAILED: the log: log_key:" in capsys.readouterr().out


def test_audit_sees_history_rewritten_since_a_saved_copy(
    site: Any, capsys: Any, tmp_path: Path
) -> None:
    served, log, _ = site
    saved = str(tmp_path / "saved.json")
    assert cli.audit([served.url, "--save", saved]) == 0
    # More entries since: the saved copy is where the log starts.
    v2chain.release(log, ROUND_2, "2026-01-20T13:30", "B3C4D5E6F7", 3, [("L4M5N6P7Q8", 2)])
    served.files["/transparency/log.json"] = json.dumps(log.document()).encode()
    assert cli.audit([served.url, "--previous", saved]) == 0
    # The key holder rewrites the first release (no promotion), re-signs every entry
    # after it: the log holds by itself, but not as the continuation of the copy.
    log.entries[4]["body"]["promotions"] = []
    log.entries[4]["body"]["waitlist_open"] = False
    log.reseal_from(5)
    served.files["/transparency/log.json"] = json.dumps(log.document()).encode()
    capsys.readouterr()
    assert cli.audit([served.url, "--previous", saved]) == 1
    assert "FAILED: the log: seq 5, round xiaomi-ev-2026-01-20: log_rewritten:" in (
        capsys.readouterr().out
    )
