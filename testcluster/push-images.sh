#!/usr/bin/env bash
# Pushes every image of an OCI layout (the one build-images.sh prints) to a
# plain-HTTP registry, under its repository path without the registry host,
# so a node's containerd can pull them from there through a registry mirror:
#
#   testcluster/push-images.sh LAYOUT HOST:PORT
#     docker.io/apache/spark:4.0.5 -> HOST:PORT/apache/spark:4.0.5
#     registry.k8s.io/pause:3.10   -> HOST:PORT/pause:3.10
#
# skopeo asks the registry for each blob first and sends only the missing
# ones, so a second push, or a second image on the same base, is quick.
# Digests are kept as built (--preserve-digests), so the registry serves the
# very manifests in the layout.
set -euo pipefail
log() { echo "push-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 2 ] || die "usage: $0 LAYOUT HOST:PORT"
layout=$1 dest=$2
[ -f "$layout/index.json" ] || die "$layout is not an OCI image layout (no index.json)"
# skopeo's oci: transport splits its argument at the first colon.
[[ $layout != *:* ]] || die "the layout's path must not contain ':' ($layout)"
[[ $dest =~ ^[^/:]+:[0-9]+$ ]] || die "expected HOST:PORT, got '$dest'"
command -v skopeo >/dev/null || die "skopeo is not installed (Debian: apt-get install skopeo)"
command -v umoci >/dev/null || die "umoci is not installed (Debian: apt-get install umoci)"

refs=$(umoci ls --layout "$layout")
[ -n "$refs" ] || die "$layout holds no references"
while read -r ref; do
  # A first path component with a dot or a colon, or "localhost", names a
  # registry (the rule Docker's reference parsing uses): drop it.
  first=${ref%%/*}
  path=$ref
  if [[ $ref == */* && ($first == *.* || $first == *:* || $first == localhost) ]]; then
    path=${ref#*/}
  fi
  log "$ref -> $dest/$path"
  skopeo copy --preserve-digests --dest-tls-verify=false \
    "oci:$layout:$ref" "docker://$dest/$path" >&2 || die "pushing $ref failed (see above)"
done <<<"$refs"
