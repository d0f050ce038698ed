#!/usr/bin/env bash
# Build kubeflow's spark-operator (the Go controller `kspark operator run` is
# compared with in scripts/bench-operator.py) and print the binary's path.
#
#   KUBEFLOW_SRC=/path/to/spark-operator-checkout scripts/build-kubeflow-operator.sh
#   KUBEFLOW_SRC=https://github.com/kubeflow/spark-operator.git [KUBEFLOW_REF=v2.5.2] scripts/build-kubeflow-operator.sh
#
# The operator's source is built from a git checkout or URL, not from the Go
# module proxy: only its dependencies (go.mod/go.sum) come from the proxy,
# checked against go.sum. (Checked 2026-11-29: the proxy's version list for
# github.com/kubeflow/spark-operator/v2 answers 403 "not available"; a tagged
# release such as v2.5.2 can be fetched by its exact version; a checkout
# pins the exact commit compared, released or not.)
#
# KUBEFLOW_SRC   a checkout directory, or a git URL or bare repository
#                (cloned into $KSPARK_CACHE/kubeflow-src, never into this repo)
# KUBEFLOW_REF   commit/tag to build (default: the checkout's HEAD)
# KSPARK_CACHE   cache root (default ~/.cache/kspark); the binary goes to
#                $KSPARK_CACHE/kubeflow/kf-operator, with kf-operator.commit
#                naming the commit it was built from; a binary built from the
#                same commit is reused.
#
# The build is reproducible for a given commit and Go toolchain: -trimpath,
# no VCS stamping, CGO off (as the project's Makefile builds it).
# Progress goes to stderr; only the binary's path goes to stdout.
set -euo pipefail

die() { echo "build-kubeflow-operator.sh: error: $*" >&2; exit 1; }
log() { echo "build-kubeflow-operator.sh: $*" >&2; }

[ -n "${KUBEFLOW_SRC:-}" ] || die "set KUBEFLOW_SRC to a kubeflow/spark-operator checkout or git URL (hint: KUBEFLOW_SRC=https://github.com/kubeflow/spark-operator.git)"
command -v go >/dev/null 2>&1 || die "go not found on PATH (hint: install Go >= the version in the operator's go.mod)"
command -v git >/dev/null 2>&1 || die "git not found on PATH"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
out_dir=$cache/kubeflow
binary=$out_dir/kf-operator
mkdir -p "$out_dir" || die "cannot create $out_dir"

if [ -e "$KUBEFLOW_SRC/go.mod" ]; then
  src=$(cd "$KUBEFLOW_SRC" && pwd)
else
  # A URL: keep one clone in the cache, never inside this repository.
  src=$cache/kubeflow-src
  if [ ! -d "$src/.git" ]; then
    log "cloning $KUBEFLOW_SRC into $src ..."
    git clone --quiet "$KUBEFLOW_SRC" "$src" >&2 || die "git clone $KUBEFLOW_SRC failed"
  else
    git -C "$src" fetch --quiet --tags origin >&2 || log "warning: git fetch in $src failed; building what is there"
  fi
fi
[ -e "$src/go.mod" ] && [ -d "$src/cmd/operator" ] || die "$src is not a kubeflow/spark-operator checkout (no go.mod or cmd/operator)"

if [ -n "${KUBEFLOW_REF:-}" ]; then
  git -C "$src" checkout --quiet --detach "$KUBEFLOW_REF" >&2 || die "cannot check out $KUBEFLOW_REF in $src"
fi
commit=$(git -C "$src" rev-parse HEAD) || die "$src is not a git checkout"
if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
  log "warning: $src has local changes; the binary is not reproducible from $commit alone"
  commit="$commit-dirty"
fi

if [ -x "$binary" ] && [ "$(cat "$binary.commit" 2>/dev/null)" = "$commit" ]; then
  log "reusing $binary (built from $commit)"
  echo "$binary"
  exit 0
fi

log "building cmd/operator at $commit with $(go version | cut -d' ' -f3) (dependencies from ${GOPROXY:-$(go env GOPROXY)}; a cold build takes several minutes) ..."
tmp=$binary.tmp.$$
trap 'rm -f "$tmp"' EXIT
(cd "$src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -buildvcs=false" \
  nice -n 10 go build -trimpath -o "$tmp" ./cmd/operator) >&2 || die "go build ./cmd/operator failed in $src"
mv "$tmp" "$binary" || die "cannot move the binary to $binary"
echo "$commit" >"$binary.commit"
log "built $binary"
echo "$binary"
