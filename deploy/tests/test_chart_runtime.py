"""The real binary under the chart's exact environment: for each values file, the ConfigMap plus the
containers' literal variables (secrets and addresses replaced by local ones) run the migrate init
container, then `todobot serve` and `todobot mcp` as the Deployments do. The app must accept every
setting, answer /readyz, serve /metrics on the metrics port only, and (offline planner) complete a chat
turn through the separate MCP service. Needs TODOBOT_BIN (scripts/test sets it); PostgreSQL when
TEST_DATABASE_URL is set, else an SQLite file shared by both processes."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from test_chart import CHART, FULL, DEFAULT_SETS, config, container, env_of, render

BIN = os.environ.get("TODOBOT_BIN", "")
PG = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not (BIN and Path(BIN).exists()), reason="needs TODOBOT_BIN (the built binary)")

RENDERS = {
    "default": DEFAULT_SETS,
    "dev": ["-f", str(CHART / "values-dev.yaml")],
    "staging": ["-f", str(CHART / "values-staging.yaml")],
    "prod": ["-f", str(CHART / "values-prod.yaml")],
    "full": ["-f", str(CHART / "values-dev.yaml"), "-f", str(FULL)],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body=None, token=None) -> tuple[int, str, dict]:
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, res.read().decode(), {k.lower(): v for k, v in res.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), {k.lower(): v for k, v in e.headers.items()}


def literal_env(c: dict) -> dict:
    return {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}


class Stack:
    """One release's processes, with local secrets, database and addresses."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.schema = f"todobot_chart_{uuid.uuid4().hex[:12]}" if PG else None
        self.local = {
            "PATH": os.environ.get("PATH", ""),
            "BETTER_AUTH_SECRET": secrets.token_hex(32),
            "DATABASE_URL": PG or f"sqlite://{tmp}/todobot.db?mode=rwc",
            "DATA_DIR": str(tmp),
        }
        if self.schema:
            self.local["DATABASE_SCHEMA"] = self.schema

    def env(self, cfg: dict, c: dict, **extra: str) -> dict:
        env = {**cfg, **literal_env(c), **self.local, **extra}
        if not self.schema:
            env.pop("DATABASE_SCHEMA", None)
        return env

    def start(self, role: str, env: dict) -> tuple[str, str]:
        port, metrics = free_port(), free_port()
        env = {**env, "BIND": f"127.0.0.1:{port}", "METRICS_BIND": f"127.0.0.1:{metrics}"}
        log = open(self.tmp / f"{role}.log", "w")
        proc = subprocess.Popen([BIN, role], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp)
        self.procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{role} did not become ready:\n{(self.tmp / f'{role}.log').read_text()}")
            time.sleep(0.1)
        return base, f"http://127.0.0.1:{metrics}"

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.schema:
            subprocess.run(["psql", PG, "-qc", f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'],
                           capture_output=True, check=False)


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    yield s
    s.close()


@pytest.mark.parametrize("values", list(RENDERS))
def test_the_app_runs_under_the_charts_environment(values, stack):
    docs = render(*RENDERS[values])
    cfg = config(docs)
    web_c, mcp_c = container(docs, "rel-todobot-web"), container(docs, "rel-todobot-mcp")
    init_c = container(docs, "rel-todobot-web", "migrate", init=True)

    # the init container: migrate and exit 0
    res = subprocess.run([BIN, "migrate"], env=stack.env(cfg, init_c), capture_output=True, text=True,
                         timeout=120, cwd=stack.tmp)
    assert res.returncode == 0, res.stderr
    # web first (it creates the signing key), then MCP (MIGRATE_ON_START=false for both, as rendered)
    assert env_of(web_c)["MIGRATE_ON_START"]["value"] == "false"
    mcp_url_placeholder = "http://127.0.0.1:9/mcp"
    web, web_metrics = stack.start("serve", stack.env(cfg, web_c, MCP_URL=mcp_url_placeholder))
    mcp, mcp_metrics = stack.start("mcp", stack.env(cfg, mcp_c))
    for base, metrics in ((web, web_metrics), (mcp, mcp_metrics)):
        status, body, _ = http("GET", f"{metrics}/metrics")
        assert status == 200 and "todobot_http_requests_total" in body
        assert http("GET", f"{base}/metrics")[0] == 404
    # helm test's probe
    probe = subprocess.run([BIN, "probe", f"{web}/readyz"], capture_output=True, text=True, env=stack.local)
    assert probe.returncode == 0, probe.stderr

    csp = http("GET", f"{web}/")[2]["content-security-policy"]
    assert ("cdn.platform.openai.com" in csp) == bool(cfg.get("CHATKIT_DOMAIN_KEY")), csp

    if cfg["LLM_PROVIDER"] == "openai":
        return  # needs a model; the rest is the offline planner's chat turn
    # a web server wired to the separate MCP service, as the chart wires them
    stack.procs[0].terminate()
    stack.procs[0].wait(timeout=15)
    web, _ = stack.start("serve", stack.env(cfg, web_c, MCP_URL=f"{mcp}/mcp"))
    status, body, headers = http("POST", f"{web}/api/auth/sign-up/email",
                                 {"name": "Chart", "email": "chart@example.com", "password": "correct horse battery"})
    assert status == 200, body
    user, jwt = json.loads(body)["user"]["id"], headers["set-auth-jwt"]
    status, body, _ = http("POST", f"{web}/api/{user}/chat", {"message": "add a task to buy milk"}, token=jwt)
    assert status == 200, body
    assert [c["name"] for c in json.loads(body)["tool_calls"]] == ["add_task"]
