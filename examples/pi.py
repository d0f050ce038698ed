"""Estimates pi by throwing darts: the classic first Spark job.

    kspark submit --master 'local[*]' examples/pi.py 10
"""
import random
import sys
from operator import add

from pyspark.sql import SparkSession


def inside(_):
    x, y = random.random() * 2 - 1, random.random() * 2 - 1
    return 1 if x * x + y * y <= 1 else 0


if __name__ == "__main__":
    partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    spark = SparkSession.builder.appName("kspark-pi").getOrCreate()
    n = 100_000 * partitions
    count = spark.sparkContext.parallelize(range(n), partitions).map(inside).reduce(add)
    print(f"Pi is roughly {4.0 * count / n:.4f}")
    spark.stop()
