#!/bin/sh
# Starts one segmented run: deploy/kubernetes/launch.sh <overlay dir> [seconds until the start]
#   e.g. deploy/kubernetes/launch.sh deploy/kubernetes/overlays/segments-4 300
# START_AT = now + the lead time (default 300 s: pods must be scheduled, images pulled, and
# segment 0 must create the schema and finish the load before it), RUN_ID = the start time.
# DRY_RUN=1 prints the manifests instead of applying them.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 <overlay dir> [lead seconds]" >&2; exit 2; }
overlay=$(cd "$1" && pwd)
lead=${2:-300}
start_s=$(( $(date -u +%s) + lead ))
start=$(date -u -d "@$start_s" +%Y-%m-%dT%H:%M:%SZ)
run=run-$(date -u -d "@$start_s" +%Y%m%dt%H%M%Sz)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# kustomize takes only relative paths to other kustomizations
rel=$(realpath --relative-to="$tmp" "$overlay")
cat > "$tmp/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $rel
configMapGenerator:
  - name: scylla-bench-run
    behavior: merge
    literals:
      - START_AT=$start
      - RUN_ID=$run
YAML
if [ -n "${DRY_RUN:-}" ]; then
  kubectl kustomize "$tmp"
else
  # a Job's pod template cannot change: the previous run's Jobs go first (their results stay)
  kubectl delete job scylla-bench-loaders scylla-bench-merge --ignore-not-found
  kubectl apply -k "$tmp"
  echo "run $run: loaders start at $start; merged result in /results/$run/merged" >&2
fi
