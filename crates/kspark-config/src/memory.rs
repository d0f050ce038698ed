//! Spark's size strings (`JavaUtils.byteStringAs`): a whole number with an
//! optional binary unit suffix; no fractions, no signs.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SizeError {
    #[error("`{0}` is not a size: fractional values are not supported (write e.g. 1536m instead of 1.5g)")]
    Fractional(String),
    #[error("`{0}` is not a size: use a whole number with an optional unit b, k, m, g, t or p (e.g. 512m, 4g)")]
    Invalid(String),
}

/// Byte multipliers of the suffixes Spark accepts.
fn unit_bytes(suffix: &str) -> Option<u128> {
    let k: u128 = 1024;
    Some(match suffix {
        "b" => 1,
        "k" | "kb" => k,
        "m" | "mb" => k.pow(2),
        "g" | "gb" => k.pow(3),
        "t" | "tb" => k.pow(4),
        "p" | "pb" => k.pow(5),
        _ => return None,
    })
}

/// Parses `text` into bytes; a bare number is in `default_unit` (`"m"` for
/// Spark's memory settings).
pub fn parse_bytes(text: &str, default_unit: &str) -> Result<u128, SizeError> {
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (number, suffix) = lower.split_at(digits_end);
    if number.is_empty() {
        return Err(SizeError::Invalid(text.to_string()));
    }
    if suffix.starts_with('.') {
        return Err(SizeError::Fractional(text.to_string()));
    }
    let suffix = if suffix.is_empty() { default_unit } else { suffix };
    let unit = unit_bytes(suffix).ok_or_else(|| SizeError::Invalid(text.to_string()))?;
    let n: u128 = number.parse().map_err(|_| SizeError::Invalid(text.to_string()))?;
    n.checked_mul(unit).ok_or_else(|| SizeError::Invalid(text.to_string()))
}

/// Parses into whole MiB, truncating like `byteStringAsMb`.
pub fn parse_mib(text: &str) -> Result<u64, SizeError> {
    let mib = parse_bytes(text, "m")? / (1024 * 1024);
    u64::try_from(mib).map_err(|_| SizeError::Invalid(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_default_unit() {
        assert_eq!(parse_mib("1g"), Ok(1024));
        assert_eq!(parse_mib("512m"), Ok(512));
        assert_eq!(parse_mib("2048"), Ok(2048));
        assert_eq!(parse_mib("1536MB"), Ok(1536));
        assert_eq!(parse_mib(" 1t "), Ok(1024 * 1024));
        assert_eq!(parse_mib("1500k"), Ok(1));
    }

    #[test]
    fn rejects_bad_sizes() {
        for bad in ["1x", "-2g", "", "g", "1.5g", "1 g", "+1g"] {
            assert!(parse_mib(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(parse_mib("1.5g"), Err(SizeError::Fractional("1.5g".into())));
    }
}
