#!/usr/bin/env bash
# Builds the test cluster's container images without Docker, as one OCI image
# layout (umoci), and prints the layout's path on stdout:
#
#   docker.io/apache/spark:4.0.5   Debian bookworm (minbase) + JRE 17 + Python 3
#   docker.io/apache/spark:4.0.4   + tini, with Spark from scripts/fetch-spark.sh
#                                  and our entrypoint.sh, SparkPi, pi.py and
#                                  sbin/{start,stop}-connect-server.sh
#   registry.k8s.io/pause:3.10     the sandbox image: our static pause binary alone
#
# Time (2 cores, measured): a cold run, empty cache, took 57 s on an idle
# machine (22 s of it fetching both Spark versions from PyPI, 22 s mmdebstrap);
# 112 s without the fetch while a Rust/Go build kept both cores busy. A warm run
# takes under a second, and so does a change to entrypoint.sh or the Connect
# scripts alone (~1 s, measured; they share the top layer): each layer
# is kept under a tag named by a hash of its inputs in a working layout
# ($cache/images/build), so a change rebuilds only the layers above it. The
# output layout ($cache/images/oci) holds just the references above, its blobs
# hard-linked from the working one (~1 GB in all).
# Needs root (mmdebstrap's root mode, file ownership); installs mmdebstrap,
# umoci, jq, a JDK and gcc with apt-get when they are missing. Progress on stderr.
#
#   testcluster/build-images.sh                  prints .../images/oci
#   KSPARK_DEBIAN_MIRROR='deb http://... bookworm main'   overrides the mirror
#       (default: apt's own bookworm sources on this machine)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
src=$here/spark-image
log() { echo "build-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

SPARK_VERSIONS=(4.0.5 4.0.4)
SUITE=bookworm
PACKAGES=openjdk-17-jre-headless,python3,tini,bash,procps
PAUSE_REF=registry.k8s.io/pause:3.10
# Bump when the way a layer is put together below changes without its inputs
# changing, so the cache does not serve the old layer.
RECIPE=1

[ "$(id -u)" = 0 ] || die "run as root: mmdebstrap's root mode and the layers' file owners need it"

# --- tools -------------------------------------------------------------------
missing=()
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v umoci >/dev/null || missing+=(umoci)
command -v jq >/dev/null || missing+=(jq)
{ command -v javac && command -v jar; } >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v gcc >/dev/null || missing+=(gcc)
# gcc -static needs libc.a; gcc prints the bare name when it has none.
[ "$(gcc -print-file-name=libc.a 2>/dev/null)" != libc.a ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
    die "could not install ${missing[*]}; install these Debian packages by hand"
fi

cache=${KSPARK_CACHE:-$HOME/.cache/kspark}
mkdir -p "$cache/images" && top=$(cd "$cache/images" && pwd)
build=$top/build out=$top/oci
# One builder at a time; a second caller waits, then finds the images built.
exec 9>"$top/.lock"
flock 9 || die "could not lock $top/.lock"

# rm -rf a work tree only when nothing is mounted inside it: mmdebstrap mounts
# /proc, /sys and a bind of /dev in its chroot, and a killed run can leave them.
safe_rm() {
  local dir=$1 mounts
  [ -e "$dir" ] || return 0
  mounts=$(awk -v p="$dir/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r)
  if [ -n "$mounts" ]; then
    log "unmounting what a killed run left in $dir: $(echo "$mounts" | tr '\n' ' ')"
    echo "$mounts" | while read -r m; do umount "$m" || umount -l "$m" || true; done
    if awk -v p="$dir/" 'index($2, p) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
      log "warning: left $dir in place: something is still mounted inside it"
      return 0
    fi
  fi
  rm -rf --one-file-system "$dir"
}
for old in "$top"/work.*; do safe_rm "$old"; done # we hold the lock: these are dead
work=$top/work.$$
mkdir "$work"
trap 'safe_rm "$work"' EXIT

sha() { sha256sum | cut -c1-20; }

# --- inputs and their keys --------------------------------------------------
# The Debian sources the root filesystem comes from, one-line style.
if [ -n "${KSPARK_DEBIAN_MIRROR:-}" ]; then
  mirrors=$KSPARK_DEBIAN_MIRROR
else
  # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
  mirrors=$(apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' |
    awk -v s="$SUITE" '$1 == "deb" && $3 ~ ("^" s "(-updates|-security)?$")' | sort -u)
fi
[ -n "$mirrors" ] || die "apt knows no Debian $SUITE source; set KSPARK_DEBIAN_MIRROR='deb http://MIRROR/debian $SUITE main'"
mapfile -t mirror_args <<<"$mirrors"
arch=$(dpkg --print-architecture)
java_home=/usr/lib/jvm/java-17-openjdk-$arch
# Spark's user 185 (home writable for Ivy and friends), and /etc/passwd
# group-writable so entrypoint.sh can name a random UID run with GID 0.
# mmdebstrap leaves this machine's resolv.conf and hostname in the tree: drop
# them (a runtime provides its own) and name localhost, which minbase lacks
# and PySpark binds to when run without a kubelet's /etc/hosts.
# shellcheck disable=SC2016 # $1 is the chroot, expanded by mmdebstrap's shell
hook='echo "spark:x:185:185:Spark:/home/spark:/bin/bash" >>"$1/etc/passwd" &&
  echo "spark:x:185:" >>"$1/etc/group" && mkdir -p "$1/home/spark" && chown 185:185 "$1/home/spark" &&
  chmod g+w "$1/etc/passwd" && rm -f "$1/etc/resolv.conf" && echo localhost >"$1/etc/hostname" &&
  printf "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n" >"$1/etc/hosts"'
mm_args=(--variant=minbase --include="$PACKAGES" --customize-hook="$hook")
base_key=$(printf '%s\n' "$RECIPE" "$SUITE" "$arch" "${mm_args[@]}" "$mirrors" | sha)

declare -A spark_home spark_key image_key py4j
for v in "${SPARK_VERSIONS[@]}"; do
  spark_home[$v]=$("$repo/scripts/fetch-spark.sh" "$v") || die "fetching Spark $v failed (see above)"
  h=${spark_home[$v]}
  zips=("$h"/python/lib/py4j-*-src.zip)
  [ -e "${zips[0]}" ] || die "no py4j zip in $h/python/lib"
  py4j[$v]=$(basename "${zips[0]}")
  # The jar set and every other shipped file, by name and size: the pyspark
  # archive of a release never changes, so that identifies it cheaply.
  spark_key[$v]=$({
    echo "$RECIPE $base_key $v"
    (cd "$h/.." && find -L deps/bin deps/sbin deps/jars deps/python/lib deps/licenses pyspark LICENSE NOTICE \
      -type f -printf '%p %s\n' | sort)
    cat "$src/SparkPi.java" "$repo/examples/pi.py"
  } | sha)
done
# The top layer of each Spark image: our files from spark-image/, by their
# path in the image. The pyspark archive's sbin/ lacks Spark Connect's
# start/stop scripts, which kubeflow's SparkConnect server pod runs.
top_files=(opt/entrypoint.sh opt/spark/sbin/start-connect-server.sh opt/spark/sbin/stop-connect-server.sh)
spark_config() { # the image configuration of Spark version $1
  echo --config.user=185 --config.workingdir=/opt/spark/work-dir --config.entrypoint=/opt/entrypoint.sh
  echo --config.env=SPARK_HOME=/opt/spark --config.env=JAVA_HOME="$java_home" --config.env=LANG=C.UTF-8
  echo --config.env=PATH="$java_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  echo --config.env=PYTHONPATH="/opt/spark/python:/opt/spark/python/lib/${py4j[$1]}"
}
for v in "${SPARK_VERSIONS[@]}"; do
  image_key[$v]=$({
    echo "$RECIPE ${spark_key[$v]}"
    spark_config "$v"
    for f in "${top_files[@]}"; do echo "$f"; cat "$src/${f##*/}"; done
  } | sha)
done
pause_cflags=(-static -Os -s -Wall -Werror)
pause_key=$({ echo "$RECIPE ${pause_cflags[*]}"; gcc --version | head -1; cat "$src/pause.c"; } | sha)

# What the output layout must hold: reference -> tag in the working layout.
declare -A want=([$PAUSE_REF]=pause-$pause_key)
for v in "${SPARK_VERSIONS[@]}"; do want[docker.io/apache/spark:$v]=image-$v-${image_key[$v]}; done
stamp=$(for r in "${!want[@]}"; do echo "$r ${want[$r]}"; done | sort)

# --- warm path: the output layout already holds exactly these images --------
if [ -f "$out/index.json" ] && [ "$(cat "$top/oci.stamp" 2>/dev/null)" = "$stamp" ]; then
  log "up to date"
  echo "$out"
  exit 0
fi

# --- build the missing layers in the working layout -------------------------
[ -f "$build/index.json" ] || umoci init --layout "$build" >&2
# (grep without -q reads all of umoci's output: no SIGPIPE to fail the pipeline)
has() { umoci ls --layout "$build" | grep -xF "$1" >/dev/null; }
# A tag appears only when its image is complete: each step writes a new tag
# from an existing one, so an interrupted run leaves no half-built tag.
tmp=tmp-$$
started=$SECONDS

if ! has "base-$base_key"; then
  log "Debian $SUITE root filesystem with $PACKAGES (mmdebstrap, ~1-2 min)"
  # stdin from /dev/null: mmdebstrap reads extra sources from a stdin that is not a terminal.
  TMPDIR=$work mmdebstrap "${mm_args[@]}" "$SUITE" "$work/rootfs.tar" "${mirror_args[@]}" </dev/null >&2 ||
    die "mmdebstrap failed (see above)"
  umoci new --image "$build:$tmp" >&2
  umoci raw add-layer --image "$build:$tmp" --tag "base-$base_key" \
    --history.created_by "mmdebstrap ${mm_args[*]:0:2} $SUITE" "$work/rootfs.tar" >&2
  umoci rm --image "$build:$tmp" >&2
  rm -f "$work/rootfs.tar"
  log "root filesystem layer done ($((SECONDS - started))s)"
fi

for v in "${SPARK_VERSIONS[@]}"; do
  h=${spark_home[$v]}
  if ! has "spark-$v-${spark_key[$v]}"; then
    log "Spark $v layer (/opt/spark)"
    s=$work/spark-$v
    o=$s/opt/spark
    mkdir -p "$o/python/lib" "$o/examples/jars" "$o/examples/src/main/python" "$s/classes"
    javac --release 17 -encoding UTF-8 -nowarn -cp "$h/jars/*" -d "$s/classes" "$src/SparkPi.java" ||
      die "compiling SparkPi.java against Spark $v failed"
    jar --create --file "$o/examples/jars/spark-examples.jar" -C "$s/classes" .
    cp "$repo/examples/pi.py" "$o/examples/src/main/python/pi.py"
    # Symlinks into Spark's unpacked copy; tar --dereference archives their targets.
    ln -s "$h/bin" "$h/sbin" "$h/jars" "$h/licenses" "$h/../LICENSE" "$h/../NOTICE" "$o/"
    ln -s "$h/../pyspark" "$o/python/pyspark"
    ln -s "$h/python/lib/pyspark.zip" "$h/python/lib/${py4j[$v]}" "$o/python/lib/"
    tar -C "$s" --dereference --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -cf "$s/layer.tar" opt
    # The working directory belongs to user 185 (Spark's image does the same).
    mkdir -p "$s/w/opt/spark/work-dir" && chmod 0775 "$s/w/opt/spark/work-dir"
    tar -C "$s/w" --owner=185 --group=185 --numeric-owner --mtime=@0 --no-recursion -rf "$s/layer.tar" opt/spark/work-dir
    umoci raw add-layer --image "$build:base-$base_key" --tag "spark-$v-${spark_key[$v]}" \
      --history.created_by "Spark $v in /opt/spark" "$s/layer.tar" >&2
    rm -rf "$s"
    log "Spark $v layer done ($((SECONDS - started))s)"
  fi
  if ! has "image-$v-${image_key[$v]}"; then
    log "Spark $v image: entrypoint layer and configuration"
    e=$work/entry-$v
    for f in "${top_files[@]}"; do install -D -m 0755 "$src/${f##*/}" "$e/$f"; done
    # The files alone, no directory entries: /opt/spark/sbin stays as the Spark layer made it.
    tar -C "$e" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$e/layer.tar" "${top_files[@]}"
    umoci raw add-layer --image "$build:spark-$v-${spark_key[$v]}" --tag "$tmp" \
      --history.created_by "kspark entrypoint.sh, start/stop-connect-server.sh" "$e/layer.tar" >&2
    # shellcheck disable=SC2046 # one option a word; no value holds a space
    umoci config --image "$build:$tmp" --tag "image-$v-${image_key[$v]}" $(spark_config "$v") >&2
    umoci rm --image "$build:$tmp" >&2
  fi
done

if ! has "pause-$pause_key"; then
  log "pause image"
  p=$work/pause
  mkdir -p "$p"
  gcc "${pause_cflags[@]}" -o "$p/pause" "$src/pause.c" || die "compiling pause.c failed"
  tar -C "$p" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$p/layer.tar" pause
  umoci new --image "$build:$tmp" >&2
  umoci raw add-layer --image "$build:$tmp" --history.created_by "kspark pause.c" "$p/layer.tar" >&2
  umoci config --image "$build:$tmp" --tag "pause-$pause_key" \
    --config.entrypoint=/pause --config.user=65535:65535 >&2
  umoci rm --image "$build:$tmp" >&2
fi

# --- the output layout: the wanted references only, blobs hard-linked -------
# Written with jq rather than umoci tag/rm/gc: umoci gc re-hashes every blob
# (~10 s for these images), while the blobs to keep are known from the manifests.
log "writing the output layout"
new=$work/oci
mkdir -p "$new/blobs/sha256"
cp "$build/oci-layout" "$new/"
pairs=$(for r in "${!want[@]}"; do echo "${want[$r]} $r"; done)
jq --arg pairs "$pairs" '
  ($pairs | split("\n") | map(split(" ") | {key: .[0], value: .[1]}) | from_entries) as $ref
  | .manifests |= [.[] | .annotations["org.opencontainers.image.ref.name"] as $t | select($ref[$t])
                   | .annotations["org.opencontainers.image.ref.name"] = $ref[$t]]' \
  "$build/index.json" >"$new/index.json"
[ "$(jq '.manifests | length' "$new/index.json")" = ${#want[@]} ] || die "the working layout lacks an image"
for d in $(jq -r '.manifests[].digest' "$new/index.json"); do
  echo "$d"
  jq -r '.config.digest, .layers[].digest' "$build/blobs/${d/://}"
done | sort -u | while read -r d; do ln "$build/blobs/${d/://}" "$new/blobs/${d/://}"; done
rm -f "$top/oci.stamp"
[ ! -e "$out" ] || mv "$out" "$work/oci.old"
mv "$new" "$out"
echo "$stamp" >"$top/oci.stamp"

# Forget the working layout's tags from older inputs. Collect garbage only
# when a large layer went (gc costs ~10 s); an old entrypoint layer is a few
# kB and goes with the next large one.
keep=" base-$base_key pause-$pause_key "
for v in "${SPARK_VERSIONS[@]}"; do keep+="spark-$v-${spark_key[$v]} image-$v-${image_key[$v]} "; done
gone=$(umoci ls --layout "$build" | while read -r t; do
  [[ $keep == *" $t "* ]] || { umoci rm --image "$build:$t" >&2 && echo "$t"; }
done)
if grep -qE '^(base|spark)-' <<<"$gone"; then umoci gc --layout "$build" >&2; fi

log "done in $((SECONDS - started))s"
echo "$out"
