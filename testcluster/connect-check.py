#!/usr/bin/env python3
"""A small Spark Connect client for the SparkConnect tests.

    python connect-check.py sc://127.0.0.1:15002 [--wait SECONDS] [--bytes N] [--hold SECONDS]

Runs queries with known answers against the server and prints one JSON line:

  * sum(id) over range(1000), which is 499500; the seconds from this
    program's start to that answer are `first_answer_s`. With --wait it
    first waits (up to SECONDS) for the server's port to take connections,
    as a readiness probe would, then retries the query until the deadline;
    the waiting counts in `first_answer_s`, and `port_open_s` says when the
    port opened;
  * an inner join of a DataFrame made on the client (createDataFrame, sent to
    the server as Arrow) with one made on the server (range), on a key they
    share for 5..9: five rows, names n5..n9, sum of squares 255;
  * with --bytes N: a result of about N bytes (ceil(N / 1000) rows of a
    1000-character string) fetched whole as Arrow, to time the path from the
    server to the client; `bytes_received` counts the strings' characters;
  * with --hold SECONDS: the session stays open (connected, idle) that long,
    then sum(id) is asked again (`sum_after_hold`), as a notebook left open does.

Exit status: 0 when every answer is right, 1 when one is wrong, 2 when the
session or a query fails. Run it with the python of testcluster/connect-client.sh.
"""

import argparse
import json
import socket
import sys
import time

START = time.monotonic()


def elapsed():
    return round(time.monotonic() - START, 3)


def wait_for_port(url, wait):
    """Until the server's port takes a TCP connection (what a readiness probe checks)."""
    hostport = url.split("://", 1)[-1].split("/", 1)[0].split(";", 1)[0]
    host, _, port = hostport.rpartition(":")
    host, port = (host or hostport).strip("[]"), int(port or 15002)
    deadline = START + wait
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def first_answer(spark, wait):
    """sum(id) over range(1000), retried while the server is not up yet."""
    deadline = START + wait
    attempts = 0
    while True:
        attempts += 1
        try:
            return spark.range(1000).selectExpr("sum(id) AS s").collect()[0]["s"], attempts
        except Exception as e:  # the client's own retries gave up first
            if time.monotonic() >= deadline:
                raise
            print(f"connect-check: server not answering yet ({type(e).__name__}); retrying", file=sys.stderr)
            time.sleep(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="sc://HOST:PORT")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="wait this long for the port and the first answer (default: fail at once on a closed port)")
    p.add_argument("--bytes", type=int, default=0, metavar="N",
                   help="also fetch a result of about N bytes and time it")
    p.add_argument("--hold", type=float, default=0, metavar="SECONDS",
                   help="keep the session open this long, then query again")
    args = p.parse_args()

    out = {"url": args.url}
    wrong = []
    try:
        import pyarrow.compute as pc
        from pyspark.sql import SparkSession

        # Also without --wait: a closed port fails at once here, where the
        # client's own retries would go on for minutes.
        wait_for_port(args.url, args.wait)
        out["port_open_s"] = elapsed()

        spark = SparkSession.builder.remote(args.url).getOrCreate()
        total, attempts = first_answer(spark, args.wait)
        out["first_answer_s"] = elapsed()
        out["attempts"] = attempts
        out["sum"] = total
        if total != 499500:
            wrong.append(f"sum(id) over range(1000) is {total}, not 499500")
        out["spark_version"] = spark.version

        t = time.monotonic()
        names = spark.createDataFrame([(i, f"n{i}") for i in range(10)], "k INT, name STRING")
        squares = spark.range(5, 15).selectExpr("CAST(id AS INT) AS k", "id * id AS sq")
        rows = names.join(squares, "k").orderBy("k").collect()
        out["join_s"] = round(time.monotonic() - t, 3)
        out["join_rows"] = len(rows)
        out["join_names"] = [r["name"] for r in rows]
        out["join_sum"] = sum(r["sq"] for r in rows)
        if out["join_names"] != [f"n{i}" for i in range(5, 10)] or out["join_sum"] != 255:
            wrong.append(f"the join gave names {out['join_names']} and sum {out['join_sum']}, "
                         "not n5..n9 and 255")

        if args.bytes > 0:
            n = -(-args.bytes // 1000)
            t = time.monotonic()
            table = spark.range(n).selectExpr("repeat('x', 1000) AS s").toArrow()
            secs = time.monotonic() - t
            received = pc.sum(pc.utf8_length(table.column("s"))).as_py() or 0
            out.update(bytes_requested=args.bytes, rows=table.num_rows, bytes_received=received,
                       arrow_bytes=table.nbytes, fetch_s=round(secs, 3),
                       mb_per_s=round(received / 1e6 / secs, 1) if secs > 0 else None)
            if table.num_rows != n or received != n * 1000:
                wrong.append(f"the large result has {table.num_rows} rows and {received} bytes, "
                             f"not {n} and {n * 1000}")
        if args.hold > 0:
            time.sleep(args.hold)
            again = spark.range(1000).selectExpr("sum(id) AS s").collect()[0]["s"]
            out["sum_after_hold"] = again
            if again != 499500:
                wrong.append(f"after the hold, sum(id) is {again}, not 499500")
        out["total_s"] = elapsed()
        try:
            spark.stop()
        except Exception:
            pass
    except Exception as e:
        out.update(ok=False, error=f"{type(e).__name__}: {e}".splitlines()[0][:500], total_s=elapsed())
        print(json.dumps(out), flush=True)
        return 2

    out["ok"] = not wrong
    if wrong:
        out["wrong"] = wrong
    print(json.dumps(out), flush=True)
    return 0 if not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
