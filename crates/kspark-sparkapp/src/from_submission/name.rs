//! `metadata.name` from `spark.app.name`.

/// What a SparkApplication is called when the application's name has no
/// usable character at all.
const FALLBACK_NAME: &str = "spark-app";

/// The name as a DNS-1035 label (kubeflow requires one): lower case, every
/// run of other characters one `-`, starting with a letter, at most 63
/// characters, no `-` at the ends.
pub(super) fn dns1035(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let start = out.find(|c: char| c.is_ascii_lowercase()).unwrap_or(out.len());
    let mut label: String = out[start..].chars().take(63).collect();
    while label.ends_with('-') {
        label.pop();
    }
    if label.is_empty() { FALLBACK_NAME.to_string() } else { label }
}

#[cfg(test)]
mod tests {
    use super::dns1035;

    #[test]
    fn names_become_dns_1035_labels() {
        assert_eq!(dns1035("spark-pi"), "spark-pi");
        assert_eq!(dns1035("My ETL Job (daily)"), "my-etl-job-daily");
        assert_eq!(dns1035("org.example.Main"), "org-example-main");
        assert_eq!(dns1035("2024_report"), "report");
        assert_eq!(dns1035("***"), "spark-app");
        assert_eq!(dns1035("ünïcode"), "n-code");
        let long = dns1035(&"a-".repeat(40));
        assert!(long.len() <= 63 && !long.ends_with('-'), "{long}");
    }
}
