#!/usr/bin/env python3
"""Compare Spark's recorded objects with kspark's, like the recorder's
compare.py. Every list is compared in order: Spark's order of env vars,
volumes, mounts and ConfigMap items is a deterministic function of the
configuration (see golden/README.md, "List order"), and kspark reproduces
it. The one exception is `spark.local.dir` with several directories, which
Spark shuffles on every run: the `spark-local-dir-*` volumes and mounts are
compared as a set within their own positions, and the value of
`SPARK_LOCAL_DIRS` as a set of paths.

usage: golden_compare.py RECORDER_DIR EXPECTED.jsonl ACTUAL.jsonl
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from normalize import objects  # noqa: E402

LOCAL_DIR = "spark-local-dir-"


def is_local_dir(item):
    return isinstance(item, dict) and str(item.get("name", "")).startswith(LOCAL_DIR)


def shuffled_local_dirs(items):
    """Sort the local-dir entries among the positions they occupy."""
    slots = [i for i, item in enumerate(items) if is_local_dir(item)]
    ordered = sorted((items[i] for i in slots), key=lambda i: json.dumps(i, sort_keys=True))
    for slot, item in zip(slots, ordered):
        items[slot] = item
    return items


def canonical(value, key=None):
    if is_local_dir(value):
        value = dict(value, name=LOCAL_DIR + "N")  # which dir gets which number is random in Spark
    if isinstance(value, dict) and value.get("name") == "SPARK_LOCAL_DIRS" and "value" in value:
        value = dict(value, value=",".join(sorted(str(value["value"]).split(","))))
    if isinstance(value, dict):
        return {k: canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return shuffled_local_dirs(items) if key in ("volumes", "volumeMounts") else items
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
