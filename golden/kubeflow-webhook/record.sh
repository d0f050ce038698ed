#!/usr/bin/env bash
# Records what kubeflow's pod webhook makes of every case's input pods, with
# kubeflow's own code: copies harness_test.go.txt into a checkout of
# kubeflow/spark-operator and runs it there (module dependencies come from
# the Go module proxy).
#
#   golden/kubeflow-webhook/record.sh <kubeflow-checkout>
#
# The inputs (cases/*/app.yaml, and the <role>-pod.json files written by
# KSPARK_UPDATE_WEBHOOK_INPUTS=1 cargo test -p kspark-sparkapp --test webhook_golden)
# must be in place first; this writes cases/*/<role>-pod.mutated.json.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=${1:?usage: $0 <kubeflow/spark-operator checkout>}
checkout=$(cd "$checkout" && pwd)
[[ -f $checkout/internal/webhook/sparkpod_defaulter.go ]] || {
  echo "error: $checkout has no internal/webhook/sparkpod_defaulter.go; give a kubeflow/spark-operator checkout" >&2
  exit 2
}
harness=$checkout/internal/webhook/kspark_harness_test.go
cp "$here/harness_test.go.txt" "$harness"
trap 'rm -f "$harness"' EXIT
echo "kubeflow/spark-operator at $(git -C "$checkout" rev-parse HEAD 2>/dev/null || echo unknown)"
cd "$checkout"
KSPARK_WEBHOOK_CASES=$here/cases GOFLAGS=-mod=mod go test -count=1 -v -run '^TestKsparkWebhookGolden$' ./internal/webhook/
