//! Kubernetes quantities as Go's apimachinery reads and writes them
//! (`resource.ParseQuantity` and `Quantity.String`), so that a limit the
//! webhook sets reads exactly as in kubeflow's pods: `1024Mi` is written
//! `1Gi`, `1.5Gi` is `1536Mi`, `0.5` is `500m`, `1000` is `1k`.
//!
//! Values are kept as an integer times a power of ten in 128 bits; what does
//! not fit (beyond about 10^38) is an error rather than Go's arbitrary
//! precision.

use std::cmp::Ordering;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum QuantityError {
    #[error("not a quantity (a number with an optional suffix such as Mi, Gi, k, m or e3)")]
    Format,
    #[error("unknown suffix (use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent)")]
    Suffix,
    #[error("too large")]
    TooLarge,
}

/// How Go prints a quantity: its `Format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// A parsed quantity: `unscaled × 10^exponent`.
struct Parsed<'a> {
    unscaled: i128,
    exponent: i32,
    format: Format,
    /// Go keeps the text it parsed when it is already canonical.
    kept: Option<&'a str>,
}

/// `text` as Go's `ParseQuantity(text).String()` writes it.
pub fn canonical(text: &str) -> Result<String, QuantityError> {
    let parsed = parse(text)?;
    match parsed.kept {
        Some(kept) => Ok(kept.to_string()),
        None => print(parsed.unscaled, parsed.exponent, parsed.format),
    }
}

/// A count as Go's `NewQuantity(n, DecimalSI).String()` writes it (`2`, `1k`).
pub fn decimal_count(count: i64) -> String {
    print(i128::from(count), 0, Format::DecimalSi).unwrap_or_else(|_| count.to_string())
}

/// The sum of quantities as Go's `Quantity.Add` leaves it and `String`
/// writes it: the exact value, in the format of the first one (kubeflow's
/// `SumResourceList` starts from a copy of the first and adds the others).
pub fn sum<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<String, QuantityError> {
    let mut total: Option<(i128, i32, Format)> = None;
    for text in texts {
        let parsed = parse(text)?;
        total = Some(match total {
            None => (parsed.unscaled, parsed.exponent, parsed.format),
            Some((unscaled, exponent, format)) => {
                let scale = exponent.min(parsed.exponent);
                let align = |value: i128, from: i32| {
                    10i128.checked_pow((from - scale).unsigned_abs()).and_then(|f| value.checked_mul(f))
                };
                let left = align(unscaled, exponent).ok_or(QuantityError::TooLarge)?;
                let right = align(parsed.unscaled, parsed.exponent).ok_or(QuantityError::TooLarge)?;
                // Go's Add takes the other's format when the first is zero.
                let format = if unscaled == 0 { parsed.format } else { format };
                (left.checked_add(right).ok_or(QuantityError::TooLarge)?, scale, format)
            }
        });
    }
    let (unscaled, exponent, format) = total.unwrap_or((0, 0, Format::DecimalSi));
    print(unscaled, exponent, format)
}

/// The parts of a quantity's text (Go's `parseQuantityString`).
struct Parts<'a> {
    positive: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

fn split(text: &str) -> Result<Parts<'_>, QuantityError> {
    let bytes = text.as_bytes();
    let end = bytes.len();
    let mut pos = 0;
    let mut positive = true;
    match bytes.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    while pos < end && bytes[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok(Parts { positive, num: "0", denom: "", suffix: "" });
    }
    let num_start = pos;
    while pos < end && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = if pos == num_start { "0" } else { &text[num_start..pos] };
    let mut denom = "";
    if pos < end && bytes[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &text[denom_start..pos];
    }
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&bytes[pos]) {
        pos += 1;
    }
    if pos < end && (bytes[pos] == b'-' || bytes[pos] == b'+') {
        pos += 1;
    }
    if !bytes[pos..].iter().all(u8::is_ascii_digit) {
        return Err(QuantityError::Format);
    }
    Ok(Parts { positive, num, denom, suffix: &text[suffix_start..] })
}

/// (base, exponent, format) of a suffix (Go's `suffixHandler.interpret`).
fn interpret(suffix: &str) -> Result<(u32, i32, Format), QuantityError> {
    const DECIMAL: [(&str, i32); 10] =
        [("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];
    const BINARY: [(&str, i32); 6] = [("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60)];
    if let Some((_, exponent)) = DECIMAL.iter().find(|(s, _)| *s == suffix) {
        return Ok((10, *exponent, Format::DecimalSi));
    }
    if let Some((_, exponent)) = BINARY.iter().find(|(s, _)| *s == suffix) {
        return Ok((2, *exponent, Format::BinarySi));
    }
    let exponent = suffix.strip_prefix(['e', 'E']).filter(|e| !e.is_empty()).ok_or(QuantityError::Suffix)?;
    let exponent: i32 = exponent.parse().map_err(|_| QuantityError::Suffix)?;
    if exponent.abs() > 60 {
        return Err(QuantityError::TooLarge);
    }
    Ok((10, exponent, Format::DecimalExponent))
}

fn parse(text: &str) -> Result<Parsed<'_>, QuantityError> {
    if text.is_empty() {
        return Err(QuantityError::Format);
    }
    if text == "0" {
        return Ok(Parsed { unscaled: 0, exponent: 0, format: Format::DecimalSi, kept: Some(text) });
    }
    let parts = split(text)?;
    let (base, exponent, format) = interpret(parts.suffix)?;
    let digits = format!("{}{}", parts.num, parts.denom);
    let denom_len = i32::try_from(parts.denom.len()).map_err(|_| QuantityError::TooLarge)?;
    if let Some(parsed) = parse_small(text, &parts, &digits, base, exponent, format)? {
        return Ok(parsed);
    }
    // Go's arbitrary-precision path.
    let mut unscaled: i128 = digits.parse().map_err(|_| QuantityError::TooLarge)?;
    let mut scale = -denom_len;
    if base == 10 {
        scale += exponent;
    } else {
        unscaled = unscaled.checked_mul(1i128 << exponent).ok_or(QuantityError::TooLarge)?;
    }
    if unscaled != 0 && scale < -9 {
        // Non-zero values are rounded up to the nearest nano.
        let divisor =
            10i128.checked_pow(u32::try_from(-9 - scale).unwrap_or(u32::MAX)).ok_or(QuantityError::TooLarge)?;
        unscaled = unscaled / divisor + i128::from(unscaled % divisor != 0);
        scale = -9;
    }
    let mut format = format;
    if format == Format::BinarySi {
        let max = i128::from(i64::MAX);
        if compare(unscaled, scale, max) == Ordering::Greater {
            (unscaled, scale) = (max, 0);
        }
        if unscaled > 0 && compare(unscaled, scale, 1) == Ordering::Less {
            format = Format::DecimalSi;
        }
    }
    let unscaled = if parts.positive { unscaled } else { -unscaled };
    Ok(Parsed { unscaled, exponent: scale, format, kept: None })
}

/// Go's int64 fast path, when the value fits; `None` to take the other path.
fn parse_small<'a>(
    text: &'a str,
    parts: &Parts,
    digits: &str,
    base: u32,
    exponent: i32,
    format: Format,
) -> Result<Option<Parsed<'a>>, QuantityError> {
    let digit_count = i32::try_from(digits.len()).map_err(|_| QuantityError::TooLarge)?;
    let num_len = i32::try_from(parts.num.len()).map_err(|_| QuantityError::TooLarge)?;
    let (mut scale, precision, multiplier) = match format {
        Format::DecimalSi | Format::DecimalExponent => (exponent, 18 - digit_count, 1i64),
        Format::BinarySi if exponent >= 0 && parts.denom.is_empty() && base == 2 => {
            (0, 15 - num_len - exponent * 3 / 10 - 1, 1i64 << exponent)
        }
        Format::BinarySi => (0, -1, 1),
    };
    if precision < 0 {
        return Ok(None);
    }
    scale -= digit_count - num_len;
    if scale < -9 {
        return Ok(None);
    }
    let value: i64 = digits.parse().map_err(|_| QuantityError::TooLarge)?;
    let Some(result) = value.checked_mul(multiplier) else { return Ok(None) };
    let result = if parts.positive { result } else { -result };
    let kept = match format {
        Format::BinarySi => exponent % 10 == 0 && value & 0x07 != 0,
        _ => scale % 3 == 0 && !digits.ends_with("000") && !digits.starts_with('0'),
    };
    Ok(Some(Parsed { unscaled: i128::from(result), exponent: scale, format, kept: kept.then_some(text) }))
}

/// `unscaled × 10^scale` (not negative) against a positive integer.
fn compare(unscaled: i128, scale: i32, limit: i128) -> Ordering {
    let factor = 10i128.checked_pow(scale.unsigned_abs());
    if scale >= 0 {
        factor.and_then(|f| unscaled.checked_mul(f)).map_or(Ordering::Greater, |v| v.cmp(&limit))
    } else {
        factor.and_then(|f| limit.checked_mul(f)).map_or(Ordering::Less, |l| unscaled.cmp(&l))
    }
}

/// The value as an integer, if it is one and fits.
fn integer_value(unscaled: i128, scale: i32) -> Option<i128> {
    let factor = 10i128.checked_pow(scale.unsigned_abs())?;
    if scale >= 0 { unscaled.checked_mul(factor) } else { (unscaled % factor == 0).then_some(unscaled / factor) }
}

/// Go's `Quantity.CanonicalizeBytes`.
fn print(unscaled: i128, scale: i32, format: Format) -> Result<String, QuantityError> {
    if unscaled == 0 {
        return Ok("0".to_string());
    }
    if format == Format::BinarySi
        && let Some(value) = integer_value(unscaled, scale).filter(|v| v.abs() >= 1024)
    {
        let (mut mantissa, mut times) = (value, 0usize);
        while mantissa.abs() >= 1024 && mantissa % 1024 == 0 {
            mantissa /= 1024;
            times += 1;
        }
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].get(times).copied().unwrap_or("");
        return Ok(format!("{mantissa}{suffix}"));
    }
    let (mut mantissa, mut exponent) = (unscaled, scale);
    while mantissa.abs() >= 10 && mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    let down = exponent.rem_euclid(3);
    mantissa = mantissa.checked_mul(10i128.pow(down.unsigned_abs())).ok_or(QuantityError::TooLarge)?;
    exponent -= down;
    let suffix = match format {
        Format::DecimalExponent if exponent == 0 => String::new(),
        Format::DecimalExponent => format!("e{exponent}"),
        _ => match exponent {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            // Go prints no suffix for exponent 0, nor for one it has no
            // suffix for.
            _ => "",
        }
        .to_string(),
    };
    Ok(format!("{mantissa}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::{decimal_count, sum};

    // Parsing and writing are checked against Kubernetes' Go code in
    // tests/webhook_golden.rs (golden/kubeflow-webhook/quantities.golden).
    #[test]
    fn counts_as_new_quantity_writes_them() {
        // amd.com/gpu: 1000 reads `1k` in the recorded executor pod
        // (golden/kubeflow-webhook/cases/resources).
        assert_eq!(decimal_count(1000), "1k");
        assert_eq!(decimal_count(1), "1");
        assert_eq!(decimal_count(2500), "2500");
    }

    // kubeflow's PodGroup minResources for its spark-pi-volcano example:
    // "512m" is a Kubernetes quantity (0.512), not Spark's 512 MiB.
    #[test]
    fn sums_keep_the_first_format_and_the_exact_value() {
        assert_eq!(sum(["512m", "512m", "512m"]), Ok("1536m".to_string()));
        assert_eq!(sum(["1", "1", "1"]), Ok("3".to_string()));
        assert_eq!(sum(["1Gi", "512Mi"]), Ok("1536Mi".to_string()));
        assert_eq!(sum(["1", "500m"]), Ok("1500m".to_string()));
        assert_eq!(sum(["2Gi"]), Ok("2Gi".to_string()));
        assert!(sum(["1g"]).is_err());
    }
}
