#!/usr/bin/env bash
# Deploys deploy/ (kustomize) in order. Usage:
#
#   scripts/deploy.sh [--context NAME] [--image REGISTRY/multinic:TAG] [--monitoring] [--dry-run]
#
#   --context   the kubectl context to deploy to (default: the current one, printed first)
#   --image     the image the pods run, instead of kustomization.yaml's `images` entry
#               (a temporary overlay sets it; nothing in deploy/ is edited); a digest
#               (…/multinic@sha256:…) works too
#   --monitoring  also apply deploy/monitoring (PodMonitor, PrometheusRule, Grafana dashboard;
#               needs the Prometheus Operator's CRDs)
#   --dry-run   print the manifests that would be applied and stop (needs no cluster)
#
# Order: the namespace; then it checks the Secrets exist (they are never created from the
# repository; the commands are printed when one is missing); then it deletes the finished
# migration Job (a Job's pod template cannot change), applies everything, waits for the
# migration, then for the publisher and agent rollouts.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'deploy.sh: %s\n' "$*" >&2; exit "${2:-1}"; }
context="" image="" dry_run=0 monitoring=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --context) context="${2:?--context needs a name}"; shift 2 ;;
    --image) image="${2:?--image needs a reference}"; shift 2 ;;
    --monitoring) monitoring=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    *) die "unknown argument '$1' (usage: scripts/deploy.sh [--context NAME] [--image REF] [--monitoring] [--dry-run])" 2 ;;
  esac
done
command -v kubectl >/dev/null 2>&1 || die "kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)"
kctl() { kubectl ${context:+--context "$context"} "$@"; }
ns=multinic-system

# The kustomization to apply: deploy/ itself, or an overlay of it that sets --image.
source_dir="$PWD/deploy"
tmp=""
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT
if [[ -n "$image" ]]; then
  if [[ "$image" == *@* ]]; then name="${image%%@*}" field="digest: ${image#*@}"
  elif [[ "${image##*/}" == *:* ]]; then name="${image%:*}" field="newTag: \"${image##*:}\""
  else die "--image '$image' needs a tag or a digest" 2; fi
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._/:-]*$ ]] || die "--image '$image' is not an image reference" 2
  tmp="$(mktemp -d)"
  # kustomize takes no absolute resource path: name deploy/ relative to the overlay.
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\nimages:\n  - name: multinic\n    newName: %s\n    %s\n' \
    "$(realpath --relative-to="$tmp" "$source_dir")" "$name" "$field" >"$tmp/kustomization.yaml"
  source_dir="$tmp"
fi

if [[ "$dry_run" == 1 ]]; then
  kubectl kustomize "$source_dir"
  if [[ "$monitoring" == 1 ]]; then echo '---'; kubectl kustomize deploy/monitoring; fi
  exit 0
fi

current="$(kctl config current-context 2>/dev/null || true)"
[[ -n "${context:-$current}" ]] || die "no kubectl context: pass --context NAME"
echo "deploying MultiNIC to context ${context:-$current}"

kctl apply -f deploy/namespace.yaml

missing=()
for s in multinic-publisher-credentials multinic-migrator-credentials; do
  kctl -n "$ns" get secret "$s" >/dev/null 2>&1 || missing+=("$s")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  cat >&2 <<EOF
deploy.sh: missing Secret(s) in $ns: ${missing[*]}. Create them (values from files you keep
out of the repository, so they stay out of shell history; README "Deploying"):
  kubectl -n $ns create secret generic multinic-publisher-credentials \\
    --from-literal=DB_USER=multinic_publisher --from-file=DB_PASSWORD=publisher-db-password --from-file=AMQP_URL=publisher-amqp-url
  kubectl -n $ns create secret generic multinic-migrator-credentials \\
    --from-literal=DB_USER=multinic_migrate --from-file=DB_PASSWORD=migrator-db-password
EOF
  exit 1
fi

kctl -n "$ns" delete job multinic-db-migrate --ignore-not-found --wait=true
kubectl kustomize "$source_dir" | kctl apply -f -
kctl -n "$ns" wait --for=condition=complete job/multinic-db-migrate --timeout=600s ||
  die "the migration did not complete: kubectl -n $ns logs job/multinic-db-migrate"
kctl -n "$ns" rollout status deployment/multinic-publisher --timeout=120s
kctl -n "$ns" rollout status daemonset/multinic-agent --timeout=300s ||
  die "agents not ready; a node without /etc/multinic/agent.yaml shows in: kubectl -n $ns get pods -l app.kubernetes.io/name=multinic-agent -o wide"
if [[ "$monitoring" == 1 ]]; then kctl apply -k deploy/monitoring; fi
