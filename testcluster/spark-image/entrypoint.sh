#!/bin/bash
# /opt/entrypoint.sh of kspark's test Spark images: the contract Spark's
# Kubernetes backend expects of an image (4.0.x). The pods Spark creates run
#   driver   [--proxy-user U] --properties-file F --class C RESOURCE ARGS...
#   executor (everything comes from SPARK_EXECUTOR_*, SPARK_DRIVER_URL, ... env)
# and anything else is run as given, so the image also works as a plain
# `spark-submit` box (`/opt/entrypoint.sh /opt/spark/bin/spark-submit ...`).
set -eo pipefail

# Hadoop's login (and so Spark) needs a name for the UID. Our image has one
# for 185, but a pod may run as any UID (runAsUser, OpenShift-style random
# UIDs): then add an entry if /etc/passwd lets us (the image makes it group
# writable for GID 0), and otherwise carry on and hope.
myuid=$(id -u)
mygid=$(id -g)
if ! getent passwd "$myuid" >/dev/null; then
  if [ -w /etc/passwd ]; then
    echo "$myuid:x:$myuid:$mygid:${SPARK_USER_NAME:-anonymous uid}:${SPARK_HOME:-/opt/spark}:/bin/false" >>/etc/passwd
  else
    echo "entrypoint.sh: no passwd entry for UID $myuid and /etc/passwd is not writable; going on without one" >&2
  fi
fi

if [ -z "$JAVA_HOME" ]; then
  JAVA_HOME=$(java -XshowSettings:properties -version 2>&1 >/dev/null | awk '$1 == "java.home" { print $3 }')
fi

# Classpath in Spark's order: conf dir, Hadoop conf, given entries, jars,
# extra entries, and the working directory last (SPARK-43540).
SPARK_CLASSPATH="$SPARK_CLASSPATH:${SPARK_HOME}/jars/*"
if [ -n "$SPARK_EXTRA_CLASSPATH" ]; then SPARK_CLASSPATH="$SPARK_CLASSPATH:$SPARK_EXTRA_CLASSPATH"; fi
if [ -n "$HADOOP_CONF_DIR" ]; then SPARK_CLASSPATH="$HADOOP_CONF_DIR:$SPARK_CLASSPATH"; fi
if [ -n "$SPARK_CONF_DIR" ]; then
  SPARK_CLASSPATH="$SPARK_CONF_DIR:$SPARK_CLASSPATH"
else
  SPARK_CLASSPATH="$SPARK_HOME/conf:$SPARK_CLASSPATH"
fi
SPARK_CLASSPATH="$SPARK_CLASSPATH:$PWD"

# The driver pod passes executor JVM options as SPARK_JAVA_OPT_0, _1, ...;
# keep their numeric order, since a later -D overrides an earlier one.
executor_java_opts=()
while read -r name; do
  [ -n "$name" ] && executor_java_opts+=("${!name}")
done < <(compgen -v SPARK_JAVA_OPT_ | sort -t_ -k4 -n)

# Python: Spark's own modules for anything that imports pyspark directly
# (PythonRunner and the executors add their own paths as well).
if [ -z "$PYTHONPATH" ]; then
  py4j=("$SPARK_HOME"/python/lib/py4j-*-src.zip)
  export PYTHONPATH="$SPARK_HOME/python:${py4j[0]}"
fi
if [ -n "$PYSPARK_PYTHON" ]; then export PYSPARK_PYTHON; fi
if [ -n "$PYSPARK_DRIVER_PYTHON" ]; then export PYSPARK_DRIVER_PYTHON; fi

if [ -n "$HADOOP_HOME" ] && [ -z "$SPARK_DIST_CLASSPATH" ]; then
  SPARK_DIST_CLASSPATH=$("$HADOOP_HOME/bin/hadoop" classpath)
  export SPARK_DIST_CLASSPATH
fi

case "$1" in
  driver)
    shift
    cmd=(
      "$SPARK_HOME/bin/spark-submit"
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS"
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS"
      --deploy-mode client
      "$@"
    )
    ;;
  executor)
    shift
    cmd=(
      "$JAVA_HOME/bin/java"
      "${executor_java_opts[@]}"
      "-Xms$SPARK_EXECUTOR_MEMORY"
      "-Xmx$SPARK_EXECUTOR_MEMORY"
      -cp "$SPARK_CLASSPATH:$SPARK_DIST_CLASSPATH"
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend
      --driver-url "$SPARK_DRIVER_URL"
      --executor-id "$SPARK_EXECUTOR_ID"
      --cores "$SPARK_EXECUTOR_CORES"
      --app-id "$SPARK_APPLICATION_ID"
      --hostname "$SPARK_EXECUTOR_POD_IP"
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID"
      --podName "$SPARK_EXECUTOR_POD_NAME"
    )
    ;;
  *)
    # Pass-through: run the given command itself, without tini.
    exec "$@"
    ;;
esac

# tini as PID 1 forwards signals and reaps the JVM's children (Python
# workers). Spark's image drops root to its user (185) the same way.
if [ "$myuid" = 0 ]; then
  exec setpriv --reuid=185 --regid=185 --clear-groups /usr/bin/tini -s -- "${cmd[@]}"
fi
exec /usr/bin/tini -s -- "${cmd[@]}"
