#!/usr/bin/env python3
"""Differences between two Spark lines' recordings of the same cases.

usage: golden/line-diff.py VERSION_A VERSION_B [CASE...]     (run from anywhere)

For every case (default: all golden/cases/*.args) this compares
golden/spark-A/CASE.jsonl with golden/spark-B/CASE.jsonl:
  * the created objects, as `kspark-testcluster normalize` reduces them,
    with the version string itself replaced by @VERSION@ on both sides (so the
    spark-version label and the image tag do not count), and with lists of
    named items (containers, env, ports, volumes, mounts) matched by name;
  * the request sequence (method, path, query, content type, Authorization,
    kind of body), with random name parts replaced;
  * the exit status.
It then prints a summary: differences shared by more than 3 cases first, with
the number of cases, then the case-specific ones.

Normalizing and scrubbing are kspark-testcluster's (`normalize`, `scrub`),
built here with scripts/cargo-bin.sh.
"""
import collections
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TOOL = subprocess.run([os.path.join(REPO, "scripts", "cargo-bin.sh"), "kspark-testcluster", "kspark-testcluster"],
                      check=True, capture_output=True, text=True).stdout.strip()


def objects(log):
    """The created objects of a recorder log, normalized."""
    return json.loads(subprocess.run([TOOL, "normalize", log], check=True, capture_output=True, text=True).stdout)


def scrub_all(lines):
    """Lines with per-run randomness replaced, as the normalizer does."""
    out = subprocess.run([TOOL, "scrub"], input="\n".join(lines) + "\n", check=True, capture_output=True, text=True)
    return out.stdout.splitlines()


def neutral(value, version):
    if isinstance(value, str):
        return value.replace(version, "@VERSION@")
    if isinstance(value, list):
        return [neutral(v, version) for v in value]
    if isinstance(value, dict):
        return {neutral(k, version): neutral(v, version) for k, v in value.items()}
    return value


def short(value):
    return json.dumps(value)[:600]


def named(items):
    return (items and all(isinstance(x, dict) and "name" in x for x in items)
            and len({x["name"] for x in items}) == len(items))


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append(f"{path}/{k}: only in A: {short(a[k])}")
            elif k not in a:
                out.append(f"{path}/{k}: only in B: {short(b[k])}")
            else:
                diff(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and named(a) and named(b):
        na, nb = [x["name"] for x in a], [x["name"] for x in b]
        for x in a:
            if x["name"] not in nb:
                out.append(f"{path}[name={x['name']}]: only in A: {short(x)}")
        for x in b:
            if x["name"] not in na:
                out.append(f"{path}[name={x['name']}]: only in B: {short(x)}")
        for x in a:
            for y in b:
                if x["name"] == y["name"]:
                    diff(x, y, f"{path}[name={x['name']}]", out)
        if [n for n in na if n in nb] != [n for n in nb if n in na]:
            out.append(f"{path}: order A {na} B {nb}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: A {short(a)} B {short(b)}")


def requests(path, version):
    seq = []
    for line in open(path):
        r = json.loads(line)
        body = r["body"]
        kind = body.get("kind", "") if isinstance(body, dict) else ("<text>" if body else "")
        query = "&".join(f"{k}={v[0]}" for k, v in r["query"].items())
        seq.append(f"{r['method']} {r['path']}{'?' + query if query else ''} "
                   f"[{r['content_type']}] auth={r['authorization']} {kind}")
    return [line.replace(version, "@VERSION@") for line in scrub_all(seq)] if seq else []


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    a, b = sys.argv[1], sys.argv[2]
    cases = sys.argv[3:] or sorted(f[:-5] for f in os.listdir(os.path.join(HERE, "cases")) if f.endswith(".args"))
    per_case = {}
    for case in cases:
        pa = os.path.join(HERE, f"spark-{a}", case + ".jsonl")
        pb = os.path.join(HERE, f"spark-{b}", case + ".jsonl")
        out = []
        diff(neutral(objects(pa), a), neutral(objects(pb), b), "", out)
        ra, rb = requests(pa, a), requests(pb, b)
        if ra != rb:
            out.append("requests differ:\n      A: " + "\n      A: ".join(ra) + "\n      B: " + "\n      B: ".join(rb))
        ea = open(os.path.join(HERE, f"spark-{a}", case + ".exit")).read().strip()
        eb = open(os.path.join(HERE, f"spark-{b}", case + ".exit")).read().strip()
        if ea != eb:
            out.append(f"exit status: A {ea} B {eb}")
        per_case[case] = out
        print(f"=== {case}: {len(out)} difference(s)")
        for line in out:
            print("   " + line)

    def general(line):
        line = line.split("\n")[0]
        line = re.sub(r"\[name=(spark-kubernetes-driver|spark|main|driver)\]", "[driver-container]", line)
        return re.sub(r"[a-z0-9.-]*-RAND-", "PREFIX-RAND-", line)

    counts = collections.Counter(g for out in per_case.values() for g in {general(x) for x in out})
    print(f"\n##### summary {a} -> {b} ({len(per_case)} cases)")
    for line, n in counts.most_common():
        if n > 3:
            print(f"[{n} cases] {line}")
    for case, out in sorted(per_case.items()):
        for line in out:
            if counts[general(line)] <= 3:
                print(f"[{case}] {general(line)}")


if __name__ == "__main__":
    main()
