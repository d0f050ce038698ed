#!/usr/bin/env bash
# /opt/spark/sbin/start-connect-server.sh of kspark's test Spark images.
#
# The pyspark source archive our Spark layer comes from carries only part of
# Spark's sbin/ (spark-config.sh, spark-daemon.sh and the history server's
# pair), not the Spark Connect pair. kubeflow's SparkConnect server pod runs
#   bash -c "$SPARK_HOME/sbin/start-connect-server.sh --master k8s://... --conf ..."
# with SPARK_NO_DAEMONIZE=true, and stop-connect-server.sh as its preStop hook.
#
#   start-connect-server.sh [--wait] [spark-submit options]
#
# SPARK_NO_DAEMONIZE set (to anything, as spark-daemon.sh reads it) or --wait:
#   the server runs in the foreground. This shell writes its PID where
#   spark-daemon.sh keeps one ($SPARK_PID_DIR, /tmp by default) and then
#   execs spark-submit, which execs the JVM, so the JVM keeps that PID:
#   stop-connect-server.sh can signal it, and under `bash -c` in a pod it is
#   PID 1 and receives the kubelet's SIGTERM itself. (Spark's own foreground
#   mode runs the JVM as a child of spark-daemon.sh and writes no PID file.)
# Otherwise: spark-daemon.sh starts it in the background, logging to
#   $SPARK_LOG_DIR, as Spark's script does.
#
# Works with the Spark 3.5 and 4.x trees the image builder takes. Spark 4
# ships the server in jars/spark-connect_2.13-*.jar; a Spark 3.5 tree has no
# such jar, so give it one (--jars or --packages org.apache.spark:spark-connect_2.12:VERSION);
# 3.5 also lacks spark.connect.grpc.binding.address and listens on every address.

if [ -z "$SPARK_HOME" ]; then
  SPARK_HOME=$(cd "$(dirname "$0")/.." && pwd)
  export SPARK_HOME
fi
server=org.apache.spark.sql.connect.service.SparkConnectServer

case " $* " in
  *" --help "* | *" -h "*)
    echo "Usage: $0 [--wait] [spark-submit options]   (SPARK_NO_DAEMONIZE=1: same as --wait)" >&2
    "$SPARK_HOME/bin/spark-submit" --help 2>&1 | grep -v '^Usage:' >&2
    exit 0
    ;;
esac
if [ "$1" = --wait ]; then
  shift
  export SPARK_NO_DAEMONIZE=1
fi

# Not the pyspark shell's "connect mode": the server is an ordinary driver.
export SPARK_CONNECT_MODE=0

if [ -z "${SPARK_NO_DAEMONIZE+set}" ]; then
  [ -f "$SPARK_HOME/sbin/spark-daemon.sh" ] || {
    echo "start-connect-server.sh: no $SPARK_HOME/sbin/spark-daemon.sh; set SPARK_NO_DAEMONIZE=1 to run in the foreground" >&2
    exit 1
  }
  exec bash "$SPARK_HOME/sbin/spark-daemon.sh" submit "$server" 1 --name "Spark Connect server" "$@"
fi

# The environment spark-daemon.sh would give the server.
if [ -f "$SPARK_HOME/sbin/spark-config.sh" ]; then . "$SPARK_HOME/sbin/spark-config.sh"; fi
. "$SPARK_HOME/bin/load-spark-env.sh"

if ! compgen -G "$SPARK_HOME/jars/spark-connect_*.jar" >/dev/null && [[ "$*" != *spark-connect* ]]; then
  echo "start-connect-server.sh: warning: no spark-connect jar in $SPARK_HOME/jars (Spark 3.5?) and none given with --jars/--packages" >&2
fi

# The PID file's name is spark-daemon.sh's, so either script can stop either kind of server.
ident=${SPARK_IDENT_STRING:-${USER:-$(id -nu 2>/dev/null || id -u)}}
pid_dir=${SPARK_PID_DIR:-/tmp}
pid_file=$pid_dir/spark-$ident-$server-1.pid
mkdir -p "$pid_dir"
if [ -f "$pid_file" ]; then
  old=$(cat "$pid_file")
  if [ "$old" != $$ ] && [[ $(ps -p "$old" -o comm= 2>/dev/null) == *java* ]]; then
    echo "start-connect-server.sh: $server already runs as process $old (stop it first)" >&2
    exit 1
  fi
fi
echo $$ >"$pid_file" || echo "start-connect-server.sh: warning: cannot write $pid_file; stop-connect-server.sh will not find the server" >&2

echo "starting $server in the foreground as process $$ (PID file $pid_file)" >&2
export SPARK_PRINT_LAUNCH_COMMAND=1
exec nice -n "${SPARK_NICENESS:-0}" bash "$SPARK_HOME/bin/spark-submit" --class "$server" --name "Spark Connect server" "$@"
