//! Spark's naming rules for the objects of one application.

use rand::Rng;

/// Kubernetes' DNS-label limit, which Spark applies to the Service name.
const DNS_LABEL_MAX: usize = 63;

/// Spark's `KubernetesUtils.uniqueID()`: 3 random bytes as 6 hex digits,
/// then the low 40 bits of the clock in milliseconds in hex (normally 10
/// digits, so 16 in all).
pub fn unique_id(now_millis: i64) -> String {
    let bytes: [u8; 3] = rand::rng().random();
    let random: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{random}{:x}", now_millis & 0xFF_FFFF_FFFF)
}

/// Lowercases, turns everything but `[a-z0-9-]` into `-` and collapses
/// runs of `-`, as Spark does for names and labels.
fn dashed(text: &str) -> String {
    let lower = text.trim_matches(|c: char| c <= ' ').to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// `getResourceNamePrefix`: `<app>-<uniqueId>` sanitised, with a leading
/// dash dropped and a leading digit replaced by `x`.
pub fn resource_prefix(app_name: &str, unique_id: &str) -> String {
    let mut prefix = dashed(&format!("{app_name}-{unique_id}"));
    if prefix.starts_with('-') {
        prefix.remove(0);
    }
    if prefix.starts_with(|c: char| c.is_ascii_digit()) {
        prefix.replace_range(0..1, "x");
    }
    prefix
}

/// `getAppNameLabel`: sanitised, cut to 63 characters, one leading and one
/// trailing dash removed.
pub fn app_name_label(app_name: &str) -> String {
    let label: String = dashed(app_name).chars().take(DNS_LABEL_MAX).collect();
    let label = label.strip_prefix('-').unwrap_or(&label);
    label.strip_suffix('-').unwrap_or(label).to_string()
}

/// The driver Service name: `<prefix>-driver-svc`, or when that is longer
/// than a DNS label, `spark-<fresh id>-driver-svc`.
pub fn driver_service_name(prefix: &str, fallback_id: &str) -> String {
    let preferred = format!("{prefix}-driver-svc");
    if preferred.len() <= DNS_LABEL_MAX { preferred } else { format!("spark-{fallback_id}-driver-svc") }
}

/// `spark-drv-<id>-conf-map`.
pub fn driver_conf_map_name(unique_id: &str) -> String {
    let base: String = format!("spark-drv-{unique_id}").chars().take(253 - 9).collect();
    format!("{base}-conf-map")
}

/// An RFC 1123 label, as Kubernetes checks namespace and pod names.
pub fn is_dns_label(name: &str) -> bool {
    name.len() <= 63
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_ids_have_sixteen_hex_digits_today() {
        let id = unique_id(1_795_547_781_474);
        assert_eq!(id.len(), 16);
        assert!(id.ends_with("0efcd99a62") || id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(&id[6..], format!("{:x}", 1_795_547_781_474_i64 & 0xFF_FFFF_FFFF));
    }

    #[test]
    fn prefixes_follow_spark() {
        let id = "e327fba20efcd995";
        assert_eq!(resource_prefix("spark-pi", id), "spark-pi-e327fba20efcd995");
        assert_eq!(
            resource_prefix("org.apache.spark.examples.SparkPi", id),
            "org-apache-spark-examples-sparkpi-e327fba20efcd995"
        );
        assert_eq!(resource_prefix("pi.py", id), "pi-py-e327fba20efcd995");
        assert_eq!(resource_prefix("9 Weird__App!!", id), "x-weird-app-e327fba20efcd995");
        assert_eq!(resource_prefix("-lead", id), "lead-e327fba20efcd995");
    }

    #[test]
    fn labels_are_cut_and_trimmed() {
        assert_eq!(app_name_label("9 Weird__App!!"), "9-weird-app");
        assert_eq!(app_name_label(&"a".repeat(70)).len(), 63);
        assert_eq!(app_name_label("!!!"), "");
    }

    #[test]
    fn long_names_fall_back_for_the_service() {
        let prefix = resource_prefix("this-is-a-deliberately-long-application-name-for-tests", "0123456789abcdef");
        assert_eq!(prefix.len(), 71);
        assert_eq!(driver_service_name(&prefix, "fedcba9876543210"), "spark-fedcba9876543210-driver-svc");
        assert_eq!(driver_service_name("short-0123456789abcdef", "x"), "short-0123456789abcdef-driver-svc");
    }
}
