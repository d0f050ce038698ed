#!/usr/bin/env bash
# Fetch hadoop-azure (ABFS, Azure's Hadoop filesystem) of a Hadoop version from
# Maven Central and print the jar's path.
#
#   scripts/fetch-hadoop-azure.sh VERSION      e.g. scripts/fetch-hadoop-azure.sh 3.4.1
#
# The jar is checked against Maven Central's SHA-1 and cached in
# ${KSPARK_CACHE:-$HOME/.cache/kspark}/maven/hadoop-azure-VERSION.jar. The tests
# of Azure workload identity use it to check which hadoop-azure has
# WorkloadIdentityTokenProvider and that Spark builds it from kspark's settings.
# Nothing else goes to stdout; progress and errors go to stderr.
set -euo pipefail

die() { echo "fetch-hadoop-azure.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 VERSION (e.g. 3.4.1)"
version=$1
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "not a Hadoop version: '$version'"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}/maven
jar=$cache/hadoop-azure-$version.jar
if [ -s "$jar" ]; then
  echo "$jar"
  exit 0
fi

command -v curl >/dev/null || die "curl is needed to download from Maven Central"
command -v sha1sum >/dev/null || die "sha1sum is needed to check the download"
url=https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-azure/$version/hadoop-azure-$version.jar
mkdir -p "$cache" || die "cannot create $cache"
tmp=$(mktemp "$cache/.hadoop-azure-$version.XXXXXX") || die "cannot create a temporary file in $cache"
trap 'rm -f "$tmp"' EXIT
echo "fetch-hadoop-azure.sh: downloading $url" >&2
curl -fsSL --retry 3 -o "$tmp" "$url" || die "download of $url failed (does hadoop-azure $version exist?)"
want=$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40) || die "cannot fetch $url.sha1"
got=$(sha1sum "$tmp" | cut -c1-40)
[ "$want" = "$got" ] || die "SHA-1 mismatch for $url: Maven Central says $want, the download is $got"
mv "$tmp" "$jar" || die "cannot move the download to $jar"
echo "$jar"
