"""The draw benchmarks of issue 3, in one run: the pure draw, then the whole
draw in the database on SQLite and on PostgreSQL.

    .venv/bin/python bench/draw.py [--quick]

Each part is its own script (bench/draw_pure.py, bench/draw_db.py), run here
in a fresh process so that one part's memory does not slow the next.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    quick = "--quick" in sys.argv
    sizes = "10000,100000" if quick else "10000,100000,1000000"
    entries = "20000" if quick else "100000"
    repeat = "1" if quick else "3"
    runs = [
        [sys.executable, str(HERE / "draw_pure.py"), "--sizes", sizes, "--repeat", repeat],
        *(
            [
                sys.executable,
                str(HERE / "draw_db.py"),
                "--entries",
                entries,
                "--repeat",
                repeat,
                "--database",
                database,
            ]
            for database in ("sqlite", "postgres")
        ),
    ]
    for command in runs:
        print(f"\n$ {' '.join(command[1:])}", flush=True)
        if subprocess.run(command, check=False).returncode:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
