//! A spark-submit argument list under construction.

/// Arguments in the order they are added.
#[derive(Debug, Default)]
pub(crate) struct Args(pub(crate) Vec<String>);

impl Args {
    /// `--conf KEY=VALUE`
    pub(crate) fn conf(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        self.0.push("--conf".to_string());
        self.0.push(format!("{}={}", key.as_ref(), value.as_ref()));
    }

    /// `--conf KEY=VALUE` if there is a value.
    pub(crate) fn conf_opt<V: ToString>(&mut self, key: &str, value: Option<V>) {
        if let Some(value) = value {
            self.conf(key, value.to_string());
        }
    }

    /// `--conf KEY=VALUE` if the value is there and not empty (kubeflow's
    /// `x != nil && *x != ""`).
    pub(crate) fn conf_non_empty(&mut self, key: &str, value: Option<&String>) {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.conf(key, value);
        }
    }

    /// `--OPTION VALUE`
    pub(crate) fn option(&mut self, name: &str, value: impl Into<String>) {
        self.0.push(name.to_string());
        self.0.push(value.into());
    }

    /// `--OPTION a,b,c` if the list is not empty.
    pub(crate) fn joined(&mut self, name: &str, values: &[String]) {
        if !values.is_empty() {
            self.option(name, values.join(","));
        }
    }
}

/// Go's `filepath.Join(dir, file)` on Linux: joined with `/` and cleaned.
pub(crate) fn go_path_join(dir: &str, file: &str) -> String {
    let joined = if dir.is_empty() { file.to_string() } else { format!("{dir}/{file}") };
    go_path_clean(&joined)
}

/// Go's `path.Clean`.
fn go_path_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::go_path_join;

    #[test]
    fn joins_like_go_filepath_join() {
        assert_eq!(go_path_join("/mnt/secrets", "key.json"), "/mnt/secrets/key.json");
        assert_eq!(go_path_join("/mnt/secrets/", "key.json"), "/mnt/secrets/key.json");
        assert_eq!(go_path_join("/mnt//a/./b/..", "key.json"), "/mnt/a/key.json");
        assert_eq!(go_path_join("", "key.json"), "key.json");
        assert_eq!(go_path_join("rel/../..", "x"), "../x");
        assert_eq!(go_path_join("/..", "x"), "/x");
    }
}
