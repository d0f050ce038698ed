#!/usr/bin/env bash
# Everything a new user needs, then a real Spark job on the local master:
# builds kspark, installs Java 17 if it is missing, fetches a Spark
# distribution once (shared with the test suite, in ${KSPARK_CACHE:-~/.cache/kspark}),
# and runs examples/pi.py with `kspark submit --master 'local[*]'`.
set -euo pipefail
cd "$(dirname "$0")/.."
SPARK_VERSION=${SPARK_VERSION:-4.0.5}
say() { echo "quickstart: $*" >&2; }
# An argument as a shell would need it typed: quoted only when it has to be.
shell_word() { if [[ $1 =~ ^[A-Za-z0-9_./:=,@+-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi; }
die() { say "error: $*"; exit 1; }

command -v cargo >/dev/null || die "cargo is not installed; install Rust from https://rustup.rs first"
command -v python3 >/dev/null || die "python3 is needed (Spark runs the example with it; pip fetches Spark)"
if ! command -v java >/dev/null; then
  say "installing Java 17 (Spark needs a JVM for local runs; Kubernetes submissions do not)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null; fi
fi

say "Spark $SPARK_VERSION (downloaded once from PyPI, then cached)"
SPARK_HOME=$(scripts/fetch-spark.sh "$SPARK_VERSION") || die "fetching Spark $SPARK_VERSION failed (see above)"
export SPARK_HOME
# Spark logs only errors in this run (examples/conf/log4j2.properties), so the
# job's result is easy to see.
export SPARK_CONF_DIR=$PWD/examples/conf

say "building kspark (release)"
kspark=$(scripts/cargo-bin.sh kspark-cli kspark --release) || die "building kspark failed (see above)"

cmd=("$kspark" submit --master 'local[*]' --name kspark-pi examples/pi.py 10)
shown=()
for word in "${cmd[@]}"; do shown+=("$(shell_word "$word")"); done
say "running: SPARK_HOME=$(shell_word "$SPARK_HOME") SPARK_CONF_DIR=$(shell_word "$SPARK_CONF_DIR") ${shown[*]}"
"${cmd[@]}"
