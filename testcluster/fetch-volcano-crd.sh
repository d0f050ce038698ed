#!/usr/bin/env bash
# Fetches Volcano's PodGroup CRD (podgroups.scheduling.volcano.sh) from the
# volcano.sh/volcano module on the Go module proxy (checked against the Go
# checksum database by `go mod download`) into a cache outside the work tree,
# keyed by version (VOLCANO_VERSION in versions.env). A second run finds the
# file and returns at once.
#
#   testcluster/fetch-volcano-crd.sh     prints the path of the CRD's YAML
#
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark). Cold: one 12 MB module
# download, a few seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=go-env.sh
. "$here/go-env.sh"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
mkdir -p "$cache/volcano" && cache=$(cd "$cache" && pwd)
crd_in_module=config/crd/volcano/bases/scheduling.volcano.sh_podgroups.yaml
out="$cache/volcano/v$VOLCANO_VERSION/scheduling.volcano.sh_podgroups.yaml"
log() { echo "fetch-volcano-crd: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -s "$out" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || die "the Go toolchain is not on PATH; it downloads volcano.sh/volcano from the Go module proxy"
log "downloading volcano.sh/volcano@v$VOLCANO_VERSION from the Go module proxy ($(go env GOPROXY))"
# Outside any module, so that no go.mod is read or changed.
dir=$(cd "$cache/volcano" && go mod download -json "volcano.sh/volcano@v$VOLCANO_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') ||
  die "go mod download volcano.sh/volcano@v$VOLCANO_VERSION failed (see above)"
[ -s "$dir/$crd_in_module" ] || die "$crd_in_module is not in volcano.sh/volcano@v$VOLCANO_VERSION (at '$dir')"
mkdir -p "$(dirname "$out")"
cp "$dir/$crd_in_module" "$out.partial" && chmod 644 "$out.partial" && mv "$out.partial" "$out"
echo "$out"
