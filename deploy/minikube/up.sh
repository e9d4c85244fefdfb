#!/usr/bin/env bash
# Starts Minikube, builds the todobot image inside it, installs the chart with dev values and
# prints the URL.  Usage: deploy/minikube/up.sh [release] [namespace]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RELEASE=${1:-todobot}
NAMESPACE=${2:-todobot}
PROFILE=${MINIKUBE_PROFILE:-minikube}

for tool in minikube kubectl helm; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see docs/operations.md)"; exit 1; }
done

if ! minikube -p "$PROFILE" status >/dev/null 2>&1; then
  # Calico enforces the chart's NetworkPolicies (the default CNI ignores them).
  minikube -p "$PROFILE" start --cpus=2 --memory=4096 --cni=calico
fi
minikube -p "$PROFILE" addons enable ingress >/dev/null
minikube -p "$PROFILE" addons enable metrics-server >/dev/null

echo "building todobot:dev inside minikube (first build takes a few minutes)"
minikube -p "$PROFILE" image build -t todobot:dev -f deploy/docker/Dockerfile "$ROOT"

kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"
helm upgrade --install "$RELEASE" "$ROOT/deploy/helm/todobot" -n "$NAMESPACE" \
  -f "$ROOT/deploy/helm/todobot/values-dev.yaml" --wait --timeout 10m
helm test "$RELEASE" -n "$NAMESPACE"

IP=$(minikube -p "$PROFILE" ip)
echo
echo "todobot is up. Add this line to /etc/hosts, then open http://todobot.local/"
echo "  $IP todobot.local"
echo "or: kubectl -n $NAMESPACE port-forward svc/$RELEASE-web 8080:80  ->  http://localhost:8080/"
