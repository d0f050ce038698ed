//! `java.util.concurrent.ConcurrentHashMap` (JDK 8 to 21), as `SparkConf`
//! uses it: created empty, filled by `put`, iterated single-threaded.
//!
//! Iteration walks the table from bin 0 up; a bin holds its keys in
//! insertion order, except that a resize (`transfer`) rebuilds each bin's
//! two halves by prepending the nodes that precede the bin's last run,
//! which reverses them. Bins are never treeified below 64 entries per bin.

use super::hashing::string_hash;

/// `new ConcurrentHashMap()` allocates 16 bins on the first put.
const INITIAL_BINS: usize = 16;

/// `spread(h)`: high bits folded into low bits, sign bit cleared.
fn spread(key: &str) -> u32 {
    let h = string_hash(key) as u32;
    (h ^ (h >> 16)) & 0x7fff_ffff
}

/// The iteration order of a map built by putting `keys` in this order
/// (a repeated key keeps its first position).
pub fn iteration_order<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut bins: Vec<Vec<(u32, &str)>> = vec![Vec::new(); INITIAL_BINS];
    let mut count = 0usize;
    for key in keys {
        let hash = spread(key);
        let n = bins.len();
        let bin = &mut bins[hash as usize & (n - 1)];
        if bin.iter().any(|(_, k)| *k == key) {
            continue;
        }
        bin.push((hash, key));
        count += 1;
        // `addCount`: resize once the count reaches sizeCtl = 0.75 n.
        if count >= n - (n >> 2) {
            bins = transfer(bins);
        }
    }
    bins.into_iter().flatten().map(|(_, k)| k).collect()
}

/// `ConcurrentHashMap.transfer` for plain linked bins: doubles the table,
/// splitting bin `i` into `i` (low) and `i + n` (high).
fn transfer(bins: Vec<Vec<(u32, &str)>>) -> Vec<Vec<(u32, &str)>> {
    let n = bins.len();
    let bit = n as u32;
    let mut next: Vec<Vec<(u32, &str)>> = vec![Vec::new(); 2 * n];
    for (i, bin) in bins.into_iter().enumerate() {
        let Some(first) = bin.first() else { continue };
        // The last run: the longest tail whose nodes all go the same way is
        // moved as is.
        let mut run_bit = first.0 & bit;
        let mut last_run = 0;
        for (j, (h, _)) in bin.iter().enumerate().skip(1) {
            if h & bit != run_bit {
                run_bit = h & bit;
                last_run = j;
            }
        }
        let (mut low, mut high) =
            if run_bit == 0 { (bin[last_run..].to_vec(), Vec::new()) } else { (Vec::new(), bin[last_run..].to_vec()) };
        // Nodes before the last run are prepended one by one.
        for node in &bin[..last_run] {
            let side = if node.0 & bit == 0 { &mut low } else { &mut high };
            side.insert(0, *node);
        }
        next[i] = low;
        next[i + n] = high;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected orders printed by `new ConcurrentHashMap<String,String>()`,
    // `put` in the given order, then `keySet()` iteration (JDK 17.0.15).
    #[test]
    fn small_map_iterates_by_bin() {
        let keys = ["spark.app.name", "spark.master", "spark.submit.deployMode", "a", "b", "c"];
        assert_eq!(iteration_order(keys), JDK_SMALL);
    }

    /// Keys `k0, k3, … k117`: some bins split with nodes ahead of their last
    /// run, which the resize reverses.
    #[test]
    fn resizes_reverse_parts_of_bins() {
        let keys: Vec<String> = (0..40).map(|i| format!("k{}", i * 3)).collect();
        let order = iteration_order(keys.iter().map(String::as_str));
        assert_eq!(order.join(" "), JDK_RESIZED);
    }

    const JDK_SMALL: [&str; 6] = ["spark.master", "a", "b", "c", "spark.app.name", "spark.submit.deployMode"];
    const JDK_RESIZED: &str = "k90 k93 k51 k72 k75 k30 k96 k33 k99 k54 k57 k12 k78 k15 k36 k39 k18 k102 k105 k108 \
        k60 k0 k81 k84 k3 k42 k63 k66 k21 k6 k87 k24 k45 k9 k48 k69 k27 k111 k114 k117";
}
