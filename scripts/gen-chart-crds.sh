#!/usr/bin/env bash
# Regenerates the Helm chart's CRDs (charts/kspark-operator/crds/) from the
# Rust types, exactly as `kspark operator install --crds-only --dry-run -o yaml`
# prints them. crates/kspark-cli/tests/helm_chart/ fails until this is run
# after a change to the CRDs (crates/kspark-sparkapp/src/crd).
set -euo pipefail
cd "$(dirname "$0")/.."
out=charts/kspark-operator/crds/kspark-crds.yaml
cargo run -q -p kspark-cli -- operator install --crds-only --dry-run -o yaml > "$out.tmp"
mv "$out.tmp" "$out"
echo "gen-chart-crds: wrote $out" >&2
