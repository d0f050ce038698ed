#!/usr/bin/env bash
# Fetches scheduler-plugins' PodGroup CRD (podgroups.scheduling.x-k8s.io) from
# the sigs.k8s.io/scheduler-plugins module on the Go module proxy (checked
# against the Go checksum database by `go mod download`) into a cache outside
# the work tree, keyed by version (SCHEDULER_PLUGINS_VERSION in versions.env).
# A second run finds the file and returns at once.
#
#   testcluster/fetch-scheduler-plugins-crd.sh     prints the path of the CRD's YAML
#
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark). Cold: one module
# download, a few seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=go-env.sh
. "$here/go-env.sh"

module=sigs.k8s.io/scheduler-plugins
version=v$SCHEDULER_PLUGINS_VERSION
cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
mkdir -p "$cache/scheduler-plugins" && cache=$(cd "$cache" && pwd)
crd_in_module=config/crd/bases/scheduling.x-k8s.io_podgroups.yaml
out="$cache/scheduler-plugins/$version/scheduling.x-k8s.io_podgroups.yaml"
log() { echo "fetch-scheduler-plugins-crd: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -s "$out" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || die "the Go toolchain is not on PATH; it downloads $module from the Go module proxy"
log "downloading $module@$version from the Go module proxy ($(go env GOPROXY))"
# Outside any module, so that no go.mod is read or changed.
dir=$(cd "$cache/scheduler-plugins" && go mod download -json "$module@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') ||
  die "go mod download $module@$version failed (see above)"
[ -s "$dir/$crd_in_module" ] || die "$crd_in_module is not in $module@$version (at '$dir')"
mkdir -p "$(dirname "$out")"
cp "$dir/$crd_in_module" "$out.partial" && chmod 644 "$out.partial" && mv "$out.partial" "$out"
echo "$out"
