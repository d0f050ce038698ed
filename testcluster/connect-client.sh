#!/usr/bin/env bash
# A Python virtual environment with the Spark Connect client (`pyspark-client`
# from PyPI, the pure-Python client without Spark's jars) for the SparkConnect
# tests, made once and kept; prints the path of its python on stdout.
#
#   testcluster/connect-client.sh [VERSION]     VERSION defaults to 4.0.4
#   "$(testcluster/connect-client.sh)" testcluster/connect-check.py sc://127.0.0.1:15002
#
# The environment lives in $KSPARK_CACHE/pyspark-client/VERSION (KSPARK_CACHE
# defaults to ${XDG_CACHE_HOME:-~/.cache}/kspark). A marker file written last
# makes a second run return at once; a run that died half-way leaves no
# marker, so the next one starts the environment afresh. Needs python3 >= 3.9
# with its venv module, and pip's index (a few tens of MB: pandas, pyarrow,
# grpcio). Progress on stderr.
set -euo pipefail
log() { echo "connect-client: $*" >&2; }
die() { log "error: $*"; exit 1; }

version=${1:-4.0.4}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-]?[A-Za-z0-9.]+)?$ ]] || die "not a Spark version: '$version'"
# PyPI has pyspark-client from 4.0.0 on; Spark 3.5's client is pyspark[connect].
[ "${version%%.*}" -ge 4 ] || die "pyspark-client starts at 4.0.0 (asked for $version)"
cache=${KSPARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kspark}
dir=$cache/pyspark-client/$version
marker=$dir/.kspark-ready

ready() { [ -x "$dir/bin/python" ] && [ "$(cat "$marker" 2>/dev/null)" = "pyspark-client==$version" ]; }
if ready; then
  echo "$dir/bin/python"
  exit 0
fi

mkdir -p "$cache/pyspark-client"
# Two test binaries may ask at once: the second waits, then finds it made.
exec 9>"$cache/pyspark-client/.lock-$version"
flock 9 || die "could not lock $cache/pyspark-client/.lock-$version"
if ready; then
  echo "$dir/bin/python"
  exit 0
fi

command -v python3 >/dev/null || die "python3 is not on PATH"
started=$SECONDS
rm -rf "$dir"
log "creating $dir with pyspark-client==$version (pip)"
python3 -m venv "$dir" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check "pyspark-client==$version" >&2 ||
  die "pip install pyspark-client==$version failed (see above)"
# What connect-check.py uses: the Connect session, Arrow and pandas.
"$dir/bin/python" -c 'import pyspark.sql.connect.session, pyarrow, pandas' >&2 ||
  die "pyspark-client==$version installed but its Connect client does not import"
echo "pyspark-client==$version" >"$marker"
log "done in $((SECONDS - started))s"
echo "$dir/bin/python"
