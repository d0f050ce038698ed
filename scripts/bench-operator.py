#!/usr/bin/env python3
"""Throughput, latency and cost of a SparkApplication operator against a real
control plane: `kspark operator run` or kubeflow's spark-operator, one per run.

    scripts/bench-operator.py --operator kspark --apps 1000
    scripts/bench-operator.py --operator kspark --apps 3000 --until completed
    scripts/bench-operator.py --operator kspark --apps 1000 --rate 600
    scripts/bench-operator.py --operator kubeflow --apps 20

It starts a throw-away cluster (`kspark-testcluster up`: a real kube-apiserver,
etcd, scheduler and controller-manager, and the simulated node, which plays
every driver pod for --run-millis and lets it succeed), applies the
SparkApplication CRDs (kspark's from `kspark operator install --crds-only
--dry-run`, else kubeflow's from its checkout), starts the operator, creates --apps SparkApplications
(a burst over --connections parallel HTTP connections, or --rate per minute)
and watches the driver pods (label
sparkoperator.k8s.io/launched-by-spark-operator=true). Times are taken here,
with a monotonic clock: from the start of each create request to the watch
event of its driver pod. It reports

  * applications/minute, first create -> last driver pod
  * p50/p99/max of that latency
  * the operator's CPU-seconds per application during the run: utime+stime
    of the operator, plus cutime+cstime of its reaped children (kubeflow forks
    spark-submit per application) and the CPU of children still alive
  * the operator's peak RSS (VmHWM), and the peak RSS of it plus its children
  * the API server's and etcd's CPU during the run, and the load average
  * with --until completed: the time until every application is COMPLETED
    (or FAILED), and p50/p99 of created -> final state

as a table and, with --json FILE, as JSON. Python 3 standard library only;
talks to the API server with the admin kubeconfig's token and CA.

Needs: release builds of kspark and kspark-testcluster (built here with
scripts/cargo-bin.sh), the control-plane binaries ($KSPARK_CONTROL_PLANE_BIN,
else `kspark-testcluster up` builds them). For --operator kubeflow: the binary
from scripts/build-kubeflow-operator.sh (--kubeflow-bin; default the cached
one), its CRDs (--kubeflow-src, default the checkout that script cached),
Java 17 and a Spark distribution as SPARK_HOME (scripts/fetch-spark.sh).
"""
import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KSPARK_CACHE", Path.home() / ".cache/kspark"))
GROUP, VERSION = "sparkoperator.k8s.io", "v1beta2"
LAUNCHED_BY = "sparkoperator.k8s.io/launched-by-spark-operator"
APP_NAME_LABEL = "sparkoperator.k8s.io/app-name"
FINAL_STATES = {"COMPLETED", "FAILED", "SUBMISSION_FAILED"}
TICKS = os.sysconf("SC_CLK_TCK")


def die(message):
    sys.exit(f"bench-operator: error: {message}")


def log(message):
    print(f"bench-operator: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- API access

class Kube:
    """A minimal client for one API server: token + CA from a kubeconfig,
    one keep-alive HTTPS connection per thread."""

    def __init__(self, kubeconfig):
        text = Path(kubeconfig).read_text()

        def field(name):
            match = re.search(rf"^\s*-?\s*{re.escape(name)}:\s*['\"]?([^'\"\s]+)['\"]?\s*$", text, re.M)
            if not match:
                die(f"{kubeconfig}: no `{name}` (a token kubeconfig from kspark-testcluster is expected)")
            return match.group(1)

        self.server = urlparse(field("server"))
        self.token = field("token")
        self.context = ssl.create_default_context(cadata=base64.b64decode(field("certificate-authority-data")).decode())
        self.local = threading.local()

    def connection(self, timeout=60):
        return http.client.HTTPSConnection(self.server.hostname, self.server.port, context=self.context,
                                           timeout=timeout)

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        """One request on this thread's connection; returns (status, parsed JSON)."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
        # A dropped keep-alive connection is retried once; 429 (a CRD's
        # storage still initializing, or priority-and-fairness) for 30 s.
        deadline, dropped = time.monotonic() + 30, False
        while True:
            conn = getattr(self.local, "conn", None) or self.connection()
            self.local.conn = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if dropped:
                    raise
                dropped = True
                continue
            if response.status != 429 or time.monotonic() > deadline:
                break
            time.sleep(float(response.getheader("Retry-After") or 1))
        parsed = json.loads(data) if data else {}
        if ok and response.status not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {parsed.get('message', data[:300])}")
        return response.status, parsed

    def watch(self, path, params, on_event, stop):
        """Calls on_event(type, object, monotonic time) for every watch event
        from params' resourceVersion on, re-watching after the server ends a
        stream, until stop is set."""
        params = dict(params, watch="true", allowWatchBookmarks="true", timeoutSeconds="600")
        while not stop.is_set():
            conn = self.connection(timeout=None)
            try:
                conn.request("GET", f"{path}?{urlencode(params)}",
                             headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
                response = conn.getresponse()
                if response.status != 200:
                    raise RuntimeError(f"watch {path}: HTTP {response.status}: {response.read()[:300]!r}")
                for line in response:
                    now = time.monotonic()
                    event = json.loads(line)
                    obj = event.get("object", {})
                    if event.get("type") == "ERROR":
                        raise RuntimeError(f"watch {path}: {obj.get('message')}")
                    params["resourceVersion"] = obj.get("metadata", {}).get("resourceVersion", params.get(
                        "resourceVersion", ""))
                    if event["type"] != "BOOKMARK":
                        on_event(event["type"], obj, now)
                    if stop.is_set():
                        return
            finally:
                conn.close()


# ------------------------------------------------------------ processes

def proc_stat(pid):
    """(utime+stime, cutime+cstime) in seconds, or None once the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS, (int(fields[13]) + int(fields[14])) / TICKS


def proc_status_kib(pid, key):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_map():
    """{ppid: [pid, ...]} of every process now."""
    result = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            result.setdefault(int(fields[1]), []).append(int(entry.name))
    return result


def descendants(pid, children=None):
    children = children if children is not None else children_map()
    found, stack = [], list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class Sampler(threading.Thread):
    """Samples the operator's CPU (with its children, live and reaped) and
    RSS every `interval` seconds, so that the figures survive its end."""

    def __init__(self, pid, interval=0.25):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.peak_tree_rss_kib = 0
        self.peak_children = 0
        self.cpu = 0.0
        self.hwm_kib = 0

    def sample(self):
        stat = proc_stat(self.pid)
        if stat is None:
            return
        own, reaped = stat
        kids = descendants(self.pid)
        live = sum((proc_stat(k) or (0, 0))[0] for k in kids)
        rss = proc_status_kib(self.pid, "VmRSS") + sum(proc_status_kib(k, "VmRSS") for k in kids)
        with self.lock:
            self.cpu = own + reaped + live
            self.peak_tree_rss_kib = max(self.peak_tree_rss_kib, rss)
            self.peak_children = max(self.peak_children, len(kids))
            self.hwm_kib = max(self.hwm_kib, proc_status_kib(self.pid, "VmHWM"))

    def run(self):
        while not self.stop.wait(self.interval):
            self.sample()

    def now(self):
        self.sample()
        with self.lock:
            return self.cpu


def cpu_seconds(pid):
    stat = proc_stat(pid)
    return sum(stat) if stat else 0.0


# ------------------------------------------------------------ the run

def cargo_bin(package, binary, profile):
    cmd = [str(REPO / "scripts/cargo-bin.sh"), package, binary] + (["--release"] if profile == "release" else [])
    log(f"building {binary} ({profile}) ...")
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def start_cluster(testcluster, run_dir):
    log(f"starting the test cluster in {run_dir} ...")
    proc = subprocess.Popen([testcluster, "up", "--dir", str(run_dir)], stdout=subprocess.PIPE,
                            stderr=open(run_dir.parent / "testcluster.log", "w"), text=True)
    for line in proc.stdout:
        if line.startswith("admin kubeconfig: "):
            return proc, line.split(": ", 1)[1].strip()
    proc.wait()
    die(f"kspark-testcluster up ended (status {proc.returncode}); see {run_dir.parent / 'testcluster.log'}")


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    die(f"timed out after {timeout}s waiting for {what}")


def apply_crds(kube, documents):
    """Creates each CRD (YAML or JSON text; the API server reads both) and
    waits until it is Established."""
    names = []
    for text, content_type in documents:
        _, crd = kube.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", text,
                              content_type=content_type)
        names.append(crd["metadata"]["name"])

    def established(name):
        _, crd = kube.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        return any(c["type"] == "Established" and c["status"] == "True"
                   for c in (crd.get("status") or {}).get("conditions") or [])
    for name in names:
        wait_for(f"CRD {name} to be Established", lambda: established(name), 60)
    return names


def crd_documents(args, kspark):
    if args.crd:
        return [(Path(f).read_text(), "application/json" if f.endswith(".json") else "application/yaml")
                for f in args.crd]
    if args.operator == "kspark":
        out = subprocess.run([kspark, "operator", "install", "--crds-only", "--dry-run", "-o", "json"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            die(f"kspark operator install --crds-only --dry-run failed: {out.stderr.strip()}")
        return [(json.dumps(item), "application/json") for item in json.loads(out.stdout)["items"]]
    bases = Path(args.kubeflow_src) / "config/crd/bases"
    files = sorted(bases.glob("*.yaml"))
    if not files:
        die(f"no CRDs in {bases} (hint: --crd FILE, or KUBEFLOW_SRC=... scripts/build-kubeflow-operator.sh)")
    return [(f.read_text(), "application/yaml") for f in files]


def application(name, namespace, args):
    version = args.spark_version
    scala = "2.12" if version.startswith("3.") else "2.13"
    return {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "type": "Scala", "mode": "cluster", "sparkVersion": version,
            "image": f"apache/spark:{version}", "imagePullPolicy": "IfNotPresent",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": f"local:///opt/spark/examples/jars/spark-examples_{scala}-{version}.jar",
            "arguments": ["10"],
            "restartPolicy": {"type": "Never"},
            # Small requests so that the simulated node (cpu 16, 64Gi, 110
            # pods) runs many drivers at once when --until completed.
            "driver": {"cores": 1, "coreRequest": "100m", "memory": "128m", "serviceAccount": "default",
                       "annotations": {"kspark.test/run-millis": str(args.run_millis)}},
            "executor": {"instances": 1, "cores": 1, "memory": "128m"},
        },
    }


def driver_pod(name, namespace, args):
    """What an operator would create for application(), reduced to what
    the API server, the scheduler and the simulated node look at."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"{name}-driver", "namespace": namespace,
                     "labels": {LAUNCHED_BY: "true", APP_NAME_LABEL: name, "spark-role": "driver"},
                     "annotations": {"kspark.test/run-millis": str(args.run_millis)}},
        "spec": {"restartPolicy": "Never", "serviceAccountName": "default",
                 "containers": [{"name": "spark-kubernetes-driver", "image": f"apache/spark:{args.spark_version}",
                                 "resources": {"requests": {"cpu": "100m", "memory": "512Mi"}}}]},
    }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port, path):
    """(status, body) of a plain HTTP GET on 127.0.0.1; (0, "") if nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError:
        return 0, ""
    finally:
        conn.close()


def start_operator(args, kspark, kubeconfig, kube, namespace, run_dir):
    out = open(run_dir / "operator.log", "w")
    if args.operator == "none":
        # A stand-in process, so that every figure has its place (and is ~0).
        return subprocess.Popen(["sleep", "infinity"], stdout=out), ["none (driver pods created directly)"]
    if args.operator == "kspark":
        cmd = [kspark, "operator", "run", "--kubeconfig", kubeconfig, "--namespace", namespace,
               "--metrics-addr", f"127.0.0.1:{args.metrics_port}"]
        if args.concurrency:
            cmd += ["--concurrency", str(args.concurrency)]
        env = dict(os.environ)
    else:
        cmd = [args.kubeflow_bin, "controller", "start", f"--namespaces={namespace}", "--enable-ui-service=false",
               "--health-probe-bind-address=127.0.0.1:0", "--metrics-bind-address=0"]
        spark_home = subprocess.run([str(REPO / "scripts/fetch-spark.sh"), args.spark_version], check=True,
                                    capture_output=True, text=True).stdout.strip()
        env = dict(os.environ, SPARK_HOME=spark_home, KUBECONFIG=kubeconfig,
                   KUBERNETES_SERVICE_HOST=kube.server.hostname, KUBERNETES_SERVICE_PORT=str(kube.server.port))
    cmd += args.operator_arg
    log("starting the operator: " + " ".join(cmd))
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT), cmd


class Tracker:
    """What the watches saw, with the times they saw it."""

    def __init__(self, names, pods_are_apps=False):
        self.names = set(names)
        self.pods_are_apps = pods_are_apps
        self.lock = threading.Lock()
        self.driver_at = {}
        self.final_at = {}
        self.final_state = {}
        self.failed_without_driver = set()
        self.errors = {}
        self.all_drivers = threading.Event()
        self.all_final = threading.Event()

    def on_pod(self, kind, pod, now):
        labels = pod.get("metadata", {}).get("labels", {})
        app = labels.get(APP_NAME_LABEL)
        phase = pod.get("status", {}).get("phase")
        if self.pods_are_apps and phase in ("Succeeded", "Failed") and app in self.names:
            self.on_app(kind, {"metadata": {"name": app}, "status": {"applicationState": {
                "state": "COMPLETED" if phase == "Succeeded" else "FAILED"}}}, now)
        if kind != "ADDED" or labels.get("spark-role") != "driver" or app not in self.names:
            return
        with self.lock:
            self.driver_at.setdefault(app, now)
            self.check_drivers()

    def check_drivers(self):
        """Every application has its driver pod, or failed without one."""
        if len(self.driver_at) + len(self.failed_without_driver) >= len(self.names):
            self.all_drivers.set()

    def on_app(self, kind, app, now):
        name = app.get("metadata", {}).get("name")
        state = app.get("status", {}).get("applicationState", {}).get("state", "")
        if name not in self.names or state not in FINAL_STATES:
            return
        with self.lock:
            if name not in self.final_at:
                self.final_at[name], self.final_state[name] = now, state
                message = app.get("status", {}).get("applicationState", {}).get("errorMessage")
                if state != "COMPLETED" and message:
                    self.errors[message[:200]] = self.errors.get(message[:200], 0) + 1
                if name not in self.driver_at:
                    # e.g. SUBMISSION_FAILED: spark-submit gave up; no driver will come.
                    self.failed_without_driver.add(name)
                    self.check_drivers()
                if len(self.final_at) == len(self.names):
                    self.all_final.set()


def create_all(kube, namespace, names, args, created_at):
    """Creates the applications over --connections threads; created_at[name]
    = monotonic time at the start of its request."""
    interval = 60.0 / args.rate if args.rate else 0.0
    start = time.monotonic()
    next_index = iter(range(len(names)))
    index_lock = threading.Lock()
    errors = []

    def worker():
        while True:
            with index_lock:
                i = next(next_index, None)
            if i is None:
                return
            if interval:
                delay = start + i * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            name = names[i]
            created_at[name] = time.monotonic()
            try:
                if args.operator == "none":
                    kube.request("POST", f"/api/v1/namespaces/{namespace}/pods", driver_pod(name, namespace, args))
                else:
                    kube.request("POST", f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/sparkapplications",
                                 application(name, namespace, args))
            except (RuntimeError, OSError, http.client.HTTPException) as e:
                errors.append(f"{name}: {e}")
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        die(f"{len(errors)} creates failed, e.g. {errors[0]}")
    return time.monotonic() - start


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def latency_stats(pairs):
    latencies = [end - start for start, end in pairs]
    if not latencies:
        return {}
    return {"p50_s": percentile(latencies, 50), "p99_s": percentile(latencies, 99), "max_s": max(latencies)}


def control_plane_pids(cluster_pid):
    """The cluster's processes by name (comm is cut at 15 characters)."""
    full = {"kube-controller": "kube-controller-manager"}
    pids = {full.get(comm(pid), comm(pid)): pid for pid in descendants(cluster_pid)}
    return pids | {"fake node (kspark-testcluster)": cluster_pid}


def run(args):
    kspark = args.kspark_bin or (cargo_bin("kspark-cli", "kspark", args.profile) if args.operator == "kspark" else None)
    testcluster = args.testcluster_bin or cargo_bin("kspark-testcluster", "kspark-testcluster", args.profile)
    if args.operator == "kubeflow" and not Path(args.kubeflow_bin).is_file():
        die(f"no kubeflow operator at {args.kubeflow_bin} (hint: KUBEFLOW_SRC=<checkout or URL> "
            f"scripts/build-kubeflow-operator.sh)")
    work = Path(tempfile.mkdtemp(prefix="kspark-bench-operator-"))
    run_dir = work / "cluster"
    namespace = "bench"
    cluster = operator = None
    stop = threading.Event()
    try:
        cluster, kubeconfig = start_cluster(testcluster, run_dir)
        kube = Kube(kubeconfig)
        crds = apply_crds(kube, crd_documents(args, kspark))
        kube.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
        wait_for("the namespace's default ServiceAccount",
                 lambda: kube.request("GET", f"/api/v1/namespaces/{namespace}/serviceaccounts/default",
                                      ok=None)[0] == 200, 60)

        names = [f"bench-{i:05d}" for i in range(args.apps)]
        tracker = Tracker(names, pods_are_apps=args.operator == "none")
        for path, params, handler in [
            (f"/api/v1/namespaces/{namespace}/pods", {"labelSelector": f"{LAUNCHED_BY}=true"}, tracker.on_pod),
            (f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/sparkapplications", {}, tracker.on_app),
        ]:
            _, listed = kube.request("GET", f"{path}?{urlencode(params)}")
            params = dict(params, resourceVersion=listed["metadata"]["resourceVersion"])
            threading.Thread(target=kube.watch, args=(path, params, handler, stop), daemon=True).start()

        operator, operator_cmd = start_operator(args, kspark, kubeconfig, kube, namespace, work)
        sampler = Sampler(operator.pid)
        sampler.start()
        if args.operator == "kspark":
            wait_for("the operator's /readyz", lambda: http_get(args.metrics_port, "/readyz")[0] == 200, 60)
        time.sleep(args.settle)
        if operator.poll() is not None:
            die(f"the operator exited with status {operator.returncode}; see {work / 'operator.log'}")
        planes = control_plane_pids(cluster.pid)
        plane_cpu0 = {name: cpu_seconds(pid) for name, pid in planes.items()}
        startup_cpu = sampler.now()
        load_before = os.getloadavg()

        created_at = {}
        log(f"creating {args.apps} SparkApplications "
            + (f"at {args.rate}/min" if args.rate else f"as fast as possible over {args.connections} connections"))
        t0 = time.monotonic()
        create_seconds = create_all(kube, namespace, names, args, created_at)
        log(f"created in {create_seconds:.1f}s; waiting for the driver pods ...")
        deadline = t0 + args.timeout
        while not tracker.all_drivers.wait(1):
            if operator.poll() is not None:
                log(f"the operator exited with status {operator.returncode}")
                break
            if time.monotonic() > deadline:
                log("timed out waiting for the driver pods")
                break
            with tracker.lock:
                log(f"  {len(tracker.driver_at)}/{args.apps} driver pods after {time.monotonic() - t0:.0f}s")
        with tracker.lock:
            drivers = dict(tracker.driver_at)
        t_last_driver = max(drivers.values(), default=time.monotonic())
        cpu_at_drivers = sampler.now()
        hwm_at_drivers = proc_status_kib(operator.pid, "VmHWM")

        if args.until == "completed":
            log("waiting for every application to reach a final state ...")
            while not tracker.all_final.wait(1):
                if time.monotonic() > deadline or operator.poll() is not None:
                    log("timed out (or the operator ended) waiting for final states")
                    break
                with tracker.lock:
                    log(f"  {len(tracker.final_at)}/{args.apps} final after {time.monotonic() - t0:.0f}s")
        t_end = time.monotonic()
        cpu_end = sampler.now()
        if args.operator == "kspark":
            (work / "metrics.txt").write_text(http_get(args.metrics_port, "/metrics")[1])
        plane_cpu = {name: cpu_seconds(pid) - plane_cpu0[name] for name, pid in planes.items()}
        sampler.stop.set()
        stats = {
            "operator": args.operator, "command": operator_cmd, "apps": args.apps,
            "mode": f"rate {args.rate}/min" if args.rate else f"burst over {args.connections} connections",
            "crds": crds, "run_millis": args.run_millis,
            "create_seconds": create_seconds,
            "create_rate_per_min": args.apps / create_seconds * 60 if create_seconds else None,
            "drivers_seen": len(drivers),
            "failed_without_driver": sorted(tracker.failed_without_driver),
            "apps_per_min": (len(drivers) / (t_last_driver - t0) * 60) if drivers else 0.0,
            "first_create_to_last_driver_s": t_last_driver - t0,
            "latency_created_to_driver": latency_stats([(created_at[n], t) for n, t in drivers.items()]),
            "operator_startup_cpu_s": startup_cpu,
            "operator_cpu_s_until_drivers": cpu_at_drivers - startup_cpu,
            # Per application handled: a failed spark-submit cost CPU too.
            "operator_cpu_ms_per_app": (cpu_at_drivers - startup_cpu)
            / max(len(drivers) + len(tracker.failed_without_driver), 1) * 1000,
            "operator_peak_rss_mib": max(sampler.hwm_kib, hwm_at_drivers) / 1024,
            "operator_peak_rss_at_last_driver_mib": hwm_at_drivers / 1024,
            "operator_tree_peak_rss_mib": sampler.peak_tree_rss_kib / 1024,
            "operator_peak_children": sampler.peak_children,
            "control_plane_cpu_s": plane_cpu,
            "load_before": load_before, "load_after": os.getloadavg(),
        }
        if args.until == "completed":
            with tracker.lock:
                final = dict(tracker.final_at)
                states = {}
                for state in tracker.final_state.values():
                    states[state] = states.get(state, 0) + 1
            stats |= {
                "final_seen": len(final), "final_states": states, "final_errors": dict(tracker.errors),
                "first_create_to_last_final_s": (max(final.values()) - t0) if final else None,
                "latency_created_to_final": latency_stats([(created_at[n], t) for n, t in final.items()]),
                "operator_cpu_s_total_run": cpu_end - startup_cpu,
                "operator_cpu_ms_per_app_total_run": (cpu_end - startup_cpu) / args.apps * 1000,
            }
        stats["wall_s"] = t_end - t0
        return stats, work
    finally:
        stop.set()
        for proc in (operator, cluster):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if not args.keep:
            # etcd's data of thousands of applications; the logs stay.
            shutil.rmtree(run_dir / "etcd-data", ignore_errors=True)


def table(s):
    def f(v, unit="", digits=1):
        return "-" if v is None else f"{v:.{digits}f}{unit}"
    lat = s["latency_created_to_driver"]
    rows = [
        ("operator", s["operator"]),
        ("applications", f"{s['drivers_seen']}/{s['apps']} driver pods"
                         + (f", {len(s['failed_without_driver'])} failed without one"
                            if s["failed_without_driver"] else "")),
        ("mode", s["mode"]),
        ("created in", f"{f(s['create_seconds'], ' s')} ({f(s['create_rate_per_min'], '/min', 0)})"),
        ("applications/minute", f(s["apps_per_min"], "", 1)),
        ("first create -> last driver", f(s["first_create_to_last_driver_s"], " s", 2)),
        ("latency p50 / p99 / max", " / ".join(f(lat.get(k), " s", 3) for k in ("p50_s", "p99_s", "max_s"))),
        ("operator CPU per application", f(s["operator_cpu_ms_per_app"], " ms", 2)),
        ("operator CPU (run / startup)", f"{f(s['operator_cpu_s_until_drivers'], ' s', 2)} / "
                                         f"{f(s['operator_startup_cpu_s'], ' s', 2)}"),
        ("operator peak RSS (VmHWM)", f(s["operator_peak_rss_mib"], " MiB")),
        ("operator + children peak RSS", f"{f(s['operator_tree_peak_rss_mib'], ' MiB')} "
                                         f"(up to {s['operator_peak_children']} child processes)"),
        ("control plane CPU during run", ", ".join(f"{k} {v:.1f} s" for k, v in
                                                   sorted(s["control_plane_cpu_s"].items()) if v >= 0.05)),
        ("load average before / after", f"{s['load_before'][0]:.2f} / {s['load_after'][0]:.2f}"),
    ]
    if "final_seen" in s:
        fl = s["latency_created_to_final"]
        rows += [
            ("final states", f"{s['final_seen']}/{s['apps']} {s['final_states']}"),
            *((f"  {count} x", message) for message, count in s["final_errors"].items()),
            ("first create -> last final", f(s["first_create_to_last_final_s"], " s", 2)),
            ("created -> final p50 / p99", " / ".join(f(fl.get(k), " s", 3) for k in ("p50_s", "p99_s"))),
            ("operator CPU per app (whole run)", f(s["operator_cpu_ms_per_app_total_run"], " ms", 2)),
        ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--operator", choices=["kspark", "kubeflow", "none"], required=True,
                    help="none: no operator, the script creates the driver pods itself (the floor set by the "
                         "API server, scheduler and simulated node)")
    ap.add_argument("--apps", type=int, default=1000, help="SparkApplications to create (default 1000)")
    ap.add_argument("--rate", type=float, help="create this many per minute (default: a burst)")
    ap.add_argument("--connections", type=int, default=4, help="parallel create connections (default 4)")
    ap.add_argument("--until", choices=["drivers", "completed"], default="drivers",
                    help="stop once every driver pod exists (default) or every application is final")
    ap.add_argument("--run-millis", type=int, default=500, help="how long each driver runs (default 500)")
    ap.add_argument("--concurrency", type=int, help="kspark operator run --concurrency N")
    ap.add_argument("--operator-arg", action="append", default=[], help="extra operator argument (repeatable)")
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds between the operator's start (kspark: its /readyz) and the first create")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds from the first create (default 3600)")
    ap.add_argument("--profile", choices=["release", "debug"], default="release", help="build profile (release)")
    ap.add_argument("--kspark-bin", help="the kspark binary to run (default: built with --profile)")
    ap.add_argument("--testcluster-bin", help="the kspark-testcluster binary (default: built with --profile)")
    ap.add_argument("--spark-version", default="4.0.5")
    ap.add_argument("--crd", action="append", help="CRD file to apply (repeatable; default: the operator's)")
    ap.add_argument("--kubeflow-bin", default=str(CACHE / "kubeflow/kf-operator"))
    ap.add_argument("--kubeflow-src", default=str(CACHE / "kubeflow-src"))
    ap.add_argument("--keep", action="store_true", help="keep the cluster's etcd data (default: only the logs)")
    ap.add_argument("--json", help="also write the figures here as JSON")
    args = ap.parse_args()
    args.metrics_port = free_port()
    if args.apps < 1 or args.connections < 1 or (args.rate is not None and args.rate <= 0):
        die("--apps, --connections and --rate must be positive")
    # SIGTERM ends the run like Ctrl-C: the operator and the cluster are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stats, work = run(args)
    print(table(stats))
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2) + "\n")
    log(f"logs in {work}")


if __name__ == "__main__":
    main()
