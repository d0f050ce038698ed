#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler and etcd) from the Go module proxy into a cache outside the
# work tree, keyed by version. A second run finds the binaries and returns.
#
#   testcluster/build-control-plane.sh          prints the bin directory
#
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
# Absolute, because the build steps cd into their wrapper modules.
mkdir -p "$cache" && cache=$(cd "$cache" && pwd)
bin="$cache/control-plane/k8s-v$KUBERNETES_VERSION-etcd-v$ETCD_VERSION/bin"
log() { echo "build-control-plane: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "the Go toolchain is not on PATH; install Go >= 1.24 (it builds the control plane)"

have_all() {
  for b in kube-apiserver kube-controller-manager kube-scheduler etcd; do
    [ -x "$bin/$b" ] || return 1
  done
}
if have_all; then echo "$bin"; exit 0; fi
mkdir -p "$bin"
# Two builds at once (two test binaries, or a developer's shell and a test
# run) would write the same files and double the 10-20 minutes on 2 cores:
# the second waits for the first and then finds the binaries.
if command -v flock >/dev/null; then
  exec 9>"$cache/control-plane/.build.lock"
  flock 9 || die "could not lock $cache/control-plane/.build.lock"
  if have_all; then echo "$bin"; exit 0; fi
fi
# shellcheck source=go-env.sh
. "$here/go-env.sh"
# Binaries are built here and renamed into $bin when complete, so that an
# interrupted build never leaves a truncated binary that looks finished.
partial="$bin.partial"
mkdir -p "$partial"

build_kubernetes() {
  local w="$cache/control-plane/src/k8s-v$KUBERNETES_VERSION" staging="v0.${KUBERNETES_VERSION#1.}"
  mkdir -p "$w" && cd "$w"
  if [ ! -f go.mod ]; then
    printf 'module local/kspark-k8sbins\n\ngo 1.24.0\n\ngodebug default=go1.24\n' > go.mod
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" |
      python3 -c 'import sys,json; print(json.load(sys.stdin)["GoMod"])') ||
      die "could not download k8s.io/kubernetes@v$KUBERNETES_VERSION from the Go module proxy"
    # Every staging module k8s.io/kubernetes requires at the fake v0.0.0 is
    # replaced by its published release, derived from go.mod, not hard-coded.
    local m
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) v0\.0\.0\([[:space:]].*\)\{0,1\}$#\1#p' "$gomod" | sort -u); do
      go mod edit -replace="$m=$m@$staging"
    done
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@v$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-scheduler@v$KUBERNETES_VERSION" ||
      { rm -f go.mod go.sum; die "go get of the Kubernetes commands failed (see above)"; }
  fi
  local minor ldflags
  minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$KUBERNETES_VERSION"
  log "compiling Kubernetes v$KUBERNETES_VERSION (cold: about 10-15 minutes on 2 cores)"
  go build -trimpath -ldflags "$ldflags" -o "$partial/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler || die "compiling Kubernetes failed (see above)"
  mv "$partial"/kube-apiserver "$partial"/kube-controller-manager "$partial"/kube-scheduler "$bin/"
}

build_etcd() {
  local w="$cache/control-plane/src/etcd-v$ETCD_VERSION"
  mkdir -p "$w" && cd "$w"
  if [ ! -f go.mod ]; then
    printf 'module local/kspark-etcdbin\n\ngo 1.24.0\n' > go.mod
    go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" ||
      { rm -f go.mod go.sum; die "go get of etcd v$ETCD_VERSION failed (see above)"; }
  fi
  log "compiling etcd v$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$partial/etcd" go.etcd.io/etcd/server/v3 || die "compiling etcd failed"
  mv "$partial/etcd" "$bin/etcd"
}

[ -x "$bin/etcd" ] || build_etcd
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$bin/$b" ] || { build_kubernetes; break; }
done
rmdir "$partial" 2>/dev/null || true
have_all || die "a binary is missing from $bin after the build"
"$bin/kube-apiserver" --version >&2
"$bin/etcd" --version | head -1 >&2
echo "$bin"
