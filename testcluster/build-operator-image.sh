#!/usr/bin/env bash
# Builds kspark's operator image without Docker, with deploy/Containerfile's
# content: the kspark binary, the public CA bundle, user 65532, entrypoint
# /kspark and `operator run --leader-elect --metrics-addr 0.0.0.0:8080`.
# Prints the path of an OCI layout holding it as REF:
#
#   testcluster/build-operator-image.sh KSPARK_BINARY REF
#   e.g. … target/debug/kspark ghcr.io/kspark/kspark:0.1.0
#
# deploy/Containerfile links kspark statically (crt-static, a release build
# on another machine); the tests use the binary they built, so for a
# dynamically linked one the glibc libraries it loads (ldd) go into the
# image too, at their paths. Debug info is stripped. Still no shell, no
# package manager. Cached by the binary's content in
# ${KSPARK_CACHE:-~/.cache/kspark}/images/operator. Needs umoci and jq.
set -euo pipefail
log() { echo "build-operator-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 2 ] || die "usage: $0 KSPARK_BINARY REF"
binary=$1 ref=$2
[ -x "$binary" ] || die "$binary is not an executable"
for tool in umoci jq objcopy; do
  command -v "$tool" >/dev/null || die "$tool is not installed (Debian: umoci, jq, binutils)"
done
ca=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca" ] || die "$ca is missing (Debian: apt-get install ca-certificates)"

key=$({ sha256sum <"$binary"; sha256sum <"$0"; echo "$ref"; } | sha256sum | cut -c1-16)
top=${KSPARK_CACHE:-$HOME/.cache/kspark}/images/operator
out=$top/$key/oci
if [ -f "$out/index.json" ]; then echo "$out"; exit 0; fi
mkdir -p "$top"
work=$(mktemp -d "$top/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

root=$work/root
mkdir -p "$root/etc/ssl/certs" "$root/tmp"
chmod 1777 "$root/tmp"
objcopy --strip-debug "$binary" "$root/kspark"
cp "$ca" "$root/etc/ssl/certs/"
# The loader and the libraries of a dynamically linked binary, at the paths
# it asks for (ldd's "=> /path" and the interpreter's own line).
if ldd "$binary" >/dev/null 2>&1; then
  ldd "$binary" | grep -oE '(/[^ ]+)' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
fi
tar -C "$root" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf "$work/layer.tar" .

layout=$work/oci
umoci init --layout "$layout" >&2
umoci new --image "$layout:new" >&2
umoci raw add-layer --image "$layout:new" --history.created_by "kspark build-operator-image.sh" "$work/layer.tar" >&2
umoci config --image "$layout:new" --tag operator --config.user=65532:65532 --config.entrypoint=/kspark \
  --config.cmd=operator --config.cmd=run --config.cmd=--leader-elect \
  --config.cmd=--metrics-addr --config.cmd=0.0.0.0:8080 >&2
umoci rm --image "$layout:new" >&2
umoci gc --layout "$layout" >&2
# umoci's tags cannot hold a registry and a colon: name the image by jq.
jq --arg ref "$ref" '.manifests |= map(.annotations["org.opencontainers.image.ref.name"] = $ref)' \
  "$layout/index.json" >"$work/index.json" && mv "$work/index.json" "$layout/index.json"
mkdir -p "$top/$key" && mv "$layout" "$out"
# Images of older binaries go: the cache keeps the newest only.
find "$top" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name '.work.*' -exec rm -rf {} +
log "$ref: $(du -sh "$out" | cut -f1) in $out"
echo "$out"
