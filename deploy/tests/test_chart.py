"""Tests on the rendered Helm chart: security settings, probes, resources, network policies,
autoscaling, hooks and first-install order, metrics wiring, every app setting reachable from values,
the connection budget, schema validation, and that no secret value leaks outside Secret objects."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "todobot"
FULL = Path(__file__).resolve().parent / "values-full.yaml"
HELM = os.environ.get("HELM", "helm")
VALUES = ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"]
SENTINELS = {
    "secrets.betterAuthSecret": "SENTINEL-auth-secret-7c1e-0123456789abcdef",
    "secrets.openaiApiKey": "SENTINEL-openai-key-93ab",
    "postgresql.auth.password": "SENTINEL-pg-password-55d0",
    "secrets.databaseUrl": "postgres://u:SENTINEL-dburl-2f6a@db.example:5432/todobot",
}
DEFAULT_SETS = ["--set", "secrets.betterAuthSecret=lint-only-secret-0123456789abcdef",
                "--set", "postgresql.auth.password=lint-only"]


def helm_template(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HELM, "template", "rel", str(CHART), "-n", "todobot", *args],
                          capture_output=True, text=True)


def render(*args: str) -> list[dict]:
    res = helm_template(*args)
    assert res.returncode == 0, res.stderr
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def render_values(name: str, *extra: str) -> list[dict]:
    return render("-f", str(CHART / name), *extra)


def render_full(*extra: str) -> list[dict]:
    return render("-f", str(CHART / "values-dev.yaml"), "-f", str(FULL), *extra)


def rejected(*args: str) -> str:
    """Renders values that must be refused; returns helm's error output."""
    res = helm_template("-f", str(CHART / "values-dev.yaml"), *args)
    assert res.returncode != 0, f"accepted: {args}"
    return res.stderr


def pod_specs(docs):
    for d in docs:
        kind = d["kind"]
        if kind in ("Deployment", "StatefulSet", "Job"):
            yield d, d["spec"]["template"]["spec"]
        elif kind == "Pod":
            yield d, d["spec"]


def by(docs, kind, name=None):
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs, kind, name):
    found = by(docs, kind, name)
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def container(docs, deployment, name=None, init=False):
    spec = one(docs, "Deployment", deployment)["spec"]["template"]["spec"]
    items = spec.get("initContainers" if init else "containers", [])
    return items[0] if name is None else next(c for c in items if c["name"] == name)


def env_of(c) -> dict:
    return {e["name"]: e for e in c.get("env", [])}


def config(docs) -> dict:
    return one(docs, "ConfigMap", "rel-todobot-config")["data"]


def netpols(docs) -> dict:
    return {d["metadata"]["name"]: d for d in by(docs, "NetworkPolicy")}


@pytest.fixture(scope="module", params=VALUES)
def docs(request):
    return render_values(request.param)


# ---- security, probes, wiring -------------------------------------------------------------------

def test_every_pod_is_locked_down(docs):
    specs = list(pod_specs(docs))
    assert len(specs) >= 4
    for d, spec in specs:
        name = f'{d["kind"]}/{d["metadata"]["name"]}'
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True, name
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for c in spec["containers"] + spec.get("initContainers", []):
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
        assert c["readinessProbe"]["httpGet"]["port"] == "http"
    for sts in by(docs, "StatefulSet"):
        c = sts["spec"]["template"]["spec"]["containers"][0]
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(c)


def test_web_and_mcp_are_separate_deployments_wired_together(docs):
    web = container(docs, "rel-todobot-web")
    mcp = container(docs, "rel-todobot-mcp")
    assert web["args"] == ["serve"] and mcp["args"] == ["mcp"]
    env = env_of(web)
    assert env["MCP_URL"]["value"] == "http://rel-todobot-mcp:8080/mcp"
    assert env["BETTER_AUTH_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "BETTER_AUTH_SECRET"
    assert "OPENAI_API_KEY" not in env_of(mcp), "MCP never needs the LLM key"
    hosts = config(docs)["MCP_ALLOWED_HOSTS"].split(",")
    assert {"rel-todobot-mcp", "rel-todobot-mcp.todobot.svc"} <= set(hosts)


# ---- first install: migrations before anything uses the database --------------------------------

def test_web_and_mcp_pods_migrate_first(docs):
    for dep in ("rel-todobot-web", "rel-todobot-mcp"):
        init = container(docs, dep, "migrate", init=True)
        assert init["args"] == ["migrate"]
        env = env_of(init)
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "DATABASE_URL"
        assert env["DB_MAX_CONNECTIONS"]["value"] == "2"
        # waits for the database (MIGRATE_WAIT_SECS from the ConfigMap it reads)
        assert init["envFrom"][0]["configMapRef"]["name"] == "rel-todobot-config"
        assert int(config(docs)["MIGRATE_WAIT_SECS"]) >= 120
        assert env_of(container(docs, dep))["MIGRATE_ON_START"]["value"] == "false"


def test_without_init_containers_web_migrates_at_start():
    docs = render_values("values-dev.yaml", "--set", "migrations.initContainer.enabled=false")
    for dep in ("rel-todobot-web", "rel-todobot-mcp"):
        assert "initContainers" not in one(docs, "Deployment", dep)["spec"]["template"]["spec"]
    assert env_of(container(docs, "rel-todobot-web"))["MIGRATE_ON_START"]["value"] == "true"
    assert env_of(container(docs, "rel-todobot-mcp"))["MIGRATE_ON_START"]["value"] == "false"


def hook(d) -> tuple[set, int]:
    ann = d["metadata"]["annotations"]
    return set(ann["helm.sh/hook"].split(",")), int(ann["helm.sh/hook-weight"])


def test_migration_job_hooks_and_its_policy_come_first():
    prod = render_values("values-prod.yaml")
    job = one(prod, "Job", "rel-todobot-migrate")
    phases, job_weight = hook(job)
    assert phases == {"pre-install", "pre-upgrade"}, "external DB: migrate before install too"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    policy = one(prod, "NetworkPolicy", "rel-todobot-migrate")
    pol_phases, pol_weight = hook(policy)
    assert pol_phases == phases and pol_weight < job_weight, "the Job's policy exists before the Job"
    assert "before-hook-creation" in policy["metadata"]["annotations"]["helm.sh/hook-delete-policy"]
    ports = {p["port"] for r in policy["spec"]["egress"] for p in r["ports"]}
    assert ports == {53, 5432}
    assert policy["spec"]["ingress"] == []

    dev = render_values("values-dev.yaml")
    phases, job_weight = hook(one(dev, "Job", "rel-todobot-migrate"))
    assert phases == {"pre-upgrade"}, "bundled DB: not before it exists (init containers migrate)"
    assert hook(one(dev, "Secret", "rel-todobot-migrate"))[1] < job_weight
    assert hook(one(dev, "NetworkPolicy", "rel-todobot-migrate"))[1] < job_weight


def test_job_carries_the_database_settings():
    docs = render_full()
    job = one(docs, "Job", "rel-todobot-migrate")["spec"]["template"]["spec"]
    env = env_of(job["containers"][0])
    assert env["DB_MAX_CONNECTIONS"]["value"] == "3"
    assert env["DATABASE_SCHEMA"]["value"] == "todobot_app"
    assert env["MIGRATE_WAIT_SECS"]["value"] == "240"
    assert env["RUST_BACKTRACE"]["value"] == "1"
    assert job["containers"][0]["envFrom"] == [{"configMapRef": {"name": "todobot-extra-config", "optional": True}}]
    assert job["imagePullSecrets"] == [{"name": "regcred"}]


# ---- rolling updates -----------------------------------------------------------------------------

def test_pre_stop_sleep_within_the_grace_period(docs):
    for dep in ("rel-todobot-web", "rel-todobot-mcp"):
        spec = one(docs, "Deployment", dep)["spec"]["template"]["spec"]
        sleep = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert 0 < sleep < spec["terminationGracePeriodSeconds"]
        assert sleep == 5


def test_pre_stop_sleep_is_configurable():
    docs = render_full()
    spec = one(docs, "Deployment", "rel-todobot-web")["spec"]["template"]["spec"]
    assert spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"] == 10
    assert spec["terminationGracePeriodSeconds"] == 90
    off = render_values("values-dev.yaml", "--set", "lifecycle.preStopSleepSeconds=0")
    assert "lifecycle" not in container(off, "rel-todobot-web")
    err = rejected("--set", "lifecycle.preStopSleepSeconds=30", "--set", "lifecycle.terminationGracePeriodSeconds=30")
    assert "preStopSleepSeconds" in err


def test_autoscaling_and_disruption_budgets():
    prod = render_values("values-prod.yaml")
    for comp in ("web", "mcp"):
        hpa = one(prod, "HorizontalPodAutoscaler", f"rel-todobot-{comp}")
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"rel-todobot-{comp}"
        assert hpa["spec"]["minReplicas"] >= 2
        assert by(prod, "PodDisruptionBudget", f"rel-todobot-{comp}")
        assert "replicas" not in one(prod, "Deployment", f"rel-todobot-{comp}")["spec"], "the HPA owns replicas"
    dev = render_values("values-dev.yaml")
    assert not by(dev, "HorizontalPodAutoscaler") and not by(dev, "PodDisruptionBudget")
    assert one(dev, "Deployment", "rel-todobot-web")["spec"]["replicas"] == 1
    full = render_full()
    assert one(full, "PodDisruptionBudget", "rel-todobot-web")["spec"] == {
        "maxUnavailable": "50%",
        "selector": {"matchLabels": {"app.kubernetes.io/name": "todobot", "app.kubernetes.io/instance": "rel",
                                     "app.kubernetes.io/component": "web"}}}
    assert one(full, "PodDisruptionBudget", "rel-todobot-mcp")["spec"]["maxUnavailable"] == 1
    # maxUnavailable replaces the default minAvailable without having to null it
    pdb = one(render_values("values-prod.yaml", "--set", "web.pdb.maxUnavailable=25%"),
              "PodDisruptionBudget", "rel-todobot-web")["spec"]
    assert pdb["maxUnavailable"] == "25%" and "minAvailable" not in pdb


# ---- every setting reachable ---------------------------------------------------------------------

# Variables of .env.example the chart sets itself or that do not apply in Kubernetes.
CHART_OWNED = {
    "BIND": "fixed to the container port",
    "DATA_DIR": "fixed to the /data volume",
    "MCP_URL": "the chart's MCP Service",
    "MIGRATE_ON_START": "the init containers migrate",
    "TODOBOT_USER": "`todobot mcp --stdio` only",
}


def test_every_documented_setting_reaches_the_containers():
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert len(documented) > 25
    docs = render_full()
    cfg = config(docs)
    for dep in ("rel-todobot-web", "rel-todobot-mcp"):
        present = set(cfg) | set(env_of(container(docs, dep)))
        missing = documented - present - set(CHART_OWNED)
        if dep.endswith("mcp"):
            missing -= {"OPENAI_API_KEY"}  # the MCP service never calls the LLM
        assert not missing, f"{dep}: settings the chart cannot set: {sorted(missing)} (add them to values)"


def test_values_reach_the_app():
    docs = render_full()
    cfg = config(docs)
    expected = {
        "BETTER_AUTH_URL": "https://todo.example.com",
        "AUTH_TRUSTED_ISSUERS": "https://frontend.example.com,https://other.example.com",
        "ACCESS_TOKEN_TTL_SECS": "600",
        "SESSION_TTL_SECS": "86400",
        "OAUTH_REFRESH_TOKEN_TTL_SECS": "172800",
        "OAUTH_CLIENT_ID_METADATA_DOCUMENTS": "false",
        "MCP_PUBLIC_URL": "https://todo.example.com/mcp",
        "MCP_ALLOWED_ORIGINS": "https://inspector.example.com",
        "SIGNIN_MAX_PER_CLIENT": "11",
        "SIGNIN_MAX_FAILURES_PER_ACCOUNT": "3",
        "SIGNIN_WINDOW_SECS": "120",
        "CORS_ORIGINS": "https://app.example.com,https://admin.example.com",
        "CHATKIT_DOMAIN_KEY": "domain_pk_full",
        "MAX_BODY_BYTES": "131072",
        "TRUST_PROXY_HEADERS": "false",
        "LLM_PROVIDER": "openai",
        "OPENAI_BASE_URL": "http://ollama.ollama.svc:11434/v1",
        "OPENAI_MODEL": "llama3.1",
        "LLM_TIMEOUT_SECS": "90",
        "LLM_MAX_RETRIES": "4",
        "AGENT_MAX_TURNS": "5",
        "HISTORY_WINDOW": "12",
        "DB_ACQUIRE_TIMEOUT_MS": "1500",
        "DATABASE_SCHEMA": "todobot_app",
        "MIGRATE_WAIT_SECS": "240",
        "RUST_LOG": "info,todobot_server=debug",
        "METRICS_BIND": "0.0.0.0:9464",
        "TRUSTED_PROXY_HOPS": "2",
        "HTTP_HEADER_TIMEOUT_SECS": "7",
        "HTTP_BODY_TIMEOUT_SECS": "25",
        "HTTP_IDLE_TIMEOUT_SECS": "45",
        "HTTP_MAX_CONNECTIONS": "512",
        "SIGNIN_MAX_FAILURES_PER_ACCOUNT_GLOBAL": "30",
        "TURN_LEASE_SECS": "12",
        "DB_STATEMENT_TIMEOUT_MS": "8000",
        "DB_BUSY_TIMEOUT_MS": "4000",
        "DB_WAIT_SECS": "90",
    }
    assert {k: cfg.get(k) for k in expected} == expected
    assert "mcp.example.com" in cfg["MCP_ALLOWED_HOSTS"].split(",")
    web, mcp = container(docs, "rel-todobot-web"), container(docs, "rel-todobot-mcp")
    assert env_of(web)["DB_MAX_CONNECTIONS"]["value"] == "10"
    assert env_of(mcp)["DB_MAX_CONNECTIONS"]["value"] == "5"
    assert env_of(web)["MCP_URL"]["value"] == "http://rel-todobot-mcp:8090/mcp"
    # extraEnv / extraEnvFrom on every todobot container; component extraEnv on its own only
    for c in (web, mcp, container(docs, "rel-todobot-web", "migrate", init=True)):
        assert env_of(c)["RUST_BACKTRACE"]["value"] == "1"
        assert env_of(c)["PGSSLROOTCERT_NOTE"]["valueFrom"]["configMapKeyRef"]["name"] == "todobot-extra"
        assert {"configMapRef": {"name": "todobot-extra-config", "optional": True}} in c["envFrom"]
    assert env_of(web)["WEB_ONLY"]["value"] == "yes" and "WEB_ONLY" not in env_of(mcp)
    assert env_of(mcp)["MCP_ONLY"]["value"] == "yes" and "MCP_ONLY" not in env_of(web)
    # extraEnv comes after the chart's variables, so it can override them
    names = [e["name"] for e in web["env"]]
    assert names.index("RUST_BACKTRACE") > names.index("DB_MAX_CONNECTIONS")


def test_trust_proxy_headers_follow_the_ingress_by_default():
    assert config(render_values("values-dev.yaml"))["TRUST_PROXY_HEADERS"] == "true"
    assert config(render_values("values-dev.yaml", "--set", "ingress.enabled=false"))["TRUST_PROXY_HEADERS"] == "false"
    assert config(render_full())["TRUST_PROXY_HEADERS"] == "false"
    hosts = config(render_values("values-dev.yaml"))["MCP_ALLOWED_HOSTS"].split(",")
    assert "todobot.local" in hosts, "the Ingress host reaches /mcp"


def test_empty_chatkit_key_is_not_emitted(docs):
    cfg = config(docs)
    assert "CHATKIT_DOMAIN_KEY" not in cfg, "empty = unset: the app keeps its strict CSP"
    assert "AUTH_TRUSTED_ISSUERS" not in config(render_values("values-dev.yaml"))


def test_image_by_tag_or_digest():
    digest = "sha256:" + "ab" * 32
    docs = render_values("values-staging.yaml", "--set", f"image.digest={digest}", "--set", "image.tag=")
    images = {c["image"] for _, spec in pod_specs(docs) for c in spec["containers"] + spec.get("initContainers", [])
              if "todobot" in c["image"]}
    assert images == {f"ghcr.io/todobot/todobot@{digest}"}
    full = container(render_full(), "rel-todobot-web")["image"]
    assert full == "registry.example.com/todobot/todobot:0.1.0@sha256:" + "0123456789abcdef" * 4
    assert container(render_values("values-prod.yaml"), "rel-todobot-web")["image"] == "ghcr.io/todobot/todobot:0.1.0"


# ---- database URL, connection budget -------------------------------------------------------------

TRICKY_PASSWORD = "p a@s:s/w%o#r+d?&=ü"
TRICKY_USER = "to do@b:o/t"


def secret_url(docs, name="rel-todobot-secrets") -> str:
    return one(docs, "Secret", name)["stringData"]["DATABASE_URL"]


def test_database_url_is_percent_encoded():
    docs = render_values("values-dev.yaml", "--set-string", f"postgresql.auth.password={TRICKY_PASSWORD}",
                         "--set-string", f"postgresql.auth.username={TRICKY_USER}")
    for name in ("rel-todobot-secrets", "rel-todobot-migrate"):
        url = secret_url(docs, name)
        assert "+" not in url.split("@")[0], "a space must be %20, never +"
        parts = urlsplit(url)
        assert parts.scheme == "postgres"
        assert (parts.hostname, parts.port, parts.path) == ("rel-todobot-postgresql", 5432, "/todobot")
        assert unquote(parts.username) == TRICKY_USER
        assert unquote(parts.password) == TRICKY_PASSWORD
    assert one(docs, "Secret", "rel-todobot-secrets")["stringData"]["POSTGRES_PASSWORD"] == TRICKY_PASSWORD


def test_the_app_reads_the_encoded_url():
    """The real binary parses the chart's DATABASE_URL: `todobot migrate` connects as the user the URL
    names (PostgreSQL trust auth here, so the password is parsed but not checked)."""
    binary, pg = os.environ.get("TODOBOT_BIN"), os.environ.get("TEST_DATABASE_URL")
    psql = shutil.which("psql")
    if not (binary and pg and psql and Path(binary).exists()):
        pytest.skip("needs TODOBOT_BIN, TEST_DATABASE_URL and psql")
    role = f"{TRICKY_USER} {uuid.uuid4().hex[:6]}"
    schema = f"todobot_chart_{uuid.uuid4().hex[:10]}"
    docs = render_values("values-dev.yaml", "--set-string", f"postgresql.auth.password={TRICKY_PASSWORD}",
                         "--set-string", f"postgresql.auth.username={role}")
    url = secret_url(docs)
    target = urlsplit(pg)
    url = url.replace("@rel-todobot-postgresql:5432/todobot", f"@{target.hostname}:{target.port or 5432}{target.path}")

    def sql(stmt: str) -> str:
        return subprocess.run([psql, pg, "-tAc", stmt], check=True, capture_output=True, text=True).stdout.strip()

    quoted = '"' + role.replace('"', '""') + '"'
    sql(f"CREATE ROLE {quoted} LOGIN SUPERUSER")
    try:
        env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url, "DATABASE_SCHEMA": schema,
               "MIGRATE_WAIT_SECS": "0", "DATA_DIR": "/tmp"}
        res = subprocess.run([binary, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        owner = sql(f"SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '{schema}'")
        assert owner == role
    finally:
        sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        sql(f"DROP ROLE IF EXISTS {quoted}")


def test_connection_budget_fits_max_connections():
    for name in VALUES:
        docs = render_values(name)  # renders: the shipped values fit
        assert docs
    # the bundled PostgreSQL really has the limit the budget is checked against
    sts = one(render_values("values-dev.yaml"), "StatefulSet", "rel-todobot-postgresql")
    assert sts["spec"]["template"]["spec"]["containers"][0]["args"] == ["-c", "max_connections=100"]
    err = rejected("--set", "web.autoscaling.enabled=true", "--set", "web.autoscaling.maxReplicas=12")
    assert "connection budget" in err and "database.maxConnections is 100" in err
    # (12+1) x 8 + (1+1) x 6 + 2 + 3 = 121 > 100; a larger server admits it
    render_values("values-dev.yaml", "--set", "web.autoscaling.enabled=true", "--set", "web.autoscaling.maxReplicas=12",
                  "--set", "database.maxConnections=121")
    rejected("--set", "web.autoscaling.enabled=true", "--set", "web.autoscaling.maxReplicas=12",
             "--set", "database.maxConnections=120")
    # prod at the issue's scale (20 web, 10 MCP) would need 239 with the default pools
    err = helm_template("-f", str(CHART / "values-prod.yaml"), "--set", "database.pool.mcp=6",
                        "--set", "database.maxConnections=100").stderr
    assert "239 connections" in err


# ---- metrics -------------------------------------------------------------------------------------

def test_metrics_have_their_own_port_outside_the_ingress(docs):
    assert config(docs)["METRICS_BIND"] == "0.0.0.0:9090"
    for comp in ("web", "mcp"):
        ports = {p["name"]: p["containerPort"] for p in container(docs, f"rel-todobot-{comp}")["ports"]}
        assert ports == {"http": 8080, "metrics": 9090}
        svc = {p["name"]: p for p in one(docs, "Service", f"rel-todobot-{comp}")["spec"]["ports"]}
        assert svc["metrics"]["targetPort"] == "metrics" and svc["http"]["targetPort"] == "http"
    for ing in by(docs, "Ingress"):
        backends = [p["backend"]["service"] for r in ing["spec"]["rules"] for p in r["http"]["paths"]]
        assert backends == [{"name": "rel-todobot-web", "port": {"name": "http"}}]
    annotations = one(docs, "Deployment", "rel-todobot-web")["spec"]["template"]["metadata"]["annotations"]
    assert not any(k.startswith("prometheus.io/") for k in annotations)
    assert not by(docs, "ServiceMonitor")


def test_scrape_annotations_and_service_monitor():
    docs = render_full("--set", "metrics.serviceMonitor.enabled=true",
                       "--set", "metrics.serviceMonitor.labels.release=kube-prometheus-stack")
    for comp in ("web", "mcp"):
        ann = one(docs, "Deployment", f"rel-todobot-{comp}")["spec"]["template"]["metadata"]["annotations"]
        assert (ann["prometheus.io/scrape"], ann["prometheus.io/port"], ann["prometheus.io/path"]) == \
            ("true", "9464", "/metrics")
    sm = one(docs, "ServiceMonitor", "rel-todobot")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert sm["spec"]["endpoints"][0]["port"] == "metrics"
    assert sm["spec"]["selector"]["matchExpressions"] == [
        {"key": "app.kubernetes.io/component", "operator": "In", "values": ["web", "mcp"]}]
    # a NodePort web Service is reachable from outside: metrics move to an in-cluster Service
    web_ports = [p["name"] for p in one(docs, "Service", "rel-todobot-web")["spec"]["ports"]]
    assert web_ports == ["http"]
    metrics_svc = one(docs, "Service", "rel-todobot-web-metrics")
    assert metrics_svc["spec"]["type"] == "ClusterIP"
    assert metrics_svc["spec"]["ports"][0]["name"] == "metrics"
    assert metrics_svc["metadata"]["labels"]["app.kubernetes.io/component"] == "web"


# ---- network policies ----------------------------------------------------------------------------

def rule_ports(rule) -> set:
    return {p["port"] for p in rule["ports"]}


def test_network_policies_follow_ingress_web_mcp_database(docs):
    nps = netpols(docs)
    for d in nps.values():
        assert set(d["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    web = nps["rel-todobot-web"]["spec"]
    peers = web["ingress"][0]["from"]
    assert peers[0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert peers[1]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "test"
    assert rule_ports(web["ingress"][0]) == {8080}
    mcp = nps["rel-todobot-mcp"]["spec"]
    comps = [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in mcp["ingress"][0]["from"]]
    assert comps == ["web", "test"]
    assert mcp["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8080}]
    # MCP cannot reach the LLM or anything but DNS and the database
    assert {p for rule in mcp["egress"] for p in rule_ports(rule)} == {53, 5432}
    if "rel-todobot-database" in nps:
        db = nps["rel-todobot-database"]["spec"]
        comps = [p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in db["ingress"][0]["from"]]
        assert comps == ["web", "mcp", "migrate"]
        assert db["egress"] == []
    # the migrate policy is a hook (created before the Job), never an ordinary object
    assert "helm.sh/hook" in nps["rel-todobot-migrate"]["metadata"].get("annotations", {})


def test_dns_only_to_the_cluster_dns(docs):
    for name, d in netpols(docs).items():
        if name == "rel-todobot-database":
            assert d["spec"]["egress"] == []
            continue
        dns = [r for r in d["spec"].get("egress", []) if 53 in rule_ports(r)]
        assert len(dns) == 1, name
        (peer,) = dns[0]["to"]
        assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}, name
        assert peer["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}, name
        assert rule_ports(dns[0]) == {53}


def test_llm_egress_excludes_private_ranges():
    web = netpols(render_values("values-prod.yaml"))["rel-todobot-web"]["spec"]
    (llm,) = [r for r in web["egress"] if 443 in rule_ports(r)]
    blocks = {b["ipBlock"]["cidr"]: set(b["ipBlock"].get("except", [])) for b in llm["to"]}
    assert blocks["0.0.0.0/0"] == {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                   "169.254.0.0/16"}
    assert {"fc00::/7", "fe80::/10"} <= blocks["::/0"]
    assert all("podSelector" not in p and "namespaceSelector" not in p for p in llm["to"])
    # the offline planner needs no LLM egress at all
    dev = netpols(render_values("values-dev.yaml"))["rel-todobot-web"]["spec"]
    assert not [r for r in dev["egress"] if 443 in rule_ports(r)]


def test_in_cluster_llm_and_extra_rules():
    nps = netpols(render_full())
    web = nps["rel-todobot-web"]["spec"]
    (incluster,) = [r for r in web["egress"] if 11434 in rule_ports(r)]
    assert incluster["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ollama"}},
                                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ollama"}}}]
    (public,) = [r for r in web["egress"] if 443 in rule_ports(r)]
    assert rule_ports(public) == {443, 8443}
    assert any(r["ports"] == [{"protocol": "TCP", "port": 4317}] for r in web["egress"]), "extraEgress"
    dns = next(r for r in web["egress"] if 53 in rule_ports(r))
    assert {"ipBlock": {"cidr": "169.254.20.10/32"}} in dns["to"]


@pytest.mark.parametrize("svc_type", ["NodePort", "LoadBalancer"])
def test_external_service_types_are_reachable(svc_type):
    docs = render_values("values-staging.yaml", "--set", f"web.service.type={svc_type}",
                         "--set", "networkPolicy.externalCidrs={203.0.113.0/24}")
    assert one(docs, "Service", "rel-todobot-web")["spec"]["type"] == svc_type
    web = netpols(docs)["rel-todobot-web"]["spec"]
    external = [r for r in web["ingress"] if any("ipBlock" in p for p in r["from"])]
    assert external == [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}],
                         "ports": [{"protocol": "TCP", "port": 8080}]}]
    cluster_ip = netpols(render_values("values-staging.yaml"))["rel-todobot-web"]["spec"]
    assert not [r for r in cluster_ip["ingress"] if any("ipBlock" in p for p in r["from"])]


def test_monitoring_may_scrape_the_metrics_port_only(docs):
    nps = netpols(docs)
    for comp in ("web", "mcp"):
        rules = [r for r in nps[f"rel-todobot-{comp}"]["spec"]["ingress"]
                 if any("namespaceSelector" in p and p["namespaceSelector"]["matchLabels"].get(
                     "kubernetes.io/metadata.name") == "monitoring" for p in r["from"])]
        assert len(rules) == 1 and rule_ports(rules[0]) == {9090}, comp
    custom = netpols(render_values("values-dev.yaml", "--set",
                                   "networkPolicy.monitoring.namespaceSelector.matchLabels.team=observability"))
    peer = custom["rel-todobot-web"]["spec"]["ingress"][1]["from"][0]
    assert peer["namespaceSelector"]["matchLabels"]["team"] == "observability"


# ---- other objects -------------------------------------------------------------------------------

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


# ---- validation: the schema and the template checks ----------------------------------------------

def test_schema_rejects_typos_and_missing_secrets():
    bad = helm_template("-f", str(CHART / "values-dev.yaml"), "--set", "web.replicaCont=3")
    assert bad.returncode != 0 and "replicaCont" in bad.stderr
    missing = helm_template()
    assert missing.returncode != 0 and "betterAuthSecret" in missing.stderr


INVALID = {
    "port above 65535": ["--set", "web.service.port=99999"],
    "port 0": ["--set", "mcp.service.port=0"],
    "metrics port on the app port": ["--set", "metrics.port=8080"],
    "LLM egress port": ["--set", "networkPolicy.llmEgress.ports={443,70000}"],
    "database egress port": ["--set", "networkPolicy.databaseEgress.port=65536"],
    "CIDR prefix": ["--set", "networkPolicy.databaseEgress.cidrs={10.0.0.0/33}"],
    "CIDR octet": ["--set", "networkPolicy.externalCidrs={300.1.1.0/24}"],
    "CIDR text": ["--set", "networkPolicy.databaseEgress.cidrs={anywhere}"],
    "CIDR without prefix": ["--set", "networkPolicy.dns.cidrs={169.254.20.10}"],
    "IPv6 CIDR prefix": ["--set", "networkPolicy.externalCidrs={2001:db8::/129}"],
    "minAvailable text": ["--set", "web.pdb.minAvailable=abc"],
    "minAvailable percent": ["--set", "web.pdb.minAvailable=150%"],
    "maxUnavailable negative": ["--set", "mcp.pdb.minAvailable=null", "--set", "mcp.pdb.maxUnavailable=-1"],
    "image tag that is a digest": ["--set", "image.tag=sha256:" + "a" * 64],
    "image digest without algorithm": ["--set", "image.digest=" + "a" * 64],
    "image digest too short": ["--set", "image.digest=sha256:abc"],
    "memory unit": ["--set", "web.resources.limits.memory=1.5GB"],
    "cpu text": ["--set-string", "mcp.resources.requests.cpu=one"],
    "negative quantity": ["--set-string", "web.resources.requests.cpu=-1"],
    "volume size": ["--set", "postgresql.persistence.size=lots"],
    "node port": ["--set", "web.service.type=NodePort", "--set", "web.service.nodePort=70000"],
    "service type": ["--set", "web.service.type=ExternalName"],
    "pool size": ["--set", "database.pool.web=0"],
    "schema name": ["--set", "database.schema=drop table"],
    "trusted issuer": ["--set", "auth.trustedIssuers={frontend.example.com}"],
}


@pytest.mark.parametrize("case", list(INVALID))
def test_schema_rejects(case):
    assert "don't meet the specifications of the schema" in rejected(*INVALID[case])


TEMPLATE_CHECKS = {
    "HPA min above max": (["--set", "web.autoscaling.enabled=true", "--set", "web.autoscaling.minReplicas=3",
                           "--set", "web.autoscaling.maxReplicas=2"], "must not exceed"),
    "short secret": (["--set", "secrets.betterAuthSecret=too-short"], "at least 32 characters"),
    "short production secret": (["--set", "appEnv=production", "--set", "secrets.betterAuthSecret=short"],
                                "at least 32 characters"),
    "placeholder production secret": (["--set", "appEnv=production", "--set",
                                       "secrets.betterAuthSecret=changeme-changeme-changeme-changeme"], "placeholder"),
    "low-entropy production secret": (["--set", "appEnv=production", "--set",
                                       "secrets.betterAuthSecret=" + "ab" * 20], "distinct characters"),
    "neither PDB field": (["--set", "web.pdb.enabled=true", "--set", "web.pdb.minAvailable=null"],
                          "minAvailable or maxUnavailable"),
    "except of another address family": (["--set", "networkPolicy.llmEgress.ipBlocks[0].cidr=0.0.0.0/0",
                                          "--set", "networkPolicy.llmEgress.ipBlocks[0].except={fc00::/7}"],
                                         "address family"),
}


@pytest.mark.parametrize("case", list(TEMPLATE_CHECKS))
def test_template_checks_reject(case):
    args, message = TEMPLATE_CHECKS[case]
    assert message in rejected(*args)


def test_secret_checks_apply_only_when_the_chart_creates_the_secret():
    docs = render_values("values-staging.yaml", "--set", "secrets.betterAuthSecret=short")
    assert not by(docs, "Secret", "rel-todobot-secrets")
    render_values("values-dev.yaml", "--set", "secrets.betterAuthSecret=" + "x" * 32)  # development: length only


VALID = {
    "binary and decimal quantities": ["--set", "web.resources.limits.memory=1.5Gi", "--set",
                                      "mcp.resources.limits.memory=500M", "--set", "web.resources.requests.cpu=250m",
                                      "--set", "postgresql.persistence.size=0.5Ti"],
    "plain numbers": ["--set", "web.resources.requests.cpu=0.5", "--set", "mcp.resources.limits.cpu=2",
                      "--set-string", "web.resources.limits.cpu=1.5", "--set-string", "mcp.resources.requests.memory=1e8"],
    "micro and kilo": ["--set-string", "web.resources.requests.cpu=100u", "--set-string",
                       "web.resources.requests.memory=64k", "--set-string", "web.resources.limits.memory=.5Gi"],
    "percent PDB": ["--set", "web.pdb.enabled=true", "--set", "web.pdb.minAvailable=50%"],
    "IPv6 and IPv4 CIDRs": ["--set", "networkPolicy.databaseEgress.cidrs={fd00:10::/64,10.20.0.0/16}"],
    "highest port": ["--set", "web.service.port=65535", "--set", "metrics.port=1"],
}


@pytest.mark.parametrize("case", list(VALID))
def test_schema_accepts(case):
    assert render_values("values-dev.yaml", *VALID[case])
