#!/usr/bin/env python3
"""Compare Spark's recorded objects with kspark's, like the recorder's
compare.py, except for lists whose order Spark takes from hash maps and
which therefore differs between Spark lines and even between runs: the
driver's env, volumes, volume mounts, ConfigMap volume items and local dirs.
Those are compared as sets (sorted by name); every other list keeps its order.

usage: golden_compare.py RECORDER_DIR EXPECTED.jsonl ACTUAL.jsonl
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from normalize import objects  # noqa: E402

UNORDERED = {"env": "name", "volumes": "name", "volumeMounts": "mountPath", "items": "key"}


def canonical(value, key=None):
    if isinstance(value, dict) and str(value.get("name", "")).startswith("spark-local-dir-"):
        value = dict(value, name="spark-local-dir-N")  # which dir gets which number is random in Spark
    if isinstance(value, dict):
        return {k: canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        if key in UNORDERED and all(isinstance(i, dict) for i in items):
            items.sort(key=lambda i: json.dumps(i.get(UNORDERED[key]), sort_keys=True) + json.dumps(i, sort_keys=True))
        return items
    if isinstance(value, str) and key == "value" and value.startswith("/") and "," in value:
        return ",".join(sorted(value.split(",")))  # SPARK_LOCAL_DIRS: Spark shuffles it
    return value


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append(f"{path}/{k}: only in Spark's: {json.dumps(a[k])[:300]}")
            elif k not in a:
                out.append(f"{path}/{k}: only in kspark's: {json.dumps(b[k])[:300]}")
            else:
                diff(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: Spark {json.dumps(a)[:300]} kspark {json.dumps(b)[:300]}")


if __name__ == "__main__":
    found = []
    diff(canonical(objects(sys.argv[2])), canonical(objects(sys.argv[3])), "", found)
    print("\n".join(found) if found else "same objects")
    sys.exit(1 if found else 0)
