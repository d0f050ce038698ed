#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need
# (Java for Spark's own client, the test control plane, Helm and an OCI registry built from
# the Go module proxy, Volcano's PodGroup CRD from it, a Spark distribution from PyPI, Node.js for Azurite,
# a real node: containerd, runc and the CNI plugins from Debian, kubelet, kube-proxy and CoreDNS
# from the Go module proxy, Spark images built without Docker, mdBook from crates.io), then checks
# formatting and lints, builds the guide and runs every test: unit, golden parity with Spark, bad input, and
# the integration tests against a real kube-apiserver.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "test.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

command -v cargo >/dev/null || die "cargo is not installed (Rust toolchain)"
command -v python3 >/dev/null || die "python3 is needed (pip fetches Spark's own client, which runs Python applications)"
command -v go >/dev/null || die "the Go toolchain is needed to build the test control plane"
if ! command -v java >/dev/null; then
  say "installing Java 17 (to run Spark's own spark-submit in the integration tests)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null; fi
fi

say "test control plane (cached after the first build)"
start=$(date +%s)
KSPARK_CONTROL_PLANE_BIN=$(testcluster/build-control-plane.sh) || die "building the control plane failed (see above)"
export KSPARK_CONTROL_PLANE_BIN
say "control plane ready in $(( $(date +%s) - start ))s: $KSPARK_CONTROL_PLANE_BIN"

say "Helm 4 and Helm 3, for the chart's tests (built from the Go module proxy, cached after the first build)"
start=$(date +%s)
KSPARK_HELM=$(testcluster/build-helm.sh) || die "building Helm failed (see above)"
export KSPARK_HELM
# shellcheck source=testcluster/versions.env disable=SC1091
helm3=$(. testcluster/versions.env && testcluster/build-helm.sh "$HELM3_VERSION") || die "building Helm 3 failed (see above)"
say "Helm ready in $(( $(date +%s) - start ))s: $KSPARK_HELM and $helm3"

say "Volcano's PodGroup CRD for the batch-scheduler tests (from the Go module proxy, cached)"
KSPARK_VOLCANO_CRD=$(testcluster/fetch-volcano-crd.sh) || die "fetching Volcano's PodGroup CRD failed (see above)"
export KSPARK_VOLCANO_CRD

say "scheduler-plugins' PodGroup CRD for the kube-scheduler batch-scheduler test (from the Go module proxy, cached)"
KSPARK_SCHEDULER_PLUGINS_CRD=$(testcluster/fetch-scheduler-plugins-crd.sh) ||
  die "fetching scheduler-plugins' PodGroup CRD failed (see above)"
export KSPARK_SCHEDULER_PLUGINS_CRD

say "OCI registry for the image tests (cached after the first build)"
testcluster/build-registry.sh >/dev/null || die "building the test registry failed (see above)"

say "Gateway API CRDs from the Go module proxy (cached; the operator's HTTPRoute test)"
KSPARK_GATEWAY_API_CRDS=$(testcluster/fetch-gateway-api.sh) || die "fetching the Gateway API CRDs failed (see above)"
export KSPARK_GATEWAY_API_CRDS

say "Spark's own client, for running real spark-submit against the control plane (shared with the quick start)"
KSPARK_SPARK_HOME=$(scripts/fetch-spark.sh 4.0.5) || die "fetching Spark 4.0.5 failed (see above)"
export KSPARK_SPARK_HOME

say "hadoop-azure 3.3.4 and 3.4.1 from Maven Central (cached; the Azure workload identity tests)"
scripts/fetch-hadoop-azure.sh 3.3.4 >/dev/null && scripts/fetch-hadoop-azure.sh 3.4.1 >/dev/null \
  || die "fetching hadoop-azure failed (see above)"

say "the real node: Debian's containerd, runc and CNI plugins at testcluster/versions.env's versions"
start=$(date +%s)
scripts/install-node-packages.sh || die "installing the real node's Debian packages failed (see above)"
# Built here so that the time shows; the harness finds them in the cache.
node_bin=$(testcluster/build-node.sh) || die "building kubelet, kube-proxy, CoreDNS and crictl failed (see above)"
say "node binaries ready in $(( $(date +%s) - start ))s: $node_bin"

# Every Go-built binary is cached by version now; the module and build caches behind them
# (about 11 GB for Kubernetes) would only crowd the real node's disk.
go_cache="$(cd "${KSPARK_CACHE:-$HOME/.cache/kspark}" && pwd)/go"
if [ "${KSPARK_KEEP_GO_CACHE:-}" = 1 ]; then say "keeping the Go caches in $go_cache (KSPARK_KEEP_GO_CACHE=1)"
elif [ -n "$(ls -A "$go_cache" 2>/dev/null)" ]; then
  say "removing the Go caches the builds used ($(du -sh "$go_cache" | cut -f1) in $go_cache; KSPARK_KEEP_GO_CACHE=1 keeps them)"
  rm -rf "$go_cache"
else rm -rf "$go_cache"
fi

say "Spark 4.0.5 and 4.0.4 images for the real node, built without Docker (cached by content)"
start=$(date +%s)
images=$(testcluster/build-images.sh) || die "building the Spark images failed (see above)"
say "images ready in $(( $(date +%s) - start ))s: $images"

if ! command -v npm >/dev/null; then
  say "installing Node.js and npm (the test harness installs Azurite, the Azure Storage emulator, with npm)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm >/dev/null; fi
fi

if ! command -v openssl >/dev/null; then
  say "installing openssl (the Entra ID tests make an RSA service-principal certificate with it)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openssl >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq openssl >/dev/null; fi
fi

say "formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings

say "the guide (docs/guide), built with mdBook from crates.io (cached after the first build); its links are checked by the tests"
mdbook=$(scripts/install-mdbook.sh) || die "installing mdBook failed (see above)"
guide_out="${CARGO_TARGET_DIR:-$PWD/target}/guide"
rm -rf "$guide_out"
"$mdbook" build docs/guide -d "$guide_out" 2>&1 | grep -v '^ *INFO' >&2 || true
[ -f "$guide_out/index.html" ] || die "mdbook build docs/guide wrote no $guide_out/index.html"
say "the guide is in $guide_out/index.html"

say "tests"
status=0
cargo test --workspace --no-fail-fast || status=$?
say "the Helm chart's tests again, with Helm 3 ($helm3)"
KSPARK_HELM=$helm3 cargo test -p kspark-cli --test helm_chart || status=1
exit $status
