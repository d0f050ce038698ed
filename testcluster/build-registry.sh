#!/usr/bin/env bash
# Builds the CNCF distribution registry (the reference OCI registry, with
# in-memory storage and htpasswd Basic auth) from the Go module proxy into a
# cache outside the work tree, keyed by version, for the `kspark image build`
# tests. A second run finds it and returns. (go-containerregistry's registry
# was tried first: it answers a finished blob upload without the Location
# header the distribution spec asks for, which oci-client requires.)
#
#   testcluster/build-registry.sh          prints the path of the binary
#
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
mkdir -p "$cache/registry" && cache=$(cd "$cache" && pwd)
dir="$cache/registry/distribution-v$DISTRIBUTION_VERSION"
bin="$dir/registry"
log() { echo "build-registry: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || die "the Go toolchain is not on PATH; install Go >= 1.24 (it builds the test registry)"
mkdir -p "$dir"
# Two test binaries may ask at once: the second waits, then finds the binary.
if command -v flock >/dev/null; then
  exec 9>"$dir/.build.lock"
  flock 9 || die "could not lock $dir/.build.lock"
  if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
fi
# shellcheck source=go-env.sh
. "$here/go-env.sh"
src="$dir/src"
mkdir -p "$src" && cd "$src"
if [ ! -f go.mod ]; then
  printf 'module local/kspark-registry\n\ngo 1.24.0\n' > go.mod
  go get -tool "github.com/distribution/distribution/v3/cmd/registry@v$DISTRIBUTION_VERSION" ||
    { rm -f go.mod go.sum; die "go get of distribution v$DISTRIBUTION_VERSION failed (see above)"; }
fi
log "compiling the distribution registry v$DISTRIBUTION_VERSION (cold: a few minutes on 2 cores)"
# Built beside the final name and renamed, so an interrupted build never
# leaves a truncated binary that looks finished.
go build -trimpath -ldflags "-s -w" -o "$bin.partial" github.com/distribution/distribution/v3/cmd/registry ||
  die "compiling the registry failed (see above)"
mv "$bin.partial" "$bin"
echo "$bin"
