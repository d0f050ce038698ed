//! A light check of Kubernetes quantity syntax, so that a typo is reported
//! with its key before anything is sent.

use kspark_config::SparkConf;

use crate::error::ManifestError;

const SUFFIXES: [&str; 16] = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u"];

pub fn is_quantity(text: &str) -> bool {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(end);
    !number.is_empty() && number != "." && number.matches('.').count() <= 1 && SUFFIXES.contains(&suffix)
}

pub fn checked(conf: &SparkConf, key: &str, value: &str) -> Result<String, ManifestError> {
    if is_quantity(value) {
        Ok(value.to_string())
    } else {
        Err(conf.error(key, "not a Kubernetes quantity (e.g. 500m, 1, 2.5)").into())
    }
}

#[cfg(test)]
mod tests {
    use super::is_quantity;

    #[test]
    fn quantities() {
        for ok in ["1", "500m", "2.5", "16Gi", "0.1"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "one", "1x", "-1", "1.2.3", "."] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }
}

/// A quantity in thousandths of its unit (millicores for CPU, millibytes
/// for memory), exact for every form Kubernetes writes.
pub fn to_milli(text: &str) -> Option<i128> {
    let text = text.trim();
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(end);
    let scale: i128 = match suffix {
        "" => 1000,
        "n" => return scaled(number, 1, 1_000_000),
        "u" => return scaled(number, 1, 1000),
        "m" => 1,
        "k" => 1_000_000,
        "M" => 1_000_000_000,
        "G" => 1_000_000_000_000,
        "T" => 1_000_000_000_000_000,
        "P" => 1_000_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000_000,
        "Ki" => 1000 << 10,
        "Mi" => 1000 << 20,
        "Gi" => 1000 << 30,
        "Ti" => 1000 << 40,
        "Pi" => 1000 << 50,
        "Ei" => 1000 << 60,
        _ => return None,
    };
    scaled(number, scale, 1)
}

/// `number × mul / div`, with up to 9 decimals kept exactly (rounded up,
/// as Kubernetes rounds requests).
fn scaled(number: &str, mul: i128, div: i128) -> Option<i128> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if frac.len() > 9 || (whole.is_empty() && frac.is_empty()) {
        return None;
    }
    let digits = format!("{whole}{frac:0<9}");
    let n: i128 = digits.parse().ok()?;
    let denominator = 1_000_000_000 * div;
    let product = n.checked_mul(mul)?;
    Some((product + denominator - 1).div_euclid(denominator))
}

#[cfg(test)]
mod milli_tests {
    use super::to_milli;

    #[test]
    fn parses_kubernetes_quantities() {
        assert_eq!(to_milli("1"), Some(1000));
        assert_eq!(to_milli("500m"), Some(500));
        assert_eq!(to_milli("2.5"), Some(2500));
        assert_eq!(to_milli("1408Mi"), Some(1408 * 1000 * 1024 * 1024));
        assert_eq!(to_milli("16Gi"), Some(16 * 1000 * (1 << 30)));
        assert_eq!(to_milli("1k"), Some(1_000_000));
        assert_eq!(to_milli("x"), None);
    }
}
