"""The release workflow (it cannot run here): built from the project's Dockerfile, tagged by version,
pushed to GHCR with its digest as output, actions pinned to commits, least privilege."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_runs_on_version_tags_only():
    wf = load()
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as true
    assert list(on) == ["push"] and list(on["push"]) == ["tags"]
    assert all(t.startswith("v") for t in on["push"]["tags"])


def test_builds_the_dockerfile_and_pushes_to_ghcr_with_the_digest():
    job = load()["jobs"]["image"]
    steps = {s.get("id") or s.get("name") or s["uses"].split("@")[0]: s for s in job["steps"]}
    build = steps["build"]["with"]
    assert build["file"] == "deploy/docker/Dockerfile" and build["context"] == "."
    assert build["push"] is True
    assert "VERSION=${{ steps.meta.outputs.version }}" in build["build-args"]
    meta = steps["meta"]["with"]
    assert meta["images"].startswith("ghcr.io/")
    assert "type=semver,pattern={{version}}" in meta["tags"]
    assert steps["docker/login-action"]["with"]["registry"] == "ghcr.io"
    assert job["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    assert (ROOT / build["file"]).exists()


def test_actions_are_pinned_to_commits_and_permissions_are_minimal():
    wf = load()
    assert wf["permissions"] == {"contents": "read"}
    job = wf["jobs"]["image"]
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    for step in job["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    text = WORKFLOW.read_text()
    # untrusted values reach shell scripts through env, never ${{ }} inside `run:`
    for step in job["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")
    assert re.search(r"persist-credentials: false", text)
