"""The database-bound ceiling (used by bench.py): pgbench runs the SQL statements that one REST list or
one REST create executes, in the same order and with the same autocommit boundaries, against the same
PostgreSQL, schema and rows, at the same numbers of clients. todobot's requests/s divided by pgbench's
transactions/s (one transaction = one request's statements) is the fraction of the ceiling reached.

The statements were captured from PostgreSQL's log (a todobot started with
`DATABASE_URL=...?options=-c%20log_statement%3Dall`); re-capture them the same way when the store's
queries change. Parameters that todobot binds are literals here (pgbench -M prepared still prepares each
statement once per connection), and the session's expiry is compared with now() instead of a bound
timestamp."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

# Every authenticated request but the list: is the access token's session still live
# (auth::AuthService::check_session)
SESSION_CHECK = (
    'SELECT COUNT(*) AS num_items FROM (SELECT "sessions"."id", "sessions"."token_hash", "sessions"."user_id", '
    '"sessions"."expires_at", "sessions"."ip_address", "sessions"."user_agent", "sessions"."created_at", '
    '"sessions"."updated_at" FROM "sessions" WHERE "sessions"."id" = \'{sid}\' AND "sessions"."user_id" = \'{uid}\' '
    'AND "sessions"."expires_at" > now()) AS "sub_query";'
)
TASK_COLUMNS = ('"tasks"."user_id", "tasks"."id", "tasks"."title", "tasks"."description", "tasks"."completed", '
                '"tasks"."created_at", "tasks"."updated_at", "tasks"."priority", "tasks"."tags", "tasks"."due_at", '
                '"tasks"."recurrence", "tasks"."completed_at"')
# GET /api/{uid}/tasks?status=pending: the list with the session check in the same statement
# (Store::query_tasks_in_session; the session is checked on its own only when no row comes back,
# which the bench's lists never are)
LIST = (
    f'SELECT {TASK_COLUMNS} FROM "tasks" WHERE "tasks"."user_id" = \'{{uid}}\' AND "tasks"."completed" = false '
    'AND EXISTS(SELECT 1 FROM "sessions" WHERE "sessions"."id" = \'{sid}\' AND "sessions"."user_id" = \'{uid}\' '
    'AND "sessions"."expires_at" > now()) ORDER BY "tasks"."id" ASC;'
)
# POST /api/{uid}/tasks: the number (Store::next_task_number, its own transaction), then the insert
NEXT_NUMBER = (
    "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)) "
    "UPDATE users SET last_task_id = last_task_id + 1 FROM async_commit WHERE id = '{uid}' "
    "RETURNING last_task_id \\gset"
)
INSERT = (
    'INSERT INTO "tasks" ("user_id", "id", "title", "description", "completed", "created_at", "updated_at", '
    '"priority", "tags", "due_at", "recurrence", "completed_at") VALUES (\'{uid}\', :last_task_id, '
    '\'bench task\', NULL, FALSE, now(), now(), 1, \'\', NULL, NULL, NULL) RETURNING "user_id", "id", "title", '
    '"description", "completed", "created_at", "updated_at", "priority", "tags", "due_at", "recurrence", '
    '"completed_at";'
)
SCRIPTS = {"list": [LIST], "create": [SESSION_CHECK, NEXT_NUMBER, INSERT]}


def sessions(psql, schema: str, user_ids: list[str]) -> list[tuple[str, str]]:
    """(user id, session id) for each user (each bench user signed up once: one session)."""
    out = psql(f'SELECT user_id, id FROM "{schema}".sessions')
    sid = dict(line.split("|") for line in out.split())
    return [(uid, sid[uid]) for uid in user_ids]


def pgbench(db_url: str, schema: str, workload: str, users: list[tuple[str, str]], clients: int,
            duration: int) -> dict:
    """Runs one workload's statements for `users` (a script per user, picked at random per transaction)."""
    with tempfile.TemporaryDirectory(prefix="todobot-pgbench-") as tmp:
        args = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(2, clients)),
                "-T", str(duration), "-l", "--log-prefix", f"{tmp}/log"]
        for n, (uid, sid) in enumerate(users):
            path = Path(tmp) / f"{workload}{n}.sql"
            path.write_text("\n".join(s.format(uid=uid, sid=sid) for s in SCRIPTS[workload]) + "\n")
            args += ["-f", f"{path}@1"]
        env = dict(os.environ, PGOPTIONS=f"-c search_path={schema}")
        out = subprocess.run(args + [db_url], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"pgbench failed: {out.stderr or out.stdout}")
        tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
        lat = []
        for log in Path(tmp).glob("log.*"):
            for line in log.read_text().splitlines():
                lat.append(int(line.split()[2]) / 1000)
        lat.sort()

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")

        return {"rps": tps, "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": lat[-1] if lat else 0,
                "mean": statistics.fmean(lat) if lat else 0, "failed": int(failed.group(1)) if failed else 0}


def version() -> str:
    out = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()
    return out or "pgbench"
