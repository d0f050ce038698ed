#!/usr/bin/env bash
# Records what kubeflow's SparkConnect controller creates for every case's
# connect.yaml, with kubeflow's own code: copies harness_test.go.txt into a
# checkout of kubeflow/spark-operator and runs it there against a fake
# Kubernetes client (module dependencies come from the Go module proxy).
#
#   golden/kubeflow-connect/record.sh <kubeflow-checkout>
#
# Writes cases/*/{configmap,server-pod,service,status}.json, error.txt,
# unknown-fields.txt, events.json and ready/ (see README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=${1:?usage: $0 <kubeflow/spark-operator checkout>}
checkout=$(cd "$checkout" && pwd)
pkg=internal/controller/sparkconnect
[[ -f $checkout/$pkg/reconciler.go ]] || {
  echo "error: $checkout has no $pkg/reconciler.go; give a kubeflow/spark-operator checkout" >&2
  exit 2
}
harness=$checkout/$pkg/kspark_harness_test.go
cp "$here/harness_test.go.txt" "$harness"
trap 'rm -f "$harness"' EXIT
echo "kubeflow/spark-operator at $(git -C "$checkout" rev-parse HEAD 2>/dev/null || echo unknown)"
cd "$checkout"
KSPARK_CONNECT_CASES=$here/cases GOFLAGS=-mod=mod go test -count=1 -v -run '^TestKsparkConnectGolden$' "./$pkg/"
