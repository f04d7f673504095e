#!/usr/bin/env python3
"""Set up and run tourdraw with nothing but Python 3.11+ and this checkout.

python3 dev.py demo    virtualenv, install, migrate, demo data, serve + worker
python3 dev.py test    virtualenv, install, the whole test suite (DATABASE_URL
                       picks the database; SQLite by default)
python3 dev.py lint    ruff and mypy
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"


def ensure_environment() -> None:
    """Create .venv and install the project, again only when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"tourdraw needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".tourdraw-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(
        "Installing tourdraw and its pinned dependencies (about 2 minutes the first time) ...",
        flush=True,
    )
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check"]
    pip_with_progress([*pip, "install", "--upgrade", "pip"])
    pip_with_progress([*pip, "install", "-e", f"{ROOT}[dev]"])
    stamp.write_text(wanted)
    print("Installed.", flush=True)


def pip_with_progress(command: list[str]) -> None:
    """Run pip with a short line per package it fetches and one when it installs,
    so a long install is never silent; pip's whole output is shown if it fails."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT
    )
    output, fetched = [], 0
    for line in process.stdout or ():
        output.append(line)
        if line.startswith(("Collecting ", "Obtaining ")):
            fetched += 1
            print(f"  [{fetched}] {line.split()[1]}", flush=True)
        elif line.startswith("Installing collected packages"):
            count = line.count(",") + 1
            print(f"  installing {count} package{'s' * (count > 1)} ...", flush=True)
    if process.wait():
        sys.stdout.write("".join(output))
        sys.exit(f"pip failed (exit status {process.returncode}); its output is above")


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main() -> int:
    task = sys.argv[1] if len(sys.argv) > 1 else "help"
    extra = sys.argv[2:]
    if task not in {"demo", "test", "lint"}:
        print(__doc__)
        return 0 if task == "help" else 2
    ensure_environment()
    (ROOT / "var").mkdir(exist_ok=True)
    if task == "demo":
        os.execv(BIN / "tourdraw", [str(BIN / "tourdraw"), "demo", *extra])
    if task == "lint":
        return (
            run(str(BIN / "ruff"), "check", ".")
            or run(str(BIN / "ruff"), "format", "--check", ".")
            or run(str(BIN / "mypy"), "src/tourdraw", "tests")
        )
    return run(str(BIN / "pytest"), *extra)


if __name__ == "__main__":
    sys.exit(main())
