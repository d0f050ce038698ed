#!/usr/bin/env bash
# Builds Helm (helm.sh/helm/v4 or /v3 cmd/helm, by the major version) from
# the Go module proxy into a cache outside the work tree, keyed by version
# (HELM_VERSION in versions.env, or the version given). A second run finds
# the binary and returns at once.
#
#   testcluster/build-helm.sh          prints the path of helm $HELM_VERSION
#   testcluster/build-helm.sh 3.21.4   the same for another version
#
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark). Cold: a few minutes on
# 2 cores (module download plus compile); the Go build cache makes a rebuild cheap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

HELM_VERSION=${1:-$HELM_VERSION}
[[ $HELM_VERSION =~ ^[34]\.[0-9]+\.[0-9]+$ ]] || { echo "build-helm: expected a Helm 3 or 4 version, got '$HELM_VERSION'" >&2; exit 2; }
module="helm.sh/helm/v${HELM_VERSION%%.*}"
cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
mkdir -p "$cache/helm" && cache=$(cd "$cache" && pwd)
bin="$cache/helm/v$HELM_VERSION/helm"
log() { echo "build-helm: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || die "the Go toolchain is not on PATH; install Go >= 1.26 (it builds Helm $HELM_VERSION)"
# Two test binaries asking at once: the second waits and then finds the binary.
if command -v flock >/dev/null; then
  exec 9>"$cache/helm/.build.lock"
  flock 9 || die "could not lock $cache/helm/.build.lock"
  if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
fi
# shellcheck source=go-env.sh
. "$here/go-env.sh"
partial="$cache/helm/v$HELM_VERSION.partial"
rm -rf "$partial" && mkdir -p "$partial"
# Helm stamps its version through ldflags (its Makefile does the same); without
# it `helm version` says vN.x-unreleased-ish and charts' kubeVersion checks differ.
ldflags="-s -w -X $module/internal/version.version=v$HELM_VERSION"
ldflags+=" -X $module/internal/version.gitTreeState=clean"
log "compiling Helm v$HELM_VERSION from the Go module proxy (cold: a few minutes on 2 cores)"
GOBIN="$partial" go install -trimpath -ldflags "$ldflags" "$module/cmd/helm@v$HELM_VERSION" ||
  die "go install $module/cmd/helm@v$HELM_VERSION failed (see above)"
mkdir -p "$(dirname "$bin")" && mv "$partial/helm" "$bin"
rmdir "$partial" 2>/dev/null || true
"$bin" version --short >&2
echo "$bin"
