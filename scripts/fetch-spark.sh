#!/usr/bin/env bash
# Fetch an Apache Spark distribution for a given version and print its path.
#
#   scripts/fetch-spark.sh VERSION        e.g. scripts/fetch-spark.sh 4.0.5
#
# Spark distributions are taken from the PyPI source archive of pyspark
# (`pip download --no-deps --no-binary :all: pyspark==VERSION`), whose `deps/`
# folder is a complete Spark distribution (deps/bin/spark-submit, deps/jars).
# The archive is unpacked to ${KSPARK_CACHE:-$HOME/.cache/kspark}/spark/VERSION
# and the path of its `deps` folder (usable as SPARK_HOME) is printed on stdout.
# `deps/python/lib` is made to hold the archive's pyspark.zip and py4j zip, as
# in Spark's binary distribution, so `spark-submit` runs Python applications
# with nothing installed. The quick start and the tests share this one copy.
# Nothing else goes to stdout; progress and errors go to stderr.
set -euo pipefail

die() { echo "fetch-spark.sh: error: $*" >&2; exit 1; }
log() { echo "fetch-spark.sh: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 VERSION (e.g. 4.0.5)"
version=$1
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-]?[A-Za-z0-9.]+)?$ ]] || die "not a Spark version: '$version'"

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
dest=$cache/spark/$version
deps=$dest/deps

# Spark's PythonRunner puts $SPARK_HOME/python/lib/{pyspark.zip,py4j-*.zip}
# on PYTHONPATH; the source archive keeps them in lib/ beside deps/.
link_python() {
  local top=$1 zip
  mkdir -p "$top/deps/python/lib" || return 1
  for zip in "$top"/lib/*.zip; do
    [ -e "$zip" ] || continue
    ln -sfn "../../../lib/$(basename "$zip")" "$top/deps/python/lib/$(basename "$zip")" || return 1
  done
}

if [ -e "$deps/bin/spark-submit" ]; then
  [ -x "$deps/bin/spark-submit" ] || chmod +x "$deps/bin/"* || die "cannot make $deps/bin/spark-submit executable"
  [ -e "$deps/python/lib/pyspark.zip" ] || link_python "$dest" || die "cannot link the Python libraries into $deps/python/lib"
  echo "$deps"
  exit 0
fi

command -v pip >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || die "neither pip nor python3 found"
if command -v pip >/dev/null 2>&1; then pip=(pip); else pip=(python3 -m pip); fi

mkdir -p "$cache/spark" || die "cannot create cache directory $cache/spark"
tmp=$(mktemp -d "$cache/spark/.fetch-$version.XXXXXX") || die "cannot create a temporary directory in $cache/spark"
trap 'rm -rf "$tmp"' EXIT

log "downloading pyspark==$version source archive from PyPI (large) ..."
if ! "${pip[@]}" download --no-deps --no-binary :all: "pyspark==$version" -d "$tmp/dl" >&2; then
  die "pip download of pyspark==$version failed (does that version exist on PyPI?)"
fi

shopt -s nullglob
archives=("$tmp"/dl/pyspark-*.tar.gz "$tmp"/dl/pyspark-*.zip)
shopt -u nullglob
[ ${#archives[@]} -eq 1 ] || die "expected one pyspark source archive in $tmp/dl, found: ${archives[*]:-none}"
archive=${archives[0]}

log "unpacking $(basename "$archive") ..."
mkdir -p "$tmp/x"
case $archive in
  *.tar.gz) tar -xzf "$archive" -C "$tmp/x" || die "cannot unpack $archive" ;;
  *.zip) (cd "$tmp/x" && python3 -m zipfile -e "$archive" .) || die "cannot unpack $archive" ;;
esac

top=("$tmp"/x/*)
[ ${#top[@]} -eq 1 ] && [ -d "${top[0]}" ] || die "unexpected layout of $archive (expected a single top-level folder)"
[ -f "${top[0]}/deps/bin/spark-submit" ] || die "$archive has no deps/bin/spark-submit; not a Spark distribution"
[ -d "${top[0]}/deps/jars" ] || die "$archive has no deps/jars; not a Spark distribution"

chmod +x "${top[0]}"/deps/bin/* || die "cannot make ${top[0]}/deps/bin/* executable"
link_python "${top[0]}" || die "cannot link the Python libraries into ${top[0]}/deps/python/lib"

rm -rf "$dest"
mv "${top[0]}" "$dest" || die "cannot move the unpacked distribution to $dest"
log "Spark $version is in $deps"
echo "$deps"
