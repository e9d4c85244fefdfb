"""Tests on the rendered Helm chart: security settings, probes, resources, network policies,
autoscaling, hooks, and that no secret value leaks outside Secret objects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

CHART = Path(__file__).resolve().parents[1] / "helm" / "todobot"
HELM = os.environ.get("HELM", "helm")
VALUES = ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"]
SENTINELS = {
    "secrets.betterAuthSecret": "SENTINEL-auth-secret-7c1e",
    "secrets.openaiApiKey": "SENTINEL-openai-key-93ab",
    "postgresql.auth.password": "SENTINEL-pg-password-55d0",
    "secrets.databaseUrl": "postgres://u:SENTINEL-dburl-2f6a@db.example:5432/todobot",
}


def render(*args: str) -> list[dict]:
    out = subprocess.run([HELM, "template", "rel", str(CHART), "-n", "todobot", *args],
                         check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def render_values(name: str, *extra: str) -> list[dict]:
    return render("-f", str(CHART / name), *extra)


def pod_specs(docs):
    for d in docs:
        kind = d["kind"]
        if kind in ("Deployment", "StatefulSet", "Job"):
            yield d, d["spec"]["template"]["spec"]
        elif kind == "Pod":
            yield d, d["spec"]


def by(docs, kind, name=None):
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


@pytest.fixture(scope="module", params=VALUES)
def docs(request):
    return render_values(request.param)


def test_every_pod_is_locked_down(docs):
    specs = list(pod_specs(docs))
    assert len(specs) >= 4
    for d, spec in specs:
        name = f'{d["kind"]}/{d["metadata"]["name"]}'
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True, name
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert sc["runAsNonRoot"] is True, name
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", name
            assert c["resources"]["requests"] and c["resources"]["limits"], name
            assert "memory" in c["resources"]["limits"] and "cpu" in c["resources"]["limits"], name


def test_services_have_probes(docs):
    for dep in by(docs, "Deployment"):
        c = dep["spec"]["template"]["spec"]["containers"][0]
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for sts in by(docs, "StatefulSet"):
        c = sts["spec"]["template"]["spec"]["containers"][0]
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(c)


def test_web_and_mcp_are_separate_deployments_wired_together(docs):
    web = by(docs, "Deployment", "rel-todobot-web")[0]["spec"]["template"]["spec"]["containers"][0]
    mcp = by(docs, "Deployment", "rel-todobot-mcp")[0]["spec"]["template"]["spec"]["containers"][0]
    assert web["args"] == ["serve"] and mcp["args"] == ["mcp"]
    env = {e["name"]: e for e in web["env"]}
    assert env["MCP_URL"]["value"] == "http://rel-todobot-mcp:8080/mcp"
    assert env["BETTER_AUTH_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "BETTER_AUTH_SECRET"


def test_network_policies_follow_ingress_web_mcp_database(docs):
    nps = {d["metadata"]["name"]: d["spec"] for d in by(docs, "NetworkPolicy")}
    for spec in nps.values():
        assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
    web = nps["rel-todobot-web"]
    peers = web["ingress"][0]["from"]
    assert peers[0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert peers[1]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "test"
    mcp = nps["rel-todobot-mcp"]
    comps = [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in mcp["ingress"][0]["from"]]
    assert comps == ["web", "test"]
    assert mcp["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8080}]
    # MCP cannot reach the LLM or anything but DNS and the database
    egress_ports = {p["port"] for rule in mcp["egress"] for p in rule["ports"]}
    assert egress_ports == {53, 5432}
    if "rel-todobot-database" in nps:
        db = nps["rel-todobot-database"]
        comps = [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in db["ingress"][0]["from"]]
        assert comps == ["web", "mcp", "migrate"]
        assert db["egress"] == []


def test_autoscaling_and_disruption_budgets():
    prod = render_values("values-prod.yaml")
    for comp in ("web", "mcp"):
        hpa = by(prod, "HorizontalPodAutoscaler", f"rel-todobot-{comp}")[0]
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"rel-todobot-{comp}"
        assert hpa["spec"]["minReplicas"] >= 2
        assert by(prod, "PodDisruptionBudget", f"rel-todobot-{comp}")
        assert "replicas" not in by(prod, "Deployment", f"rel-todobot-{comp}")[0]["spec"], "the HPA owns replicas"
    dev = render_values("values-dev.yaml")
    assert not by(dev, "HorizontalPodAutoscaler") and not by(dev, "PodDisruptionBudget")
    assert by(dev, "Deployment", "rel-todobot-web")[0]["spec"]["replicas"] == 1


def test_migration_job_is_a_hook():
    prod = render_values("values-prod.yaml")
    job = by(prod, "Job", "rel-todobot-migrate")[0]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    dev = render_values("values-dev.yaml")
    job = by(dev, "Job", "rel-todobot-migrate")[0]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade", "bundled DB: not before it exists"
    hook_secret = by(dev, "Secret", "rel-todobot-migrate")[0]
    assert int(hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < 0


def test_postgres_statefulset_has_a_volume_claim():
    dev = render_values("values-dev.yaml")
    sts = by(dev, "StatefulSet")[0]
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert not by(render_values("values-prod.yaml"), "StatefulSet"), "prod uses an external database"


def test_helm_test_probes_the_services():
    pod = by(render_values("values-dev.yaml"), "Pod")[0]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    args = [c["args"] for c in pod["spec"]["containers"]]
    assert args == [["probe", "http://rel-todobot-web:80/readyz"], ["probe", "http://rel-todobot-mcp:8080/readyz"]]


def test_ingress_tls_and_streaming():
    ing = by(render_values("values-prod.yaml"), "Ingress")[0]
    assert ing["spec"]["tls"][0]["hosts"] == ["todobot.example.com"]
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"


def sentinel_args(extra: dict | None = None) -> list[str]:
    args = []
    for k, v in {**SENTINELS, **(extra or {})}.items():
        args += ["--set-string", f"{k}={v}"]
    return args


@pytest.mark.parametrize("values", VALUES)
def test_secret_values_only_appear_in_secrets(values):
    extra = {"secrets.existingSecret": ""}
    docs = render_values(values, *sentinel_args(extra))
    secrets_text = yaml.safe_dump([d for d in docs if d["kind"] == "Secret"])
    for d in docs:
        if d["kind"] == "Secret":
            continue
        text = yaml.safe_dump(d)
        for needle in SENTINELS.values():
            assert needle.split("@")[0] not in text, f'{d["kind"]}/{d["metadata"]["name"]} leaks a secret'
    assert SENTINELS["secrets.betterAuthSecret"] in secrets_text
    for cm in by(docs, "ConfigMap"):
        assert not {"BETTER_AUTH_SECRET", "DATABASE_URL", "OPENAI_API_KEY"} & set(cm["data"])


def test_existing_secret_means_no_secret_is_rendered():
    docs = render_values("values-prod.yaml", *sentinel_args({"secrets.existingSecret": "todobot-prod"}))
    assert not by(docs, "Secret")
    text = yaml.safe_dump_all(docs)
    for needle in SENTINELS.values():
        assert needle.split("@")[0] not in text


def test_schema_rejects_typos_and_missing_secrets():
    bad = subprocess.run([HELM, "template", "rel", str(CHART), "-f", str(CHART / "values-dev.yaml"),
                          "--set", "web.replicaCont=3"], capture_output=True, text=True)
    assert bad.returncode != 0 and "replicaCont" in bad.stderr
    missing = subprocess.run([HELM, "template", "rel", str(CHART)], capture_output=True, text=True)
    assert missing.returncode != 0 and "betterAuthSecret" in missing.stderr
