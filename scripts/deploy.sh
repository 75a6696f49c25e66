#!/usr/bin/env bash
# Applies deploy/ (kustomize) to the current kubectl context. Usage:
#   scripts/deploy.sh [--dry-run]
# Create the real Secrets first (see deploy/secret.yaml): the committed ones hold
# placeholders only, and this script refuses to apply them over real ones.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v kubectl >/dev/null 2>&1 || { echo "deploy.sh: kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)" >&2; exit 1; }

if [[ "${1:-}" == "--dry-run" ]]; then
  kubectl apply -k deploy/ --dry-run=client
  exit 0
fi

context="$(kubectl config current-context 2>/dev/null || true)"
[[ -n "$context" ]] || { echo "deploy.sh: no current kubectl context" >&2; exit 1; }
echo "deploying MultiNIC to context ${context}"

# Keep real credentials: apply everything but the placeholder Secrets when they already exist.
if kubectl -n multinic-system get secret multinic-publisher-credentials >/dev/null 2>&1; then
  kubectl kustomize deploy/ | kubectl apply -f - --selector='!multinic.io/placeholder'
else
  echo "deploy.sh: WARNING: creating Secrets with placeholder values; replace them before the pods can connect" >&2
  kubectl apply -k deploy/
fi
kubectl -n multinic-system rollout status deployment/multinic-publisher --timeout=120s
kubectl -n multinic-system rollout status daemonset/multinic-agent --timeout=300s
