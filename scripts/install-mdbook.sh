#!/usr/bin/env bash
# Installs mdBook from crates.io into a cache outside the work tree, keyed by
# version, and prints the binary's path; a second run finds it and returns.
# Only the `search` feature: the guide is built, never served from here.
#
#   scripts/install-mdbook.sh          prints the path of mdbook
#
# Cache root: $KSPARK_CACHE (default ~/.cache/kspark).
set -euo pipefail
MDBOOK_VERSION=0.5.4
cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
root="$cache/mdbook/v$MDBOOK_VERSION"
bin="$root/bin/mdbook"
log() { echo "install-mdbook: $*" >&2; }

if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
command -v cargo >/dev/null || { log "error: cargo is not installed"; exit 1; }
log "building mdBook $MDBOOK_VERSION from crates.io (once; about two minutes on 2 cores)"
# Into a directory beside the final one, renamed when complete, so an
# interrupted install never looks finished.
rm -rf "$root.partial"
cargo install --quiet --locked --no-default-features --features search --version "$MDBOOK_VERSION" \
  --root "$root.partial" mdbook >&2 || { log "error: cargo install mdbook $MDBOOK_VERSION failed (see above)"; exit 1; }
rm -rf "$root" && mv "$root.partial" "$root"
echo "$bin"
