//! Scala's `mutable.HashSet`, filled one element at a time (what
//! `SparkConf.getAll`'s `.map` builds), and the order it iterates in.

use super::Scala;

/// The iteration order of a `mutable.HashSet` after adding `elements` in
/// this order; `hash` is the element's `hashCode`. Elements are distinct.
pub fn iteration_order<T>(elements: Vec<T>, hash: impl Fn(&T) -> i32, scala: Scala) -> Vec<T> {
    match scala {
        Scala::V2_12 => flat_hash_table(elements, hash),
        Scala::V2_13 => chained_table(elements, hash),
    }
}

/// Scala 2.13: separate chaining with `hash ^ (hash >>> 16)`, bucket
/// `improved & (size - 1)`, each bucket kept sorted by improved hash. The
/// table starts at 16 buckets and doubles before an add that would reach
/// 0.75 of its size, so the order depends on the element count only.
fn chained_table<T>(elements: Vec<T>, hash: impl Fn(&T) -> i32) -> Vec<T> {
    let mut buckets = 16usize;
    for count in 0..elements.len() {
        while count + 1 >= buckets * 3 / 4 {
            buckets *= 2;
        }
    }
    let mut keyed: Vec<(usize, i32, T)> = elements
        .into_iter()
        .map(|e| {
            let h = hash(&e) as u32;
            let improved = h ^ (h >> 16);
            (improved as usize & (buckets - 1), improved as i32, e)
        })
        .collect();
    // Stable: equal hashes stay in insertion order, as `addElem` does.
    keyed.sort_by_key(|(bucket, improved, _)| (*bucket, *improved));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// `FlatHashTable.defaultLoadFactor` (per mille).
const LOAD_FACTOR: usize = 450;

/// Scala 2.12: `FlatHashTable`, open addressing with linear probing. It
/// starts with 32 slots and doubles (re-adding in slot order) once the
/// element count reaches 45% of the slots, so where collisions land
/// depends on the insertion order too.
fn flat_hash_table<T>(elements: Vec<T>, hash: impl Fn(&T) -> i32) -> Vec<T> {
    let mut table: Vec<Option<(i32, T)>> = (0..32).map(|_| None).collect();
    let mut size = 0usize;
    for e in elements {
        let h = hash(&e);
        put(&mut table, h, e);
        size += 1;
        if size >= table.len() * LOAD_FACTOR / 1000 {
            let old = std::mem::take(&mut table);
            table = (0..old.len() * 2).map(|_| None).collect();
            for (h, e) in old.into_iter().flatten() {
                put(&mut table, h, e);
            }
        }
    }
    table.into_iter().flatten().map(|(_, e)| e).collect()
}

fn put<T>(table: &mut [Option<(i32, T)>], hash: i32, element: T) {
    let mut slot = flat_index(hash, table.len());
    while table[slot].is_some() {
        slot = (slot + 1) % table.len();
    }
    table[slot] = Some((hash, element));
}

/// `FlatHashTable.index`: `byteswap32`, rotated by the table's seed
/// (`bitCount(length - 1)`), top bits taken.
fn flat_index(hash: i32, len: usize) -> usize {
    let bits = (len - 1).count_ones();
    let improved = byteswap32(hash as u32).rotate_right(bits % 32);
    ((improved >> (32 - bits)) as usize) & (len - 1)
}

/// `scala.util.hashing.byteswap32`.
fn byteswap32(v: u32) -> u32 {
    v.wrapping_mul(0x9e37_75cd).swap_bytes().wrapping_mul(0x9e37_75cd)
}

#[cfg(test)]
mod tests {
    use super::super::hashing::tuple2_hash;
    use super::*;

    // Printed by `new scala.collection.mutable.HashSet()` with `add` of
    // `("spark.k" + i, "v" + 7i)` for i in 0..30, then iterated
    // (scala-library 2.12.18 and 2.13.16 on JDK 17).
    const SCALA_2_12: &str = "7 28 12 21 20 1 8 6 15 13 18 4 24 23 10 19 26 16 11 22 0 5 2 27 25 3 29 17 9 14";
    const SCALA_2_13: &str = "21 19 18 8 6 10 20 12 22 27 14 1 4 0 2 17 24 9 29 7 15 28 3 11 16 13 26 25 5 23";

    fn order(scala: Scala) -> String {
        let tuples: Vec<(String, String)> = (0..30).map(|i| (format!("spark.k{i}"), format!("v{}", i * 7))).collect();
        let ordered = iteration_order(tuples, |(k, v)| tuple2_hash(k, v, scala), scala);
        ordered.iter().map(|(k, _)| k.trim_start_matches("spark.k")).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn scala_2_12_flat_hash_table_order() {
        assert_eq!(order(Scala::V2_12), SCALA_2_12);
    }

    #[test]
    fn scala_2_13_chained_table_order() {
        assert_eq!(order(Scala::V2_13), SCALA_2_13);
    }
}
