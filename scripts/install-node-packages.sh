#!/usr/bin/env bash
# Install the Debian packages the test cluster's real node runs, at the
# versions testcluster/versions.env pins, when they are missing or differ:
# containerd, runc and the CNI plugins, plus the tools the node and the image
# builder use (iptables, conntrack, iproute2, mmdebstrap, umoci, skopeo).
# Needs root (or sudo). Prints nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=testcluster/versions.env disable=SC1091
. testcluster/versions.env
say() { echo "install-node-packages: $*" >&2; }

pinned=(
  "containerd=$CONTAINERD_DEB_VERSION"
  "runc=$RUNC_DEB_VERSION"
  "containernetworking-plugins=$CNI_PLUGINS_DEB_VERSION"
)
tools=(iptables conntrack iproute2 mmdebstrap umoci skopeo)

installed_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || true; }

wanted=()
for spec in "${pinned[@]}"; do
  [ "$(installed_version "${spec%%=*}")" = "${spec#*=}" ] || wanted+=("$spec")
done
for package in "${tools[@]}"; do
  [ -n "$(installed_version "$package")" ] || wanted+=("$package")
done
[ ${#wanted[@]} -eq 0 ] && exit 0

say "installing ${wanted[*]}"
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
# --no-install-recommends: containerd recommends nothing the node needs, and
# no service is started (there is no init system to start one anyway).
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  --allow-downgrades "${wanted[@]}" >/dev/null
