"""End to end with the official Python MCP SDK's OAuth client: knowing only the /mcp URL, it
discovers the authorization server, registers, sends the user through the real consent page (in
headless Chromium), calls the tools, refreshes its access token, and stops working once the user
revokes it in the settings API. Then a client identified by a Client ID Metadata Document URL
(served here; the server runs with OAUTH_CIMD_ALLOW_PRIVATE for that) goes through the same
consent page without registering."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import json
import os
import secrets
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

HERE = Path(__file__).resolve().parent
BASE = os.environ["TODOBOT_BASE"]
CLIENT_NAME = "SDK e2e client"
PASSWORD = "correct horse battery"
CIMD_CLIENT_NAME = "Metadata document e2e client"
CIMD_REDIRECT = "http://127.0.0.1:45679/callback"


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info):
        self.client = client_info


class Browser:
    """The user's browser: the consent page, driven by consent.mjs."""

    def __init__(self, email: str) -> None:
        self.email = email
        self.landed: str | None = None
        self.allowed = True
        self.visits = 0

    async def redirect(self, url: str) -> None:
        self.visits += 1
        if not self.allowed:
            raise RuntimeError("sign-in needed again (expected after revocation)")
        out = await asyncio.to_thread(
            subprocess.run,
            ["node", str(HERE / "consent.mjs"), url, self.email, PASSWORD, CLIENT_NAME],
            capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, out.stderr
        self.landed = out.stdout.strip().splitlines()[-1]

    async def callback(self):
        q = parse_qs(urlparse(self.landed).query)
        assert "error" not in q, q
        return q["code"][0], q.get("state", [None])[0]


def provider(storage: MemoryStorage, browser: Browser) -> OAuthClientProvider:
    return OAuthClientProvider(
        server_url=f"{BASE}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name=CLIENT_NAME,
            redirect_uris=["http://127.0.0.1:45678/callback"],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
    )


async def call(auth: OAuthClientProvider, tool: str, args: dict):
    async with streamablehttp_client(f"{BASE}/mcp", auth=auth) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await session.call_tool(tool, args)


async def mcp_status(http: httpx.AsyncClient, access_token: str) -> int:
    r = await http.post("/mcp", headers={"authorization": f"Bearer {access_token}",
                                         "accept": "application/json, text/event-stream"},
                        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    return r.status_code


def serve_metadata_document() -> str:
    """The client's own site: serves its Client ID Metadata Document; returns the document's URL."""
    holder: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = json.dumps({
                "client_id": holder["url"], "client_name": CIMD_CLIENT_NAME,
                "redirect_uris": [CIMD_REDIRECT], "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "token_endpoint_auth_method": "none",
            }).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["url"] = f"http://127.0.0.1:{server.server_address[1]}/oauth/client.json"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder["url"]


async def metadata_document_client(http: httpx.AsyncClient, email: str) -> None:
    print("4. a client identified by its metadata document URL (no registration), consent in the browser")
    client_id = serve_metadata_document()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    asm = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert asm["client_id_metadata_document_supported"] is True, asm
    url = f"{asm['authorization_endpoint']}?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": CIMD_REDIRECT, "state": "cimd",
        "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{BASE}/mcp"})
    # the consent page names the client and the host of its document URL
    out = await asyncio.to_thread(
        subprocess.run,
        ["node", str(HERE / "consent.mjs"), url, email, PASSWORD, f"{CIMD_CLIENT_NAME} (127.0.0.1)"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    q = parse_qs(urlparse(out.stdout.strip().splitlines()[-1]).query)
    assert q.get("state") == ["cimd"], q
    r = await http.post("/oauth/token", data={
        "grant_type": "authorization_code", "client_id": client_id, "code": q["code"][0],
        "code_verifier": verifier, "redirect_uri": CIMD_REDIRECT, "resource": f"{BASE}/mcp"})
    assert r.status_code == 200, r.text
    assert await mcp_status(http, r.json()["access_token"]) == 200


async def main() -> None:
    email = f"sdk-{uuid.uuid4().hex[:10]}@example.com"
    async with httpx.AsyncClient(base_url=BASE) as http:
        r = await http.post("/api/auth/sign-up/email", json={"name": "SDK", "email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        session_token = r.json()["token"]
        storage, browser = MemoryStorage(), Browser(email)
        auth = provider(storage, browser)

        print("1. connect knowing only the URL: discovery, registration, consent, tokens")
        result = await call(auth, "add_task", {"title": "from the Python SDK over OAuth"})
        assert not result.isError, result
        assert browser.visits == 1 and storage.client is not None and storage.tokens is not None
        listed = await call(auth, "list_tasks", {})
        assert "from the Python SDK over OAuth" in str(listed.content), listed

        print("2. the access token expires; the SDK refreshes (the refresh token rotates)")
        first_refresh = storage.tokens.refresh_token
        await asyncio.sleep(int(os.environ.get("ACCESS_TTL", "3")) + 2)
        listed = await call(auth, "list_tasks", {})
        assert not listed.isError
        assert storage.tokens.refresh_token != first_refresh, "no refresh happened"
        assert browser.visits == 1, "refreshing must not need the browser"

        print("3. the user revokes the client in the settings API: it stops at once")
        # a fresh access token (well within its lifetime) and refresh token, as the client would hold them
        r = await http.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": storage.client.client_id,
                                                  "refresh_token": storage.tokens.refresh_token})
        assert r.status_code == 200, r.text
        fresh = r.json()
        assert await mcp_status(http, fresh["access_token"]) == 200
        r = await http.get("/api/account/connections", headers={"authorization": f"Bearer {session_token}"})
        [connection] = r.json()
        assert connection["client_name"] == CLIENT_NAME
        r = await http.delete(f"/api/account/connections/{connection['id']}",
                              headers={"authorization": f"Bearer {session_token}"})
        assert r.status_code == 204
        assert await mcp_status(http, fresh["access_token"]) == 401, "an unexpired access token still works"
        r = await http.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": storage.client.client_id,
                                                  "refresh_token": fresh["refresh_token"]})
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
        browser.allowed = False
        try:
            await call(auth, "list_tasks", {})
        except BaseException as e:  # noqa: BLE001 - any failure is the expected outcome
            print(f"   refused as expected: {type(e).__name__}")
        else:
            raise AssertionError("a revoked client still works")
        await metadata_document_client(http, email)
    print("mcp-oauth: all passed")


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
