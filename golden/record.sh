#!/usr/bin/env bash
# Record what Apache Spark's own spark-submit sends to the Kubernetes API.
#
#   golden/record.sh [VERSION...] [--case NAME]... [--out DIR]
#
# Without VERSION arguments every supported Spark line is recorded (see
# DEFAULT_VERSIONS); without --case every golden/cases/*.args is recorded.
# For each version and case this writes, relative to the repository root:
#   golden/spark-VERSION/CASE.jsonl      the requests (one JSON object a line)
#   golden/spark-VERSION/CASE.jsonl.log  spark-submit's stdout+stderr
#   golden/spark-VERSION/CASE.exit       spark-submit's exit status
# --out DIR writes DIR/spark-VERSION/... instead (e.g. a scratch directory, to
# check whether a recording is reproducible without touching the goldens).
#
# Environment:
#   KSPARK_CACHE         Spark download cache used by scripts/fetch-spark.sh
#   KSPARK_JAVA_HOME     Java 17 home (default: derived from JAVA_HOME or `java` on PATH)
#
# Every recording runs with the repository root as working directory in a
# clean environment (env -i), see golden/README.md.
set -euo pipefail

DEFAULT_VERSIONS=(3.5.9 4.0.5 4.1.4 4.2.1 4.3.0)

die() { echo "record.sh: error: $*" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
versions=()
cases=()
outroot=
while [ $# -gt 0 ]; do
  case $1 in
    --case) [ $# -ge 2 ] || die "--case needs a NAME"; cases+=("$2"); shift 2 ;;
    --case=*) cases+=("${1#--case=}"); shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a DIR"; outroot=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) versions+=("$1"); shift ;;
  esac
done
[ ${#versions[@]} -gt 0 ] || versions=("${DEFAULT_VERSIONS[@]}")

# The recording stand-in API endpoint: `kspark-testcluster record`.
recorder=$("$repo/scripts/cargo-bin.sh" kspark-testcluster kspark-testcluster) || die "cannot build kspark-testcluster"

if [ -z "$outroot" ]; then
  outroot=golden
else
  case $outroot in /*) ;; *) outroot=$PWD/$outroot ;; esac
fi
cd "$repo"
if [ ${#cases[@]} -eq 0 ]; then
  for f in golden/cases/*.args; do cases+=("$(basename "$f" .args)"); done
fi
for c in "${cases[@]}"; do
  [ -f "golden/cases/$c.args" ] || die "no such case: golden/cases/$c.args"
done

# Java 17 for the clean environment.
java_home=${KSPARK_JAVA_HOME:-}
if [ -z "$java_home" ]; then
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    java_home=$JAVA_HOME
  else
    java_bin=$(command -v java) || die "java not found; set KSPARK_JAVA_HOME"
    java_home=$(dirname "$(dirname "$(readlink -f "$java_bin")")")
  fi
fi
"$java_home/bin/java" -version 2>&1 | grep -q 'version "17' \
  || echo "record.sh: warning: $java_home is not Java 17" >&2

failures=0
for version in "${versions[@]}"; do
  spark_home=$("$repo/scripts/fetch-spark.sh" "$version") || die "cannot fetch Spark $version"
  outdir=$outroot/spark-$version
  mkdir -p "$outdir"
  for c in "${cases[@]}"; do
    args=()
    while IFS= read -r line || [ -n "$line" ]; do
      line=${line//@REPO@/$repo}
      args+=("${line//@VERSION@/$version}")
    done < "golden/cases/$c.args"
    envs=(SPARK_CONF_DIR=golden/fixtures/no-conf-dir)
    if [ -f "golden/cases/$c.env" ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        case $line in ''|'#'*) continue ;; esac
        [[ $line == *=* ]] || die "golden/cases/$c.env: not KEY=VALUE: $line"
        envs+=("${line//@VERSION@/$version}")
      done < "golden/cases/$c.env"
    fi
    out=$outdir/$c.jsonl
    set +e
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" JAVA_HOME="$java_home" \
      SPARK_HOME="$spark_home" SPARK_USER=golden "${envs[@]}" \
      "$recorder" record "$out" "$spark_home/bin/spark-submit" "${args[@]}"
    rc=$?
    set -e
    echo "$rc" > "$outdir/$c.exit"
    if grep -q '"method": "POST", "path": "/api/v1/namespaces/[^/"]*/pods"' "$out"; then
      pod=yes
    else
      pod=no
      case $c in error-*) ;; *) failures=$((failures + 1)) ;; esac
    fi
    printf 'spark-%s %-40s exit=%s requests=%s driver-pod-POST=%s\n' \
      "$version" "$c" "$rc" "$(wc -l < "$out")" "$pod" >&2
  done
done
if [ "$failures" -gt 0 ]; then
  die "$failures recording(s) of non-error cases contain no POST of the driver pod"
fi
