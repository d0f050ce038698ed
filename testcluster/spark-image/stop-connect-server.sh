#!/usr/bin/env bash
# /opt/spark/sbin/stop-connect-server.sh of kspark's test Spark images: the
# preStop hook of kubeflow's SparkConnect server pod. Sends SIGTERM to the
# server that start-connect-server.sh (foreground) or spark-daemon.sh
# (background) recorded in its PID file, and returns without waiting: the
# JVM's shutdown hooks stop the SparkContext, which deletes the executors.
# Nothing recorded, or the process gone: says so and exits 0.

if [ -z "$SPARK_HOME" ]; then
  SPARK_HOME=$(cd "$(dirname "$0")/.." && pwd)
  export SPARK_HOME
fi
server=org.apache.spark.sql.connect.service.SparkConnectServer

# spark-env.sh may move the PID directory or name the instance.
. "$SPARK_HOME/bin/load-spark-env.sh"
ident=${SPARK_IDENT_STRING:-${USER:-$(id -nu 2>/dev/null || id -u)}}
pid_file=${SPARK_PID_DIR:-/tmp}/spark-$ident-$server-1.pid

if [ ! -f "$pid_file" ]; then
  echo "no $server to stop (no $pid_file)"
  exit 0
fi
pid=$(cat "$pid_file")
if [[ $(ps -p "$pid" -o comm= 2>/dev/null) == *java* ]]; then
  echo "stopping $server (process $pid)"
  kill "$pid" && rm -f "$pid_file"
else
  echo "no $server to stop (process $pid is gone)"
  rm -f "$pid_file"
fi
