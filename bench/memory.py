"""Resident memory without any MALLOC_* variable, three ways (run by bench/run after bench.py, or alone
through bench/memory): the debug binary (what `cargo run -p todobot -- serve` executes), the release
binary, and the release binary under the container image's entrypoint and environment
(deploy/docker/Dockerfile; no container engine runs on the bench machine). Each: idle after start,
after sign-up bursts (16 back-to-back, 8 concurrent, then 16 back-to-back again: each Argon2 hash
holds a 19 MiB buffer while it runs, which must not stay resident), and under the bench's load (list
and create at 16 connections). Writes the section into bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench
from bench import free_port, http, psql, rss_mb, status_mb, wait_ready, wrk

ROOT = Path(__file__).resolve().parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
DURATION = int(os.environ.get("BENCH_MEMORY_LOAD_SECS", "5"))
MARKER = "## Memory without MALLOC_* variables"


def dockerfile_env() -> dict:
    """The runtime stage's ENV of deploy/docker/Dockerfile (KEY=value pairs, backslash-continued)."""
    text = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    runtime = text.rsplit("FROM ", 1)[1]
    env, inside = {}, False
    for line in runtime.splitlines():
        line = line.strip()
        if line.startswith("ENV "):
            inside, line = True, line[4:]
        if inside:
            for pair in line.rstrip("\\").split():
                key, _, value = pair.partition("=")
                env[key] = value
            inside = line.endswith("\\")
    return env


def run_mode(name: str, binary: str, extra_env: dict) -> dict:
    schema = f"todobot_mem_{int(time.time())}_{name.split()[0]}"
    data_dir = tempfile.mkdtemp(prefix="todobot-mem-")
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "MCP_", "DATABASE_", "MALLOC_", "TODOBOT_"))}
    env.update(LLM_PROVIDER="local", LOG_FORMAT="json", RUST_LOG="warn", DATA_DIR=data_dir,
               SIGNIN_MAX_PER_CLIENT="1000000", BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789")
    env.update(extra_env)
    env.update(BIND=f"127.0.0.1:{port}", DATABASE_URL=bench.DB_URL, DATABASE_SCHEMA=schema, DATA_DIR=data_dir)
    proc = subprocess.Popen([binary, "serve"], env=env, cwd=data_dir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    out: dict = {"name": name}
    try:
        wait_ready(base, timeout=60)
        time.sleep(1)
        out["idle"] = rss_mb(proc.pid)[0]
        counter = [0]

        def sign_up() -> tuple[str, str]:
            counter[0] += 1
            n = counter[0]
            status, body, headers = http("POST", f"{base}/api/auth/sign-up/email",
                                         {"name": f"Mem {n}", "email": f"mem{n}-{os.getpid()}@example.com",
                                          "password": "correct horse battery"})
            assert status == 200, body
            return body["user"]["id"], headers["set-auth-jwt"]

        users = [sign_up() for _ in range(16)]
        out["seq16"] = rss_mb(proc.pid)[0]
        with ThreadPoolExecutor(8) as pool:
            users += list(pool.map(lambda _: sign_up(), range(8)))
        out["conc8"] = rss_mb(proc.pid)[0]
        peak = [0.0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mb(proc.pid)[0])
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        uid, token = users[0]
        for i in range(25):
            http("POST", f"{base}/api/{uid}/tasks", {"title": f"seed {i}"}, token)
        wrk(f"{base}/api/{uid}/tasks?status=pending", 16, token, duration=DURATION)
        wrk(f"{base}/api/{uid}/tasks", 16, token, {"title": "load %n"}, users=users,
            path_template="/api/{uid}/tasks", duration=DURATION)
        stop.set()
        sampler.join()
        out["load_peak"] = peak[0]
        out["after_load"] = rss_mb(proc.pid)[0]
        for _ in range(16):
            sign_up()
        out["again16"], out["hwm"] = rss_mb(proc.pid)
        out["anon"], out["file"] = status_mb(proc.pid, "RssAnon", "RssFile")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        psql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(data_dir, ignore_errors=True)
    return out


def main() -> None:
    modes = []
    debug = TARGET / "debug" / "todobot"
    if debug.exists():
        modes.append(("debug binary (`cargo run`)", str(debug), {}))
    modes.append(("release binary", bench.BIN, {}))
    container = dockerfile_env()
    modes.append(("release binary, container entrypoint and ENV", bench.BIN, container))
    lines = [
        MARKER,
        "",
        "Produced by `bench/memory` (bench/run runs it; see bench/README.md).",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; todobot "
        + subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip()
        + f"; load average at the start {' / '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "- No MALLOC_* variable in the environment of the first two (the binary applies its own glibc "
        "settings, crates/todobot/src/malloc.rs); the third runs with the Dockerfile's runtime ENV "
        f"({', '.join(f'{k}={v}' for k, v in container.items() if k.startswith('MALLOC_'))}, ...) — no "
        "container engine runs on this machine, so the container is measured as its entrypoint (`todobot serve`) "
        "with its environment",
        f"- PostgreSQL; load: list then create at 16 connections, {DURATION} s each; RSS in MiB (VmRSS; "
        "high-water mark VmHWM)",
        "",
        "| Run | idle | after 16 back-to-back sign-ups | after 8 concurrent | peak under load | after load "
        "| after 16 more sign-ups | high-water mark | at the end: anonymous / file-backed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    results = []
    for name, binary, env in modes:
        r = run_mode(name, binary, env)
        results.append(r)
        line = (f"| {name} | {r['idle']:.1f} | {r['seq16']:.1f} | {r['conc8']:.1f} | {r['load_peak']:.1f} | "
                f"{r['after_load']:.1f} | {r['again16']:.1f} | {r['hwm']:.1f} | {r['anon']:.1f} / {r['file']:.1f} |")
        print(line, flush=True)
        lines.append(line)
    worst = max(max(r["idle"], r["load_peak"], r["again16"]) for r in results)
    ratchet = max(r["again16"] - r["conc8"] for r in results)
    lines += ["",
              f"- Target RSS < 30 MB idle and under load, all three: worst {worst:.1f} MiB "
              f"({worst * 1.048576:.1f} MB) -> {'met' if worst * 1.048576 < 30 else 'NOT met'}",
              f"- Sign-up bursts do not ratchet: after the load and 16 more sign-ups, RSS is at most "
              f"{ratchet:+.1f} MiB above where the first 24 sign-ups left it (the load's own growth "
              f"included) -> {'met' if ratchet < 3 else 'NOT met'}",
              ""]
    out = ROOT / "bench" / "RESULTS.md"
    old = out.read_text() if out.exists() else "# Benchmark results\n"
    if MARKER in old:
        head, rest = old.split(MARKER, 1)
        nxt = rest.find("\n## ")
        old = head.rstrip("\n") + "\n" + (rest[nxt:] if nxt >= 0 else "\n")
    out.write_text(old.rstrip("\n") + "\n\n" + "\n".join(lines))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
