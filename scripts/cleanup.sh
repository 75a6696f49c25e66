#!/usr/bin/env bash
# Removes what deploy.sh or the compose demo created. The target is always explicit:
#
#   scripts/cleanup.sh k8s --context NAME     delete from that kubectl context
#   scripts/cleanup.sh k8s                    asks (on a terminal) whether to delete from the
#                                             current context; without a terminal it refuses
#   scripts/cleanup.sh compose                `docker compose down -v` (containers, network, sandbox volume)
#
# Kubernetes: deletes deploy/ and deploy/monitoring's objects: the namespace
# multinic-system (with the Secrets made there by hand, the PodMonitors, the PrometheusRule
# and the dashboard ConfigMap), the ClusterRole and its binding. Left in place, said at the
# end: the nodes' MultiNIC netplan files (removing them would take interfaces down), the
# nodes' /etc/multinic/agent.yaml, and the RabbitMQ and database users.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: $(basename "$0") k8s [--context NAME] | compose" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
what="$1"; shift
context=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --context) context="${2:?--context needs a name}"; shift 2 ;;
    *) usage ;;
  esac
done

case "$what" in
  k8s)
    command -v kubectl >/dev/null 2>&1 || { echo "cleanup.sh: kubectl is not installed" >&2; exit 1; }
    if [[ -z "$context" ]]; then
      current="$(kubectl config current-context 2>/dev/null || true)"
      [[ -n "$current" ]] || { echo "cleanup.sh: no current kubectl context; pass --context NAME" >&2; exit 1; }
      if [[ ! -t 0 ]]; then
        echo "cleanup.sh: not on a terminal, so not asking: pass --context $current to delete MultiNIC from it" >&2
        exit 2
      fi
      read -r -p "Delete MultiNIC (namespace multinic-system with its Secrets, ClusterRole multinic-agent) from context '$current'? Type the context name to confirm: " answer
      [[ "$answer" == "$current" ]] || { echo "cleanup.sh: not confirmed; nothing deleted" >&2; exit 1; }
      context="$current"
    fi
    # The monitoring objects first; a cluster without the Prometheus Operator has none (and no such kinds).
    kubectl --context "$context" delete -k deploy/monitoring --ignore-not-found --wait=false 2>/dev/null ||
      echo "cleanup.sh: no monitoring objects deleted (deploy/monitoring not applied, or no Prometheus Operator)" >&2
    kubectl --context "$context" delete -k deploy/ --ignore-not-found --wait=false
    echo "cleanup.sh: left in place: the nodes' 90-multinic-*.yaml netplan files, /etc/multinic/agent.yaml on each node, and the RabbitMQ and database users (drop them with rabbitmqctl delete_user / DROP USER)" >&2
    ;;
  compose)
    command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1 || { echo "cleanup.sh: docker compose is missing" >&2; exit 1; }
    docker compose down -v --remove-orphans
    ;;
  *) usage ;;
esac
