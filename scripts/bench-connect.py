#!/usr/bin/env python3
"""`kspark connect` on a real node: the wall time from the command to the
first query answered, with the Spark image cached on the node and with it
removed first (pulled again from the harness's registry on this machine),
and the forward's CPU time and peak memory while a query returns 100 MB.

    scripts/bench-connect.py [--runs 3] [--bytes 100000000]

Starts `kspark-testcluster up --real-node` (needs root), makes a tenant
`bench` for alice, and for each run: starts `kspark connect bench:nb-N
--no-operator` as alice, runs testcluster/connect-check.py against the URL
it prints (sum over range(1000), a join, then a result of --bytes bytes),
reads the kspark process's CPU time and peak RSS from /proc, and deletes the
server. The client is pyspark-client 4.0.4 (testcluster/connect-client.sh).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from importlib import import_module  # noqa: E402

bench_submit = import_module("bench-submit")
REPO = Path(__file__).resolve().parent.parent
IMAGE = "apache/spark:4.0.5"
CONTAINERD = "unix:///run/kspark-testcluster/containerd.sock"
# Images a cold start keeps: the sandbox's pause image (no registry serves
# it here) and kspark's operator image (no Spark layers).
KEPT_IMAGES = ("registry.k8s.io/pause:", "ghcr.io/kspark/")


def crictl():
    bins = sorted((Path.home() / ".cache/kspark/node").glob("*/bin/crictl"))
    if not bins:
        sys.exit("bench: no crictl (testcluster/build-node.sh builds it)")
    return str(bins[-1])


def remove_image():
    """The Spark image leaves the node's containerd (the registry keeps it).
    Every image that shares its layers goes too (other tags, images built
    on it), or containerd keeps the layers and a "pull" costs nothing. The
    previous run's pods may still be ending, so this tries for a minute and
    fails the benchmark rather than measure a cached image as a cold one."""
    base = [crictl(), "--runtime-endpoint", CONTAINERD]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = json.loads(subprocess.run(base + ["images", "-o", "json"], capture_output=True, text=True,
                                           check=True).stdout)
        spark = [img["id"] for img in listed.get("images", [])
                 if not any(tag.startswith(KEPT_IMAGES) for tag in img.get("repoTags") or [])]
        if not spark:
            return
        subprocess.run(base + ["rmi", *spark], capture_output=True)
        time.sleep(1)
    sys.exit(f"bench: Spark images are still on the node after a minute of crictl rmi")


def proc_times(pid):
    """(CPU seconds, peak RSS MiB, current RSS MiB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    status = Path(f"/proc/{pid}/status").read_text()
    kib = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("Vm")}
    return cpu, kib.get("VmHWM", 0) / 1024, kib.get("VmRSS", 0) / 1024


def one_run(kspark, python, env, name, size):
    start = time.perf_counter()
    cmd = [kspark, "connect", f"bench:{name}", "--no-operator", "--image", IMAGE, "--executors", "1",
           "--executor-memory", "512m", "--server-memory", "1g",
           "--conf", "spark.kubernetes.executor.request.cores=200m"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("sc://"):
            sys.exit(f"bench: kspark connect printed no URL: {proc.stderr.read()[-2000:]}")
        ready = time.perf_counter() - start
        first = subprocess.run([python, str(REPO / "testcluster/connect-check.py"), url],
                               capture_output=True, text=True)
        answered = time.perf_counter() - start
        report = json.loads(first.stdout.strip().splitlines()[-1])
        if not report.get("ok"):
            sys.exit(f"bench: wrong answers: {report}")
        cpu_before, _, rss_before = proc_times(proc.pid)
        big = subprocess.run([python, str(REPO / "testcluster/connect-check.py"), url, "--bytes", str(size)],
                             capture_output=True, text=True)
        cpu_after, peak, _ = proc_times(proc.pid)
        report_big = json.loads(big.stdout.strip().splitlines()[-1])
        if not report_big.get("ok"):
            sys.exit(f"bench: the large result was wrong: {report_big}")
        return {"ready_s": ready, "first_answer_s": answered, "fetch_s": report_big["fetch_s"],
                "mb_per_s": report_big["mb_per_s"], "forward_cpu_s": cpu_after - cpu_before,
                "forward_rss_before_mib": rss_before, "forward_peak_rss_mib": peak}
    finally:
        subprocess.run([kspark, "connect", f"bench:{name}", "--no-operator", "--delete"], env=env,
                       capture_output=True)
        proc.terminate()
        proc.wait()


def summary(values):
    values = sorted(values)
    return f"{values[0]:.2f} / {statistics.median(values):.2f} / {values[-1]:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bytes", type=int, default=100_000_000)
    args = ap.parse_args()
    kspark = bench_submit.cargo_bin("kspark-cli", "kspark")
    python = subprocess.run([str(REPO / "testcluster/connect-client.sh"), "4.0.4"], check=True,
                            capture_output=True, text=True).stdout.strip()
    run_dir = Path(tempfile.mkdtemp(prefix="kspark-bench-connect-"))
    cluster, _server = bench_submit.start_real_node(run_dir)
    results = {"image removed first (pulled from the local registry)": [], "image cached on the node": []}
    try:
        admin = run_dir / "kubeconfigs/admin.yaml"
        subprocess.run([kspark, "tenant", "create", "bench", "--user", "alice", "--kubeconfig", str(admin)],
                       check=True, capture_output=True)
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
               "KUBECONFIG": str(run_dir / "kubeconfigs/alice.yaml")}
        for i in range(args.runs):
            remove_image()
            results["image removed first (pulled from the local registry)"].append(
                one_run(kspark, python, env, f"cold-{i}", args.bytes))
            results["image cached on the node"].append(one_run(kspark, python, env, f"warm-{i}", args.bytes))
    finally:
        cluster.terminate()
        cluster.wait()
        shutil.rmtree(run_dir, ignore_errors=True)
    print(f"kspark connect, {args.runs} runs each (min / median / max)")
    for name, runs in results.items():
        print(f"{name}:")
        print(f"  to sc:// printed (server ready)   {summary([r['ready_s'] for r in runs])} s")
        print(f"  to first query answered         {summary([r['first_answer_s'] for r in runs])} s")
    runs = [r for rs in results.values() for r in rs]
    print(f"forward under a {args.bytes / 1e6:.0f} MB result ({len(runs)} runs):")
    print(f"  fetch time                      {summary([r['fetch_s'] for r in runs])} s")
    print(f"  throughput                      {summary([r['mb_per_s'] for r in runs])} MB/s")
    print(f"  kspark CPU time                 {summary([r['forward_cpu_s'] for r in runs])} s")
    print(f"  kspark RSS before               {summary([r['forward_rss_before_mib'] for r in runs])} MiB")
    print(f"  kspark peak RSS                 {summary([r['forward_peak_rss_mib'] for r in runs])} MiB")


if __name__ == "__main__":
    main()
