//! Hash codes as the JVM computes them: `java.lang.String.hashCode`, Scala's
//! `MurmurHash3` product hash (what a `Tuple2` returns from `hashCode`) and
//! the bit spreaders the collections apply before indexing.

use super::Scala;

/// `java.lang.String.hashCode`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16
/// code units, wrapping.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// `scala.util.hashing.MurmurHash3.productSeed`.
const PRODUCT_SEED: u32 = 0xcafe_babe;

fn mix_last(hash: u32, data: u32) -> u32 {
    let k = data.wrapping_mul(0xcc9e_2d51).rotate_left(15).wrapping_mul(0x1b87_3593);
    hash ^ k
}

fn mix(hash: u32, data: u32) -> u32 {
    mix_last(hash, data).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64)
}

fn avalanche(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// `MurmurHash3.productHash` of a product whose elements hash to
/// `elements`. Scala 2.13 mixes in the class name (`productPrefix`) first;
/// 2.12 does not.
pub fn product_hash(prefix: &str, elements: &[i32], scala: Scala) -> i32 {
    let mut h = PRODUCT_SEED;
    if scala == Scala::V2_13 {
        h = mix(h, string_hash(prefix) as u32);
    }
    for e in elements {
        h = mix(h, *e as u32);
    }
    avalanche(h ^ elements.len() as u32) as i32
}

/// `("key", "value").hashCode` of a `scala.Tuple2` of two strings.
pub fn tuple2_hash(a: &str, b: &str, scala: Scala) -> i32 {
    product_hash("Tuple2", &[string_hash(a), string_hash(b)], scala)
}

/// `Option#hashCode`: `None` is a case object (its name's hash), `Some` a
/// one-field case class.
pub fn option_hash(inner: Option<i32>, scala: Scala) -> i32 {
    match inner {
        None => string_hash("None"),
        Some(h) => product_hash("Some", &[h], scala),
    }
}

/// `MurmurHash3.mapHash` of a `Map[String, String]` in Scala 2.13: an
/// order-independent mix of the entries' tuple hashes (sum, xor, product).
pub fn map_hash_2_13(entries: &[(String, String)]) -> i32 {
    let (mut sum, mut xor, mut product) = (0u32, 0u32, 1u32);
    for (k, v) in entries {
        let h = tuple2_hash(k, v, Scala::V2_13) as u32;
        sum = sum.wrapping_add(h);
        xor ^= h;
        product = product.wrapping_mul(h | 1);
    }
    let mut h = string_hash("Map") as u32;
    h = mix(h, sum);
    h = mix(h, xor);
    h = mix_last(h, product);
    avalanche(h ^ entries.len() as u32) as i32
}

/// The spreader of Scala's immutable hash tries (`Hashing.improve` in 2.13,
/// `HashMap.improve` in 2.12; the same function).
pub fn improve(hcode: i32) -> u32 {
    let mut h = (hcode as u32).wrapping_add(!((hcode as u32) << 9));
    h ^= h >> 14;
    h = h.wrapping_add(h << 4);
    h ^ (h >> 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values printed by JDK 17 (`"…".hashCode()`) and by
    // `new scala.Tuple2(a, b).hashCode()` with scala-library 2.12.18
    // (Spark 3.5.9) and 2.13.16 (Spark 4.0.5).
    #[test]
    fn java_string_hash_codes() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("Tuple2"), -1_778_623_094);
        assert_eq!(string_hash("über"), 7_604_755);
        // Outside the BMP: two UTF-16 units.
        assert_eq!(string_hash("😀"), 1_772_899);
    }

    #[test]
    fn scala_tuple2_hash_codes() {
        assert_eq!(tuple2_hash("spark.kubernetes.driverEnv.FOO", "bar", Scala::V2_12), -159_007_241);
        assert_eq!(tuple2_hash("a", "b", Scala::V2_12), -900_438_667);
        assert_eq!(tuple2_hash("spark.kubernetes.driverEnv.FOO", "bar", Scala::V2_13), -721_389_364);
        assert_eq!(tuple2_hash("a", "b", Scala::V2_13), 961_399_813);
    }

    // `Map().hashCode`, `Option(Map()).hashCode` and two non-empty maps'.
    #[test]
    fn scala_map_and_option_hash_codes() {
        let map = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(map_hash_2_13(&[]), -1_609_326_920);
        assert_eq!(option_hash(Some(-1_609_326_920), Scala::V2_12), -1_254_091_003);
        assert_eq!(option_hash(Some(-1_609_326_920), Scala::V2_13), 150_992_463);
        assert_eq!(map_hash_2_13(&map(&[("team", "data")])), -1_396_250_007);
        assert_eq!(map_hash_2_13(&map(&[("team", "data"), ("example.com/note", "x y")])), -1_930_552_634);
        assert_eq!(option_hash(None, Scala::V2_13), 2_433_880);
    }
}
