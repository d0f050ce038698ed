# Sourced by the scripts that build or download with Go. Their module and build caches live
# in $KSPARK_CACHE/go, apart from the user's own, because for Kubernetes they come to about
# 11 GB: scripts/test.sh removes them once every binary is built (the binaries stay cached by
# version), which a CI machine's disk needs. -modcacherw lets a plain `rm -rf` remove them.
# The builds are static (CGO off) and use the installed Go, never a downloaded toolchain.
# Absolute, because Go refuses relative cache paths and the builds cd into their modules.
mkdir -p "${KSPARK_CACHE:-$HOME/.cache/kspark}/go"
kspark_go_cache=$(cd "${KSPARK_CACHE:-$HOME/.cache/kspark}/go" && pwd)
export GOCACHE="$kspark_go_cache/build" GOMODCACHE="$kspark_go_cache/mod"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -modcacherw" GOTOOLCHAIN=local
