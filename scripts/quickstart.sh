#!/usr/bin/env bash
# Everything a new user needs, then a real Spark job on the local master:
# builds kspark, installs Java 17 (if missing) and PySpark into a virtualenv
# under ~/.cache/kspark, and runs examples/pi.py with `kspark submit`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYSPARK_VERSION=${PYSPARK_VERSION:-4.0.5}
cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
venv="$cache/venv-pyspark-$PYSPARK_VERSION"
say() { echo "quickstart: $*" >&2; }

command -v cargo >/dev/null || { say "error: cargo is not installed; install Rust from https://rustup.rs first"; exit 1; }
if ! command -v java >/dev/null; then
  say "installing Java 17 (Spark needs a JVM for local runs; Kubernetes submissions do not)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null; fi
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  say "installing PySpark $PYSPARK_VERSION into $venv (a large download, once)"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q "pyspark==$PYSPARK_VERSION"
fi
say "building kspark"
cargo build --release -q -p kspark-cli
say "running: kspark submit --master 'local[*]' examples/pi.py 10"
PATH="$venv/bin:$PATH" target/release/kspark submit --master 'local[*]' --name kspark-pi examples/pi.py 10
