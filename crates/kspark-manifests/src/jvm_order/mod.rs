//! The order in which Spark's JVM collections hand back configuration
//! entries. Spark builds the driver's env, secret mounts and user volumes
//! by iterating hash maps and sets, so their order is a pure function of
//! the keys' (and values') hash codes and of the number of entries in the
//! `SparkConf`. These are faithful models of the collections on the code
//! path `sparkConf.getAllWithPrefix(prefix).toMap`:
//!
//! 1. `SparkConf.settings` is a `java.util.concurrent.ConcurrentHashMap`;
//!    `createDriverConf` clones it ([`concurrent_hash_map`]).
//! 2. `getAll` maps its entry set into a Scala `mutable.HashSet` of
//!    `(key, value)` tuples ([`mutable_hash_set`]): Scala 2.12's
//!    `FlatHashTable` (Spark 3.5) or 2.13's chained table (Spark 4).
//! 3. `.toMap` builds an immutable `Map`: `Map1`..`Map4` keep insertion
//!    order; larger maps are hash tries whose order differs between Scala
//!    2.12 and 2.13's CHAMP ([`immutable_hash`]).
//!
//! The unit tests' expected orders were printed by the real collections
//! (JDK 17 with each Spark line's own scala-library jar).

use std::collections::HashMap;

pub mod concurrent_hash_map;
pub mod hashing;
pub mod immutable_hash;
pub mod mutable_hash_set;

/// The Scala major version a Spark line is built with; it decides every
/// hash-collection order Spark shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scala {
    /// Spark 3.5.
    V2_12,
    /// Spark 4.x.
    V2_13,
}

/// The entries of a `SparkConf` holding `entries`, as Spark's
/// `sparkConf.clone().getAllWithPrefix(prefix).toMap` iterates them: prefix
/// stripped, in Spark's order.
///
/// `entries` stand for the order in which `spark-submit` set them. Only
/// Scala 2.12 can notice that order (when entries collide in its probing
/// table); kspark passes its settings sorted by key.
pub fn prefixed_map(entries: &[(String, String)], prefix: &str, scala: Scala) -> Vec<(String, String)> {
    let values: HashMap<&str, &str> = entries.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let original = concurrent_hash_map::iteration_order(entries.iter().map(|(k, _)| k.as_str()));
    let cloned = concurrent_hash_map::iteration_order(original);
    let tuples: Vec<(&str, &str)> =
        cloned.into_iter().map(|k| (k, values.get(k).copied().unwrap_or_default())).collect();
    let get_all = mutable_hash_set::iteration_order(tuples, |(k, v)| hashing::tuple2_hash(k, v, scala), scala);
    let with_prefix: Vec<(String, String)> = get_all
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest.to_string(), v.to_string())))
        .collect();
    immutable_hash::to_map_order(with_prefix, scala)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn names(map: Vec<(String, String)>) -> Vec<String> {
        map.into_iter().map(|(k, _)| k).collect()
    }

    /// The golden case `env-vars`: Spark 3.5.9 sends FOO first, 4.x WITH_SPACE.
    #[test]
    fn env_vars_case_differs_between_scala_lines() {
        let entries = conf(&[
            ("spark.kubernetes.driverEnv.FOO", "bar"),
            ("spark.master", "k8s://http://127.0.0.1:58851"),
            ("spark.submit.pyFiles", ""),
            ("spark.kubernetes.driverEnv.WITH_SPACE", "a b=c"),
            ("spark.app.name", "env"),
            ("spark.kubernetes.resource.type", "python"),
            ("spark.submit.deployMode", "cluster"),
            ("spark.executorEnv.X", "y"),
            ("spark.app.submitTime", "1795547992482"),
            ("spark.kubernetes.container.image", "apache/spark:x"),
        ]);
        let prefix = "spark.kubernetes.driverEnv.";
        assert_eq!(names(prefixed_map(&entries, prefix, Scala::V2_12)), ["FOO", "WITH_SPACE"]);
        assert_eq!(names(prefixed_map(&entries, prefix, Scala::V2_13)), ["WITH_SPACE", "FOO"]);
    }
}
