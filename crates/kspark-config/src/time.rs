//! Spark's time strings (`JavaUtils.timeStringAs`): `100ms`, `5s`, `2min`, …

/// Parses into milliseconds; a bare number is in `default_unit`.
pub fn parse_millis(text: &str, default_unit: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let end = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (number, suffix) = lower.split_at(end);
    let suffix = if suffix.is_empty() { default_unit } else { suffix };
    let n: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration: use e.g. 500ms, 5s, 2min, 1h"))?;
    let per_unit: u64 = match suffix {
        "us" => return Ok(n / 1000),
        "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!("`{text}` has an unknown time unit `{suffix}`: use ms, s, min, h or d"));
        }
    };
    n.checked_mul(per_unit).ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_millis;

    #[test]
    fn units() {
        assert_eq!(parse_millis("1s", "ms"), Ok(1000));
        assert_eq!(parse_millis("250", "ms"), Ok(250));
        assert_eq!(parse_millis("3", "s"), Ok(3000));
        assert_eq!(parse_millis("2min", "s"), Ok(120_000));
        assert!(parse_millis("1x", "s").is_err());
        assert!(parse_millis("-1s", "s").is_err());
    }
}
