#!/usr/bin/env bash
# Build one binary of this workspace and print its path, as Cargo reports it
# (so CARGO_TARGET_DIR, build.target-dir in a Cargo config, and --release
# all work). Cargo's own progress goes to stderr.
#
#   scripts/cargo-bin.sh PACKAGE BINARY [--release]
#   e.g. scripts/cargo-bin.sh kspark-cli kspark --release
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 PACKAGE BINARY [--release]" >&2; exit 2; }
package=$1 binary=$2
shift 2
cd "$(dirname "$0")/.."
cargo build "$@" -p "$package" --bin "$binary" --message-format=json-render-diagnostics \
  | python3 -c '
import json, sys
want = sys.argv[1]
path = None
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == want and msg.get("executable"):
        path = msg["executable"]
if not path:
    sys.exit(f"cargo-bin.sh: cargo built no executable named {want}")
print(path)
' "$binary"
