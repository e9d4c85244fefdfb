"""Issue 16's figure: listing 1,000 tasks of one user with filters, search and sort stays within 1.5x of
the plain list (requests/s and p50 at 16 connections). Run through bench/list-filters (release binary,
PostgreSQL in a fresh schema); appends its table to bench/RESULTS-list-filters.md."""

from __future__ import annotations

import datetime
import os
import subprocess
import tempfile

import bench  # bench/bench.py: server start, wrk, psql helpers

TASKS = 1000
CONNS = 16
QUERIES = [
    ("plain list (all 1,000)", ""),
    ("status=pending", "status=pending"),
    ("priority=high&tag=work", "priority=high&tag=work"),
    ("q=report (search)", "q=report"),
    ("sort=due", "sort=due"),
    ("sort=priority&limit=50", "sort=priority&limit=50"),
    ("overdue=true", "overdue=true"),
    ("all filters + search + sort", "status=pending&priority=high&tag=work&q=report&sort=due"),
]


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="todobot-bench-")
    proc, base = bench.start_server(data_dir)
    try:
        status, body, headers = bench.http("POST", f"{base}/api/auth/sign-up/email",
                                           {"name": "Bench", "email": "list@example.com", "password": "bench password 1"})
        assert status == 200, body
        token = headers["set-auth-jwt"]
        user = body["user"]["id"]
        # 1,000 tasks with every field in use (SQL: the same rows the API would write)
        bench.psql(
            f"SET search_path TO {bench.SCHEMA}; "
            f"INSERT INTO tasks (user_id, id, title, description, completed, created_at, updated_at, priority, tags, due_at, recurrence) "
            f"SELECT '{user}', g, CASE WHEN g % 10 = 0 THEN 'write the report ' || g ELSE 'task number ' || g END, "
            f"CASE WHEN g % 3 = 0 THEN 'details about item ' || g END, g % 4 = 0, now(), now(), g % 3, "
            f"CASE g % 5 WHEN 0 THEN ',work,' WHEN 1 THEN ',home,money,' WHEN 2 THEN ',work,q4,' ELSE '' END, "
            f"CASE WHEN g % 2 = 0 THEN now() + (g - 500) * interval '1 hour' END, NULL "
            f"FROM generate_series(1, {TASKS}) g; "
            f"UPDATE users SET last_task_id = {TASKS} WHERE id = '{user}'; ANALYZE tasks;")
        rows = []
        for name, query in QUERIES:
            url = f"{base}/api/{user}/tasks" + (f"?{query}" if query else "")
            status, listed, _ = bench.http("GET", url, token=token)
            assert status == 200, listed
            r = bench.wrk(url, CONNS, token)
            rows.append((name, len(listed), r))
        plain = rows[0][2]
        lines = [
            f"## List with filters, search and sort — {datetime.date.today()} ({os.uname().nodename}, "
            f"{os.cpu_count()} cores, PostgreSQL, {CONNS} connections, {bench.DURATION} s per step)",
            "",
            "| query | tasks returned | req/s | p50 ms | p99 ms | p50 vs plain | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        worst = 0.0
        for name, n, r in rows:
            ratio = r["p50"] / plain["p50"]
            worst = max(worst, ratio)
            lines.append(f"| {name} | {n} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {ratio:.2f}x | "
                         f"{r['errors'] + r['non2xx']} |")
        lines += ["", f"Worst p50 ratio to the plain list: {worst:.2f}x (target <= 1.5x: "
                  f"{'met' if worst <= 1.5 else 'NOT met'}).", ""]
        report = "\n".join(lines)
        print(report)
        out = bench.ROOT / "bench" / "RESULTS-list-filters.md"
        out.write_text(report)
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["psql", bench.DB_URL, "-qc", f"DROP SCHEMA IF EXISTS {bench.SCHEMA} CASCADE"], check=False)


if __name__ == "__main__":
    main()
