#!/usr/bin/env python3
"""Time to the first text delta with a streaming model: todobot's added latency over the model's first token.

A streaming OpenAI-compatible mock model runs in this process (stdlib HTTP server, real wire format:
`data: <chat.completion.chunk>` frames, then `data: [DONE]`). It waits FIRST_TOKEN_MS before its first
text chunk and CHUNK_MS between chunks, and stamps the moment it writes the first text chunk. The client
(also this process, same monotonic clock) posts `POST /api/{user}/chat` with `Accept: text/event-stream`
and stamps the first `delta` event. Reported per request:

- time to first delta (request sent -> first delta received);
- before the model: request sent -> the model received the request (todobot stores the message, reads
  the history, opens the MCP session and lists the tools);
- pass-through: the model wrote its first token -> the client received it as a delta (the target:
  under 5 ms p50);
- added latency: time to first delta minus the model's own first-token time.

The result section is written into bench/RESULTS.md (replacing an earlier one)."""

from __future__ import annotations

import http.server
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("TODOBOT_BIN", str(ROOT / "target" / "release" / "todobot"))
RUNS = int(os.environ.get("FIRST_DELTA_RUNS", "50"))
FIRST_TOKEN_MS = float(os.environ.get("FIRST_TOKEN_MS", "200"))
CHUNK_MS = float(os.environ.get("CHUNK_MS", "20"))
MARKER = "## Streaming: time to the first text delta"
WORDS = "Sure, here is the answer you asked for, one word at a time.".split(" ")

STAMPS: dict[str, list[float]] = {"received": [], "first_token": []}


def chunk(delta: dict, finish: str | None = None) -> bytes:
    body = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": "bench",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class Model(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        STAMPS["received"].append(time.monotonic())
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

        def write(data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        write(chunk({"role": "assistant", "content": ""}))
        time.sleep(FIRST_TOKEN_MS / 1000)
        for i, w in enumerate(WORDS):
            if i == 0:
                STAMPS["first_token"].append(time.monotonic())
            else:
                time.sleep(CHUNK_MS / 1000)
            write(chunk({"content": w if i == len(WORDS) - 1 else w + " "}))
        write(chunk({}, "stop"))
        write(b"data: [DONE]\n\n")
        write(b"")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: dict, token: str | None = None) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def get(url: str, token: str) -> dict:
    req = urllib.request.Request(url)
    req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def one_turn(base: str, user: str, token: str) -> tuple[float, float]:
    """(request sent, first delta received), monotonic."""
    req = urllib.request.Request(f"{base}/api/{user}/chat", data=json.dumps({"message": "hello"}).encode(),
                                 method="POST")
    req.add_header("content-type", "application/json")
    req.add_header("accept", "text/event-stream")
    req.add_header("authorization", f"Bearer {token}")
    sent = time.monotonic()
    first = None
    with urllib.request.urlopen(req, timeout=30) as r:
        event = ""
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "delta" and first is None:
                first = time.monotonic()
    if first is None:
        raise RuntimeError("no delta received")
    return sent, first


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    model_port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", model_port), Model)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data_dir = tempfile.mkdtemp(prefix="todobot-first-delta-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MCP_", "DATABASE_"))}
    env.update(BIND=f"127.0.0.1:{port}", DATA_DIR=data_dir,
               LLM_PROVIDER="openai", OPENAI_BASE_URL=f"http://127.0.0.1:{model_port}/v1",
               OPENAI_API_KEY="bench", OPENAI_MODEL="bench", RUST_LOG="warn", LOG_FORMAT="json",
               BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789")
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        signup = post(f"{base}/api/auth/sign-up/email",
                      {"name": "Bench", "email": "bench@example.com", "password": "bench password 1"})
        token = get(f"{base}/api/auth/token", signup["token"])["token"]
        user = signup["user"]["id"]
        for _ in range(3):  # warm up
            one_turn(base, user, token)
        for k in STAMPS:
            STAMPS[k].clear()
        ttfd, before, through, added = [], [], [], []
        for _ in range(RUNS):
            sent, first = one_turn(base, user, token)
            received, first_token = STAMPS["received"][-1], STAMPS["first_token"][-1]
            ttfd.append((first - sent) * 1000)
            before.append((received - sent) * 1000)
            through.append((first - first_token) * 1000)
            added.append((first - sent) * 1000 - FIRST_TOKEN_MS)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.shutdown()
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    lines = [
        MARKER, "",
        "Produced by `bench/first-delta` (see bench/README.md).", "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; todobot {rev} ({Path(BIN).parent.name} build); "
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- {RUNS} chat turns over `POST /api/{{user}}/chat` with `Accept: text/event-stream`, SQLite, streaming mock "
        f"model in the client's process (first token after {FIRST_TOKEN_MS:.0f} ms, then a chunk every {CHUNK_MS:.0f} ms)",
        "",
        "| Measure (ms) | p50 | p90 | p99 | max |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, vals in [("Request -> first text delta", ttfd),
                       ("Request -> model receives the request (todobot before the model)", before),
                       ("Model's first token -> client receives the delta (pass-through)", through),
                       ("Added latency (time to first delta - model's first-token time)", added)]:
        lines.append(f"| {name} | {pct(vals, 50):.2f} | {pct(vals, 90):.2f} | {pct(vals, 99):.2f} | {max(vals):.2f} |")
    p50 = statistics.median(through)
    lines += ["", f"Target: pass-through under 5 ms p50 — {'met' if p50 < 5 else 'NOT met'} ({p50:.2f} ms)."]
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "bench" / "RESULTS.md"
    old = out.read_text() if out.exists() else "# Benchmark results\n\n"
    head = old.split(MARKER)[0].rstrip("\n")
    out.write_text(head + "\n\n" + report)
    print(f"written to {out}")


if __name__ == "__main__":
    sys.exit(main())
