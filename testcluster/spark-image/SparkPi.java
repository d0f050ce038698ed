package org.apache.spark.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The test images' stand-in for Spark's examples jar (which neither the pyspark
 * source archive nor Maven Central carries for 4.0.x): estimates pi by sampling
 * points in the square [-1, 1]², spread over N slices (the one argument,
 * default 2), and prints "Pi is roughly VALUE" like Spark's own SparkPi, so
 * tests can look for that line in a driver's log.
 */
public final class SparkPi {
  private static final int SAMPLES_PER_SLICE = 100_000;

  private SparkPi() {}

  public static void main(String[] args) {
    int slices = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    if (slices < 1) {
      throw new IllegalArgumentException("the number of slices must be at least 1, got " + slices);
    }
    SparkSession spark = SparkSession.builder().appName("Spark Pi").getOrCreate();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      List<Integer> seeds = new ArrayList<>(slices);
      for (int i = 0; i < slices; i++) {
        seeds.add(i);
      }
      // Each slice draws its own points from a generator seeded by its index,
      // so the driver ships N small integers rather than N * 100 000 of them.
      long inside = jsc.parallelize(seeds, slices)
          .map(seed -> {
            SplittableRandom random = new SplittableRandom(0x5eed_0000L + seed);
            long hits = 0;
            for (int s = 0; s < SAMPLES_PER_SLICE; s++) {
              double x = random.nextDouble() * 2 - 1;
              double y = random.nextDouble() * 2 - 1;
              if (x * x + y * y <= 1) {
                hits++;
              }
            }
            return hits;
          })
          .reduce(Long::sum);
      long total = (long) SAMPLES_PER_SLICE * slices;
      System.out.println("Pi is roughly " + 4.0 * inside / total);
    } finally {
      spark.stop();
    }
  }
}
