"""A long run: mixed traffic through HAProxy to two web nodes, with both workers
running, on the hosts of bench/multihost.py, without faults.

    python3 bench/soak.py                 # 30 minutes
    python3 bench/soak.py --minutes 1     # CI's short form

Reports throughput, p50/p99 and errors per kind of request, and the workers'
memory at the start and at the end; then the same checks as multihost (no
acknowledged write lost, each round drawn once, messages, capacity).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import multihost

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--prefix", default="td15", help="names of namespaces and links")
    parser.add_argument("--subnet", default="10.115.0", help="the hosts' /24")
    args = parser.parse_args()
    seconds = str(args.minutes * 60)
    options = ["--clients", str(args.clients), "--prefix", args.prefix, "--subnet", args.subnet]
    sys.exit(multihost.main(["--soak", seconds, *options]))
