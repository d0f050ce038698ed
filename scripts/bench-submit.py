#!/usr/bin/env python3
"""Whole-process time of `kspark submit` versus Spark's `spark-submit`,
submitting the same application to the same local recorder endpoint and
waiting for completion. Reports the median of N runs each and the ratio.

    scripts/bench-submit.py [--runs 7] [--spark-version 4.0.5]
    scripts/bench-submit.py --kubeconfig FILE --master k8s://https://HOST:PORT [--namespace NS]
        (the same against a real API server, e.g. `cargo run -p kspark-testcluster -- up`;
         the driver's life there is the simulated node's, the same for both clients)
    scripts/bench-submit.py --real-node [--runs 5]
        (a test cluster with a real node, started here (needs root): a real SparkPi with
         2 executors in a tenant, as its user; reports the wall time from the command to
         the driver Running, as each client reports it, and to completion, min/median/max)

Needs: release builds of kspark and kspark-testcluster (built here; the
latter serves the recording stand-in API endpoint), Java 17, and Spark's own
client (fetched by scripts/fetch-spark.sh).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cargo_bin(package, binary):
    """Release build of a workspace binary; its path as Cargo reports it."""
    return subprocess.run([str(REPO / "scripts/cargo-bin.sh"), package, binary, "--release"],
                          check=True, capture_output=True, text=True).stdout.strip()


def start_recorder(log):
    """`kspark-testcluster recorder` on a free port; it prints its master URL."""
    env = dict(os.environ, RECORDER_STEP_SECONDS="0")
    proc = subprocess.Popen([cargo_bin("kspark-testcluster", "kspark-testcluster"), "recorder", "--log", str(log)],
                            env=env, stdout=subprocess.PIPE, text=True)
    master = proc.stdout.readline().strip()
    if not master.startswith("k8s://"):
        proc.kill()
        sys.exit("bench: the recorder did not start")
    return proc, master


def timed(cmd, env):
    """Wall time (s) and peak RSS (MiB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {cmd[0]} failed: {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def start_real_node(run_dir):
    """`kspark-testcluster up --real-node`; returns the process, the API
    server URL and the run directory once it says it is ready."""
    proc = subprocess.Popen([cargo_bin("kspark-testcluster", "kspark-testcluster"), "up", "--real-node",
                             "--dir", str(run_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if " ready in " in line:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, line.split(" at ")[1].split()[0]
    sys.exit("bench: the real-node cluster did not start (see kspark-testcluster's messages above)")


def token_of(run_dir, user):
    """The user's bearer token from the cluster's static token file."""
    for line in (run_dir / "tokens.csv").read_text().splitlines():
        fields = line.split(",")
        if fields[1] == user:
            return fields[0]
    sys.exit(f"bench: no token for {user}")


def timed_to_running(cmd, env, running_marker):
    """Wall time (s) from the command to the first stderr line with
    `running_marker` (the client's own report of the driver Running), and
    to its exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    running, tail = None, []
    for line in proc.stdout:
        if running is None and running_marker in line:
            running = time.perf_counter() - start
        tail = (tail + [line])[-40:]
    code = proc.wait()
    elapsed = time.perf_counter() - start
    if code != 0 or running is None:
        sys.exit(f"bench: {cmd[0]} exited {code} (driver Running seen: {running is not None}):\n{''.join(tail)}")
    return running, elapsed


def real_node(args, kspark, spark_home):
    run_dir = Path(tempfile.mkdtemp(prefix="kspark-bench-real-node-"))
    cluster, server = start_real_node(run_dir)
    try:
        admin = run_dir / "kubeconfigs/admin.yaml"
        subprocess.run([kspark, "tenant", "create", "bench", "--user", "alice", "--kubeconfig", str(admin)],
                       check=True, capture_output=True)
        token = token_of(run_dir, "alice")
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
               "SPARK_CONF_DIR": "/nonexistent", "SPARK_HOME": spark_home,
               "KUBECONFIG": str(run_dir / "kubeconfigs/alice.yaml")}
        def app(name):
            return ["--master", f"k8s://{server}", "--deploy-mode", "cluster", "--name", name,
                    "--conf", "spark.kubernetes.namespace=bench",
                    "--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
                    "--conf", f"spark.kubernetes.container.image=apache/spark:{args.spark_version}",
                    "--conf", "spark.executor.instances=2",
                    "--conf", "spark.kubernetes.driver.request.cores=200m",
                    "--conf", "spark.kubernetes.executor.request.cores=200m",
                    "--driver-memory", "512m", "--executor-memory", "512m",
                    "--class", "org.apache.spark.examples.SparkPi",
                    "local:///opt/spark/examples/jars/spark-examples.jar", "20"]
        spark_auth = ["--conf", f"spark.kubernetes.authenticate.submission.oauthToken={token}",
                      "--conf", f"spark.kubernetes.authenticate.submission.caCertFile={run_dir / 'pki/ca.crt'}"]
        clients = {
            "kspark submit": (lambda i: [kspark, "submit", *app(f"kspark-{i}")], "driver Running"),
            f"spark-submit {args.spark_version}":
                (lambda i: [f"{spark_home}/bin/spark-submit", *spark_auth, *app(f"spark-{i}")], "phase: Running"),
        }
        results = {name: [] for name in clients}
        # Alternate the clients so that a warm page cache or image favours neither.
        for i in range(args.runs):
            for name, (cmd, marker) in clients.items():
                results[name].append(timed_to_running(cmd(i), env, marker))
    finally:
        cluster.terminate()
        cluster.wait()
        shutil.rmtree(run_dir, ignore_errors=True)
    print(f"{'client':<22} {'to driver Running s (min/median/max)':>38} {'to completion s (min/median/max)':>36}")
    for name, runs in results.items():
        cols = []
        for values in (sorted(r for r, _ in runs), sorted(e for _, e in runs)):
            cols.append(f"{values[0]:.2f} / {statistics.median(values):.2f} / {values[-1]:.2f}")
        print(f"{name:<22} {cols[0]:>38} {cols[1]:>36}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--spark-version", default="4.0.5")
    ap.add_argument("--kubeconfig", help="benchmark against this cluster instead of the recorder")
    ap.add_argument("--master", help="with --kubeconfig: k8s://https://HOST:PORT")
    ap.add_argument("--namespace", default="default")
    ap.add_argument("--real-node", action="store_true",
                    help="a real SparkPi on a test cluster with a real node, started here (needs root)")
    args = ap.parse_args()
    kspark = cargo_bin("kspark-cli", "kspark")
    spark_home = subprocess.run([str(REPO / "scripts/fetch-spark.sh"), args.spark_version],
                                check=True, capture_output=True, text=True).stdout.strip()
    if args.real_node:
        return real_node(args, kspark, spark_home)
    log = Path("/tmp") / f"kspark-bench-{os.getpid()}.jsonl"
    if args.kubeconfig:
        recorder, master = None, args.master
    else:
        recorder, master = start_recorder(log)
    app = ["--master", master, "--deploy-mode", "cluster", "--name", "bench",
           "--conf", f"spark.kubernetes.namespace={args.namespace}",
           "--conf", "spark.kubernetes.driver.annotation.kspark.test/run-millis=200",
           "--conf", f"spark.kubernetes.container.image=apache/spark:{args.spark_version}",
           "--class", "org.apache.spark.examples.SparkPi",
           "local:///opt/spark/examples/jars/spark-examples.jar", "100"]
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "SPARK_USER": "bench",
           "SPARK_CONF_DIR": "/nonexistent", "SPARK_HOME": spark_home}
    if args.kubeconfig:
        env["KUBECONFIG"] = args.kubeconfig
    clients = {
        # spark-submit has no preflight checks; kspark's are skipped against the
        # recorder so that both clients make the same requests (with a real API
        # server they run, as users get them).
        "kspark submit": [kspark, "submit", *([] if args.kubeconfig else ["--skip-preflight"]), *app],
        f"spark-submit {args.spark_version}": [f"{spark_home}/bin/spark-submit", *app],
    }
    results = {}
    try:
        for name, cmd in clients.items():
            runs = [timed(cmd, env) for _ in range(args.runs)]
            results[name] = (statistics.median(t for t, _ in runs), max(m for _, m in runs), [t for t, _ in runs])
    finally:
        if recorder:
            recorder.kill()
        log.unlink(missing_ok=True)
    print(f"{'client':<22} {'median s':>10} {'peak RSS MiB':>13}  runs (s)")
    for name, (median, rss, runs) in results.items():
        print(f"{name:<22} {median:>10.4f} {rss:>13.1f}  {' '.join(f'{t:.3f}' for t in runs)}")
    k, s = (r[0] for r in results.values())
    print(f"kspark takes 1/{s / k:.0f} of spark-submit's time (target: 1/50 or less)")


if __name__ == "__main__":
    main()
