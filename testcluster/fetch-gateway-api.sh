#!/usr/bin/env bash
# Fetches the Gateway API's CRDs (standard channel) from the Go module proxy
# (sigs.k8s.io/gateway-api, version GATEWAY_API_VERSION in versions.env) into
# a cache outside the work tree. A second run returns at once.
#
#   testcluster/fetch-gateway-api.sh     prints the directory holding the CRD files
#
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=go-env.sh
. "$here/go-env.sh"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
mkdir -p "$cache/gateway-api" && cache=$(cd "$cache" && pwd)
dir="$cache/gateway-api/v$GATEWAY_API_VERSION"
log() { echo "fetch-gateway-api: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
command -v go >/dev/null || die "the Go toolchain is not on PATH (it downloads sigs.k8s.io/gateway-api from the module proxy)"
module="sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION"
log "downloading $module from the Go module proxy"
info=$(cd / && go mod download -json "$module") ||
  die "go mod download $module failed (see above)"
source_dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$source_dir/config/crd/standard" ] || die "$module has no config/crd/standard (looked in '$source_dir')"
partial="$dir.partial"
rm -rf "$partial" && mkdir -p "$partial"
cp "$source_dir"/config/crd/standard/*.yaml "$partial/"
chmod -R u+w "$partial"
touch "$partial/.complete"
rm -rf "$dir" && mv "$partial" "$dir"
echo "$dir"
