"""A/B throughput of two release binaries (bench/ab): REST list and create at 16 connections, one user
(the bench's "one user" steps), alternating the binaries ROUNDS times so that load from other work on the
machine hits both alike. Each round starts each binary on a fresh schema with the bench's seed data.
Prints one row per step with the 1-minute load average, then the median per binary and the ratio B/A.

    TODOBOT_BIN_A=old TODOBOT_BIN_B=new bench/ab        # BENCH_DURATION (10), AB_ROUNDS (3)
    AB_SQLITE=1 ...                                     # on a fresh SQLite file instead of PostgreSQL
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time

import bench

ROUNDS = int(os.environ.get("AB_ROUNDS", "3"))
SQLITE = os.environ.get("AB_SQLITE") == "1"
BINS = {"A": os.environ["TODOBOT_BIN_A"], "B": os.environ["TODOBOT_BIN_B"]}


def one(label: str) -> dict:
    bench.BIN = BINS[label]
    bench.SCHEMA = f"todobot_ab_{label.lower()}_{int(time.time())}"
    data_dir = tempfile.mkdtemp(prefix="todobot-ab-")
    if SQLITE:
        bench.DB_URL = f"sqlite://{data_dir}/ab.db?mode=rwc"
    proc, base = bench.start_server(data_dir)
    try:
        status, body, headers = bench.http("POST", f"{base}/api/auth/sign-up/email",
                                           {"name": "Bench", "email": "bench0@example.com",
                                            "password": "correct horse battery"})
        assert status == 200, body
        uid, token = body["user"]["id"], headers["set-auth-jwt"]
        tasks = f"{base}/api/{uid}/tasks"
        for i in range(50):
            bench.http("POST", tasks, {"title": f"seed task {i}"}, token)
        for i in range(0, 50, 2):
            bench.http("PATCH", f"{tasks}/{i + 1}/complete", None, token)
        time.sleep(1)
        out = {}
        out["list"] = bench.wrk(f"{tasks}?status=pending", 16, token)
        out["list_load"] = bench.load()
        out["create"] = bench.wrk(tasks, 16, token, {"title": "bench task %n"})
        out["create_load"] = bench.load()
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if not SQLITE:
            bench.psql(f'DROP SCHEMA IF EXISTS "{bench.SCHEMA}" CASCADE')
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    runs: dict[str, list[dict]] = {"A": [], "B": []}
    print("| Round | Binary | list req/s (16 conns) | load | create req/s (16 conns) | load |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in range(ROUNDS):
        for label in ("A", "B") if n % 2 == 0 else ("B", "A"):
            r = one(label)
            runs[label].append(r)
            print(f"| {n + 1} | {label} | {r['list']['rps']:,.0f} | {r['list_load']} | "
                  f"{r['create']['rps']:,.0f} | {r['create_load']} |", flush=True)
    for step in ("list", "create"):
        med = {k: statistics.median(r[step]["rps"] for r in v) for k, v in runs.items()}
        print(f"{step}: median A {med['A']:,.0f} req/s, B {med['B']:,.0f} req/s, B/A {med['B'] / med['A']:.3f}")
    for label, path in BINS.items():
        print(f"{label}: {path} ({os.path.getsize(path) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
