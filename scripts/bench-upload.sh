#!/usr/bin/env bash
# Benchmark (not a test): time the upload of a 50 MiB jar to Azurite, the
# Azure Storage emulator, through an abfss:// upload path, as `kspark submit`
# uploads local files.
#
#   scripts/bench-upload.sh [SIZE_MIB] [RUNS]      (default 50 MiB, 5 runs)
#
# Installs Azurite with npm into ${KSPARK_CACHE:-~/.cache/kspark} the first
# time (the same installation the tests use), starts it on a free port on
# 127.0.0.1, creates container `bench`, and runs the upload_bench example
# (a debug build, like the tests; add BENCH_PROFILE=release for a release build).
# For reference it then uploads the same file once with Microsoft's Node.js SDK
# (BlockBlobClient.uploadFile), which shows how fast Azurite itself takes it.
set -euo pipefail

size_mib=${1:-50}
runs=${2:-5}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
azurite_version=3.37.0
blob_sdk_version=12.34.0
prefix=$cache/azurite-$azurite_version
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

if [ ! -x "$prefix/node_modules/.bin/azurite-blob" ]; then
  echo "bench-upload.sh: installing azurite@$azurite_version into $prefix" >&2
  npm install --no-audit --no-fund --prefix "$prefix" "azurite@$azurite_version" \
    "@azure/storage-blob@$blob_sdk_version" >&2
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$prefix/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
  --location "$work/data" --skipApiVersionCheck --loose --silent > "$work/azurite.log" 2>&1 &
azurite_pid=$!
trap 'kill $azurite_pid 2>/dev/null || true; wait $azurite_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.1
done

NODE_PATH=$prefix/node_modules node -e "
const b = require('@azure/storage-blob');
const svc = new b.BlobServiceClient('http://127.0.0.1:$port/devstoreaccount1',
  new b.StorageSharedKeyCredential('devstoreaccount1', '$key'));
svc.getContainerClient('bench').createIfNotExists().then(() => process.exit(0), e => { console.error(e.message); process.exit(1); });"

head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/app.jar"
profile=()
[ "${BENCH_PROFILE:-}" = release ] && profile=(--release)
cd "$repo"
AZURE_STORAGE_USE_EMULATOR=true AZURITE_BLOB_STORAGE_URL="http://127.0.0.1:$port" \
  cargo run -q "${profile[@]}" -p kspark-storage --example upload_bench -- \
  "$work/app.jar" "abfss://bench@devstoreaccount1.dfs.core.windows.net/uploads" "$runs"

NODE_PATH=$prefix/node_modules node -e "
const b = require('@azure/storage-blob');
const svc = new b.BlobServiceClient('http://127.0.0.1:$port/devstoreaccount1',
  new b.StorageSharedKeyCredential('devstoreaccount1', '$key'));
const blob = svc.getContainerClient('bench').getBlockBlobClient('node-sdk/app.jar');
const t = process.hrtime.bigint();
blob.uploadFile('$work/app.jar', { blockSize: 8 * 1024 * 1024, concurrency: 4 }).then(() => {
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log('reference, Node.js SDK: $size_mib MiB in ' + s.toFixed(3) + ' s');
}, e => { console.error(e.message); process.exit(1); });"
