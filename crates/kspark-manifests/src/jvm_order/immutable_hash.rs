//! Scala's immutable `Map`/`Set` as `.toMap`/`.toSet` build them: up to
//! four entries in the small classes (`Map1`..`Map4`, `Set1`..`Set4`),
//! which keep insertion order, and a hash trie beyond that. The tries
//! branch on 5 bits of the improved hash at a time, lowest bits first.
//! Scala 2.12's `HashTrieMap` iterates children in bit order; 2.13's CHAMP
//! nodes list their inline entries before their sub-nodes.

use super::Scala;
use super::hashing::{improve, string_hash};

/// The iteration order of `pairs.toMap` (keys distinct) with string keys.
pub fn to_map_order<V>(pairs: Vec<(String, V)>, scala: Scala) -> Vec<(String, V)> {
    to_set_order(pairs, |(k, _)| string_hash(k), scala)
}

/// The iteration order of an immutable set (or map, by key) built by
/// adding distinct `elements` in this order; `hash` is the `hashCode`.
pub fn to_set_order<T>(elements: Vec<T>, hash: impl Fn(&T) -> i32, scala: Scala) -> Vec<T> {
    if elements.len() <= 4 {
        return elements;
    }
    let keyed: Vec<(u32, T)> = elements.into_iter().map(|e| (improve(hash(&e)), e)).collect();
    let ordered = match scala {
        Scala::V2_12 => hash_trie(keyed),
        Scala::V2_13 => champ(keyed, 0),
    };
    ordered.into_iter().map(|(_, e)| e).collect()
}

/// 2.12: children in bit order at every level, i.e. sorted by the 5-bit
/// chunks of the hash from the lowest up. Equal hashes (a collision node)
/// keep insertion order.
fn hash_trie<T>(mut keyed: Vec<(u32, T)>) -> Vec<(u32, T)> {
    keyed.sort_by_key(|(h, _)| chunks(*h));
    keyed
}

fn chunks(h: u32) -> [u32; 7] {
    std::array::from_fn(|i| (h >> (5 * i)) & 31)
}

/// 2.13 CHAMP: at each level, the entries alone in their 5-bit slot (in
/// slot order), then the sub-nodes of the shared slots (in slot order).
fn champ<T>(keyed: Vec<(u32, T)>, shift: u32) -> Vec<(u32, T)> {
    let all_equal = keyed.windows(2).all(|w| w[0].0 == w[1].0);
    if keyed.len() <= 1 || all_equal || shift >= 32 {
        return keyed; // a leaf, or a collision node in insertion order
    }
    let mut slots: Vec<Vec<(u32, T)>> = (0..32).map(|_| Vec::new()).collect();
    for (h, e) in keyed {
        slots[((h >> shift) & 31) as usize].push((h, e));
    }
    let mut inline = Vec::new();
    let mut nodes = Vec::new();
    for slot in slots {
        match slot.len() {
            0 => {}
            1 => inline.extend(slot),
            _ => nodes.push(slot),
        }
    }
    inline.extend(nodes.into_iter().flat_map(|node| champ(node, shift + 5)));
    inline
}

#[cfg(test)]
mod tests {
    use super::super::hashing::tuple2_hash;
    use super::*;

    // Printed by `immutable.HashMap.empty.updated("key" + 13i, "")` for i in
    // 0..40 and by `immutable.HashSet.empty + ("hostPath", "v" + i)` for i
    // in 0..12, iterated (scala-library 2.12.18 and 2.13.16).
    const MAP_2_12: &str = "312 13 195 442 403 208 390 0 221 143 286 247 117 273 429 455 494 338 377 182 \
                            169 91 65 104 260 299 234 507 130 325 364 351 416 481 156 468 39 78 26 52";
    const MAP_2_13: &str = "312 390 247 338 65 104 260 507 364 351 156 468 39 52 13 195 442 403 208 0 \
                            221 143 286 117 273 429 455 494 377 182 169 91 299 234 130 325 416 481 78 26";
    const SET_2_12: &str = "8 4 6 5 11 3 2 10 7 1 9 0";
    const SET_2_13: &str = "3 9 4 5 1 6 11 10 8 0 2 7";

    fn map_order(scala: Scala) -> String {
        let pairs: Vec<(String, ())> = (0..40).map(|i| (format!("key{}", i * 13), ())).collect();
        let keys: Vec<String> = to_map_order(pairs, scala).into_iter().map(|(k, _)| k[3..].to_string()).collect();
        keys.join(" ")
    }

    fn set_order(scala: Scala) -> String {
        let tuples: Vec<(String, String)> = (0..12).map(|i| ("hostPath".to_string(), format!("v{i}"))).collect();
        let ordered = to_set_order(tuples, |(a, b)| tuple2_hash(a, b, scala), scala);
        ordered.into_iter().map(|(_, v)| v[1..].to_string()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn scala_2_12_hash_trie_orders() {
        assert_eq!(map_order(Scala::V2_12), MAP_2_12.split_whitespace().collect::<Vec<_>>().join(" "));
        assert_eq!(set_order(Scala::V2_12), SET_2_12);
    }

    #[test]
    fn scala_2_13_champ_orders() {
        assert_eq!(map_order(Scala::V2_13), MAP_2_13.split_whitespace().collect::<Vec<_>>().join(" "));
        assert_eq!(set_order(Scala::V2_13), SET_2_13);
    }

    #[test]
    fn four_or_fewer_keep_insertion_order() {
        let pairs: Vec<(String, u8)> = ["z", "a", "m", "b"].iter().map(|k| (k.to_string(), 0)).collect();
        let keys: Vec<String> = to_map_order(pairs, Scala::V2_13).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["z", "a", "m", "b"]);
    }
}
