#!/usr/bin/env bash
# Starts Minikube, builds the todobot image inside it, installs the chart with dev values, runs
# `helm test` and prints how to reach it.  Usage: deploy/minikube/up.sh [release] [namespace]
# Every kubectl/helm call is pinned to the Minikube profile's context, whatever context is current.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RELEASE=${1:-todobot}
NAMESPACE=${2:-todobot}
PROFILE=${MINIKUBE_PROFILE:-minikube}
IMAGE=todobot:dev
CHART="$ROOT/deploy/helm/todobot"

for tool in minikube kubectl helm; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see docs/operations.md)" >&2; exit 1; }
done

if ! minikube -p "$PROFILE" status >/dev/null 2>&1; then
  # Calico enforces the chart's NetworkPolicies (the default CNI ignores them).
  minikube -p "$PROFILE" start --cpus=2 --memory=4096 --cni=calico
fi
# Minikube names the kube context after the profile.
CONTEXT=$PROFILE
kubectl config get-contexts "$CONTEXT" >/dev/null 2>&1 \
  || { echo "no kube context '$CONTEXT' for minikube profile '$PROFILE'" >&2; exit 1; }
k() { kubectl --context "$CONTEXT" "$@"; }
h() { helm --kube-context "$CONTEXT" "$@"; }

minikube -p "$PROFILE" addons enable ingress >/dev/null
minikube -p "$PROFILE" addons enable metrics-server >/dev/null

echo "building $IMAGE inside minikube (the first build takes a few minutes)"
# `minikube image build` can exit 0 even when the build failed: check the image is really there.
minikube -p "$PROFILE" image build -t "$IMAGE" -f deploy/docker/Dockerfile "$ROOT"
if ! minikube -p "$PROFILE" image ls --format short | grep -Eq "(^|/)${IMAGE}\$"; then
  echo "the image $IMAGE is not in minikube after the build: see the build output above" >&2
  exit 1
fi

k get namespace "$NAMESPACE" >/dev/null 2>&1 || k create namespace "$NAMESPACE"
h upgrade --install "$RELEASE" "$CHART" -n "$NAMESPACE" -f "$CHART/values-dev.yaml" --wait --timeout 10m
h test "$RELEASE" -n "$NAMESPACE"

# The chart's resource names: <release>-todobot, or just <release> when it already contains "todobot".
FULLNAME=$RELEASE
[[ $RELEASE == *todobot* ]] || FULLNAME="$RELEASE-todobot"
IP=$(minikube -p "$PROFILE" ip)
cat <<EOF

todobot is up. Add this line to /etc/hosts, then open http://todobot.local/
  $IP todobot.local
or port-forward the web Service:
  kubectl --context $CONTEXT -n $NAMESPACE port-forward svc/$FULLNAME-web 8080:80   ->  http://localhost:8080/
Pods and logs:
  kubectl --context $CONTEXT -n $NAMESPACE get pods -l app.kubernetes.io/instance=$RELEASE
  kubectl --context $CONTEXT -n $NAMESPACE logs deploy/$FULLNAME-web -c web
Metrics (port 9090, not behind the Ingress):
  kubectl --context $CONTEXT -n $NAMESPACE port-forward svc/$FULLNAME-web 9090:9090   ->  http://localhost:9090/metrics
EOF
