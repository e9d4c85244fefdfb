"""Starts a real `todobot serve` for the protocol suite and offers small protocol helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("TODOBOT_BIN", str(ROOT / "target" / "debug" / "todobot"))
    port = _free_port()
    data_dir = tempfile.mkdtemp(prefix="todobot-chatkit-")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "DATABASE_", "MCP_", "CHATKIT_"))
    }
    env.update(
        BIND=f"127.0.0.1:{port}",
        DATA_DIR=data_dir,
        LLM_PROVIDER="local",
        APP_ENV="development",
        LOG_FORMAT="text",
        RUST_LOG="warn",
    )
    schema = None
    if os.environ.get("TEST_DATABASE_URL"):
        schema = f"todobot_test_{int(time.time())}_{uuid.uuid4().hex[:12]}"
        env["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
        env["DATABASE_SCHEMA"] = schema
    log = open(Path(data_dir) / "server.log", "wb")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("todobot did not become ready:\n" + (Path(data_dir) / "server.log").read_text())
        time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    if schema:
        subprocess.run(
            ["psql", os.environ["TEST_DATABASE_URL"], "-qc", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
            check=False,
            capture_output=True,
        )


class Client:
    """A signed-up user talking to /chatkit."""

    def __init__(self, base: str, name: str):
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30)
        email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
        r = self.http.post(
            "/api/auth/sign-up/email",
            json={"name": name, "email": email, "password": "correct horse battery"},
        )
        assert r.status_code == 200, r.text
        self.user_id = r.json()["user"]["id"]
        self.token = r.headers["set-auth-jwt"]

    def headers(self, token: str | None = "self") -> dict:
        h = {"content-type": "application/json"}
        if token == "self":
            h["authorization"] = f"Bearer {self.token}"
        elif token:
            h["authorization"] = f"Bearer {token}"
        return h

    def raw(self, body, token: str | None = "self") -> httpx.Response:
        content = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.http.post("/chatkit", content=content, headers=self.headers(token))

    def request(self, kind: str, params: dict, **kw) -> httpx.Response:
        return self.raw({"type": kind, "params": params, "metadata": {}}, **kw)

    def json(self, kind: str, params: dict) -> dict:
        r = self.request(kind, params)
        assert r.status_code == 200, f"{kind}: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith("application/json")
        return r.json()

    def stream(self, kind: str, params: dict) -> list[dict]:
        r = self.request(kind, params)
        assert r.status_code == 200, f"{kind}: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith("text/event-stream")
        events = []
        for frame in r.text.split("\n\n"):
            frame = frame.strip()
            if not frame:
                continue
            assert frame.startswith("data: "), frame
            events.append(json.loads(frame[len("data: "):]))
        return events

    def tasks(self) -> list[dict]:
        r = self.http.get(f"/api/{self.user_id}/tasks", headers=self.headers())
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def client(server):
    return Client(server, "Ada")


@pytest.fixture
def other(server):
    return Client(server, "Eve")
