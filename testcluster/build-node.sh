#!/usr/bin/env bash
# Builds what the test cluster's real node needs beyond Debian's packages:
# kubelet and kube-proxy (the control plane's Kubernetes version), CoreDNS and
# crictl (the harness removes a run's pod sandboxes through the CRI with it),
# from the Go module proxy, into a cache outside the work tree keyed by
# version. A second run finds the binaries and returns. With a warm Go build
# cache (the control plane was built first) this takes about a minute; cold,
# about ten on 2 cores.
#
#   testcluster/build-node.sh          prints the bin directory
#
# The node's Debian packages (containerd, runc, the CNI plugins, iptables,
# conntrack) are installed by `ensure_node_packages` in scripts/test.sh.
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
mkdir -p "$cache/node" && cache=$(cd "$cache" && pwd)
bin="$cache/node/k8s-v$KUBERNETES_VERSION-coredns-v$COREDNS_VERSION-crictl-v$CRI_TOOLS_VERSION/bin"
log() { echo "build-node: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "the Go toolchain is not on PATH; install Go >= 1.25 (it builds kubelet, kube-proxy and CoreDNS)"

have_all() {
  for b in kubelet kube-proxy coredns crictl; do
    [ -x "$bin/$b" ] || return 1
  done
}
if have_all; then echo "$bin"; exit 0; fi
mkdir -p "$bin"
if command -v flock >/dev/null; then
  exec 9>"$cache/node/.build.lock"
  flock 9 || die "could not lock $cache/node/.build.lock"
  if have_all; then echo "$bin"; exit 0; fi
fi
# shellcheck source=go-env.sh
. "$here/go-env.sh"
# Built here and renamed into $bin when complete: an interrupted build never
# leaves a truncated binary that looks finished.
partial="$bin.partial"
mkdir -p "$partial"

# The same wrapper-module recipe as build-control-plane.sh (k8s.io/kubernetes
# cannot be `go install`ed: it replaces its staging modules with local paths),
# in a module of its own so the two builds never edit one go.mod at once.
build_kubernetes_node() {
  local w="$cache/node/src/k8s-v$KUBERNETES_VERSION" staging="v0.${KUBERNETES_VERSION#1.}"
  mkdir -p "$w" && cd "$w"
  if [ ! -f go.mod ]; then
    printf 'module local/kspark-k8snode\n\ngo 1.24.0\n\ngodebug default=go1.24\n' > go.mod
    local gomod m
    gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" |
      python3 -c 'import sys,json; print(json.load(sys.stdin)["GoMod"])') ||
      die "could not download k8s.io/kubernetes@v$KUBERNETES_VERSION from the Go module proxy"
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) v0\.0\.0\([[:space:]].*\)\{0,1\}$#\1#p' "$gomod" | sort -u); do
      go mod edit -replace="$m=$m@$staging"
    done
    go get -tool "k8s.io/kubernetes/cmd/kubelet@v$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-proxy@v$KUBERNETES_VERSION" ||
      { rm -f go.mod go.sum; die "go get of kubelet and kube-proxy failed (see above)"; }
  fi
  local minor ldflags
  minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$KUBERNETES_VERSION"
  log "compiling kubelet and kube-proxy v$KUBERNETES_VERSION"
  go build -trimpath -ldflags "$ldflags" -o "$partial/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy || die "compiling kubelet/kube-proxy failed (see above)"
  mv "$partial/kubelet" "$partial/kube-proxy" "$bin/"
}

build_coredns() {
  local w="$cache/node/src/coredns-v$COREDNS_VERSION"
  mkdir -p "$w" && cd "$w"
  if [ ! -f go.mod ]; then
    printf 'module local/kspark-coredns\n\ngo 1.25.0\n' > go.mod
    go get -tool "github.com/coredns/coredns@v$COREDNS_VERSION" ||
      { rm -f go.mod go.sum; die "go get of CoreDNS v$COREDNS_VERSION failed (see above)"; }
  fi
  log "compiling CoreDNS v$COREDNS_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$partial/coredns" github.com/coredns/coredns || die "compiling CoreDNS failed"
  mv "$partial/coredns" "$bin/coredns"
}

build_crictl() {
  log "compiling crictl v$CRI_TOOLS_VERSION"
  GOBIN="$partial" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@v$CRI_TOOLS_VERSION" ||
    die "compiling crictl failed (see above)"
  mv "$partial/crictl" "$bin/crictl"
}

[ -x "$bin/crictl" ] || build_crictl
[ -x "$bin/coredns" ] || build_coredns
for b in kubelet kube-proxy; do
  [ -x "$bin/$b" ] || { build_kubernetes_node; break; }
done
rmdir "$partial" 2>/dev/null || true
have_all || die "a binary is missing from $bin after the build"
"$bin/kubelet" --version >&2
echo "$bin"
