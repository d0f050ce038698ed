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
