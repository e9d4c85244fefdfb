"""deploy/minikube/up.sh against recording stand-ins for minikube, kubectl and helm (no cluster here):
it must stop when the image is missing after `minikube image build` (which can exit 0 on a failed
build), pin every kubectl/helm call to the profile's context, and print the real Service name."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "minikube" / "up.sh"

FAKE = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$FAKE_LOG"
case "$(basename "$0") $*" in
  *"image ls"*) printf '%s\\n' $FAKE_IMAGES ;;
  *" ip") echo 192.168.49.2 ;;
  "kubectl config get-contexts"*) [[ $* == *"$FAKE_CONTEXT"* ]]; exit ;;
esac
exit 0
"""


@pytest.fixture
def fakes(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("minikube", "kubectl", "helm"):
        p = bin_dir / tool
        p.write_text(FAKE)
        p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return bin_dir, tmp_path / "calls.log"


def run(fakes, images: str, *args: str, profile="demo-profile",
        context="demo-profile") -> tuple[subprocess.CompletedProcess, list[str]]:
    """Runs up.sh; `context` is the only kube context the fake kubectl knows."""
    bin_dir, log = fakes
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LOG": str(log), "FAKE_IMAGES": images,
           "FAKE_CONTEXT": context, "MINIKUBE_PROFILE": profile, "HOME": str(bin_dir.parent)}
    res = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return res, calls


def test_a_missing_image_stops_before_installing(fakes):
    res, calls = run(fakes, "docker.io/library/postgres:16")
    assert res.returncode != 0
    assert "todobot:dev is not in minikube" in res.stderr
    assert any("image build -t todobot:dev" in c for c in calls)
    assert not any(c.startswith("helm") for c in calls), "nothing is installed without the image"


def test_every_call_is_pinned_to_the_profile_context(fakes):
    res, calls = run(fakes, "docker.io/library/todobot:dev", "demo", "apps")
    assert res.returncode == 0, res.stderr
    cluster_calls = [c for c in calls if c.startswith(("kubectl", "helm")) and "config get-contexts" not in c]
    assert any(c.startswith("helm") and "upgrade --install demo" in c for c in cluster_calls)
    for c in cluster_calls:
        flag = "--kube-context demo-profile" if c.startswith("helm") else "--context demo-profile"
        assert flag in c, c
    assert all(c.startswith("minikube -p demo-profile") for c in calls if c.startswith("minikube"))


def test_prints_the_real_service_names(fakes):
    res, _ = run(fakes, "docker.io/library/todobot:dev", "demo", "apps")
    assert "port-forward svc/demo-todobot-web 8080:80" in res.stdout
    assert "--context demo-profile -n apps" in res.stdout
    assert "svc/demo-web" not in res.stdout
    res, _ = run(fakes, "todobot:dev", "todobot", "todobot")
    assert "svc/todobot-web 8080:80" in res.stdout, "a release named todobot is the chart's full name"


def test_an_unknown_context_is_an_error(fakes):
    res, calls = run(fakes, "todobot:dev", context="something-else")
    assert res.returncode != 0 and "no kube context 'demo-profile'" in res.stderr
    assert not any(c.startswith("helm") for c in calls)
