#!/usr/bin/env bash
# Removes what deploy.sh and the compose demo created. Usage:
#   scripts/cleanup.sh [k8s|compose|all]      default: all
# Kubernetes: deletes the deploy/ objects (namespace multinic-system, the ClusterRole and
# its binding). It does not touch the nodes' /etc/netplan: MultiNIC's files stay until
# their rows are deleted, because removing them would take interfaces down.
# Compose: `docker compose down -v` (containers, network, the sandbox volume).
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
case "$what" in k8s | compose | all) ;; *) echo "usage: $(basename "$0") [k8s|compose|all]" >&2; exit 2 ;; esac

if [[ "$what" == k8s || "$what" == all ]]; then
  if command -v kubectl >/dev/null 2>&1 && kubectl config current-context >/dev/null 2>&1; then
    kubectl delete -k deploy/ --ignore-not-found --wait=false
  else
    echo "cleanup.sh: kubectl or a context is missing; skipping Kubernetes" >&2
  fi
fi

if [[ "$what" == compose || "$what" == all ]]; then
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    docker compose down -v --remove-orphans
  else
    echo "cleanup.sh: docker compose is missing; skipping the compose demo" >&2
  fi
fi
