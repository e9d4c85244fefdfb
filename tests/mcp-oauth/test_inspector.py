"""The MCP Inspector CLI (the npm package, pinned in package.json) against a real todobot: with a
personal access token in an `Authorization` header it lists the tools (with --strict: no schema
portability problems at all), calls them, gets a tool error for an unknown argument, and is
refused once the token is revoked or when the token is wrong."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid

import httpx

BASE = os.environ["TODOBOT_BASE"]
INSPECTOR = os.environ["INSPECTOR"]
HOME = tempfile.mkdtemp(prefix="todobot-inspector-")


def inspector(token: str, *args: str) -> tuple[int, str, str]:
    out = subprocess.run(
        [INSPECTOR, "--cli", f"{BASE}/mcp", "--transport", "http",
         "--header", f"Authorization: Bearer {token}", "--stored-auth-only", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": HOME},
    )
    return out.returncode, out.stdout, out.stderr


def main() -> None:
    http = httpx.Client(base_url=BASE)
    email = f"inspector-{uuid.uuid4().hex[:10]}@example.com"
    r = http.post("/api/auth/sign-up/email",
                  json={"name": "Insp", "email": email, "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    session = {"authorization": f"Bearer {r.json()['token']}"}
    r = http.post("/api/account/tokens", headers=session, json={"name": "Inspector", "expires_in_days": 1})
    assert r.status_code in (200, 201), r.text
    pat, pat_id = r.json()["token"], r.json()["id"]

    print("1. tools/list with a personal access token (--strict)")
    rc, out, err = inspector(pat, "--method", "tools/list", "--strict")
    assert rc == 0, (rc, out, err)
    assert "Warning" not in err, f"schema portability warnings:\n{err}"
    tools = {t["name"]: t for t in json.loads(out)["tools"]}
    assert sorted(tools) == ["add_task", "complete_task", "delete_task", "list_tasks", "update_task"], tools
    assert "outputSchema" in tools["list_tasks"], tools["list_tasks"]

    print("2. tools/call add_task and list_tasks")
    rc, out, err = inspector(pat, "--method", "tools/call", "--tool-name", "add_task",
                             "--tool-arg", "title=from the Inspector CLI")
    assert rc == 0, (rc, out, err)
    assert json.loads(out)["structuredContent"]["status"] == "created", out
    rc, out, err = inspector(pat, "--method", "tools/call", "--tool-name", "list_tasks")
    assert rc == 0, (rc, out, err)
    titles = [t["title"] for t in json.loads(out)["structuredContent"]["tasks"]]
    assert titles == ["from the Inspector CLI"], titles

    print("3. an unknown argument is a tool error, nothing created")
    rc, out, err = inspector(pat, "--method", "tools/call", "--tool-name", "add_task",
                             "--tool-arg", "title=x", "--tool-arg", "colour=red")
    assert rc != 0 and json.loads(out)["isError"] is True, (rc, out, err)

    print("4. a wrong token, then the revoked one, are refused")
    rc, out, err = inspector("tbp_not-a-token", "--method", "tools/list")
    assert rc != 0 and "UNAUTHORIZED" in out + err, (rc, out, err)
    r = http.delete(f"/api/account/tokens/{pat_id}", headers=session)
    assert r.status_code == 204, r.text
    rc, out, err = inspector(pat, "--method", "tools/list")
    assert rc != 0 and "UNAUTHORIZED" in out + err, (rc, out, err)
    print("mcp-inspector: all passed")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(HOME, ignore_errors=True)
