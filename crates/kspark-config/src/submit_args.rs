//! spark-submit's command line, parsed the way `SparkSubmitOptionParser`
//! does: options (also as `--opt=value`) up to the first non-option, which
//! is the primary resource; everything after it belongs to the application.

use std::path::PathBuf;

use thiserror::Error;

use crate::submit_options::{self, Handling, OptionGroup};

/// Everything given on a `kspark submit` command line, unresolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitArgs {
    pub master: Option<String>,
    pub deploy_mode: Option<String>,
    pub name: Option<String>,
    pub main_class: Option<String>,
    /// `--conf` pairs in command-line order.
    pub conf: Vec<(String, String)>,
    pub properties_file: Option<PathBuf>,
    pub load_spark_defaults: bool,
    pub jars: Option<String>,
    pub py_files: Option<String>,
    pub files: Option<String>,
    pub archives: Option<String>,
    /// `--packages`, `--repositories`, `--exclude-packages`: Maven
    /// coordinates the driver resolves (spark.jars.packages and friends).
    pub packages: Option<String>,
    pub repositories: Option<String>,
    pub exclude_packages: Option<String>,
    pub driver_memory: Option<String>,
    pub driver_cores: Option<String>,
    pub driver_java_options: Option<String>,
    pub driver_class_path: Option<String>,
    pub driver_library_path: Option<String>,
    pub executor_memory: Option<String>,
    pub executor_cores: Option<String>,
    pub num_executors: Option<String>,
    pub proxy_user: Option<String>,
    pub verbose: bool,
    pub primary_resource: Option<String>,
    pub app_args: Vec<String>,
    /// spark-submit's `--kill ID` and `--status ID`.
    pub kill: Option<String>,
    pub status: Option<String>,
    /// Options spark-submit knows but kspark cannot honour, kept to refuse
    /// them with a precise message.
    pub unsupported: Vec<(&'static str, &'static str)>,
    /// Options that do not apply to Kubernetes (Spark ignores them too).
    pub ignored: Vec<&'static str>,
    pub kspark: KsparkOptions,
}

/// kspark's own options, accepted among spark-submit's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KsparkOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub spark_version: Option<String>,
    pub dry_run: bool,
    /// Create a SparkApplication for kubeflow's operator instead of submitting.
    pub as_resource: bool,
    pub output: Option<String>,
    pub no_wait: bool,
    pub quiet: bool,
    pub skip_preflight: bool,
    /// Ask the repositories whether every package exists before submitting.
    pub check_packages: bool,
    /// Stop waiting when the driver is still Pending after this long.
    pub timeout: Option<String>,
    /// Archive the driver's log below this URI once the application ended.
    pub archive_logs: Option<String>,
    /// With `archive_logs`: the executors' logs too.
    pub archive_executor_logs: bool,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArgsError {
    #[error("option {0} needs a value")]
    MissingValue(String),
    #[error("unrecognized option `{0}`")]
    Unrecognized(String),
    #[error("--conf `{0}` has no `=`: write --conf KEY=VALUE")]
    ConfWithoutEquals(String),
    #[error("--conf `{0}` has an empty key")]
    EmptyConfKey(String),
}

impl SubmitArgs {
    pub fn parse<I, S>(args: I) -> Result<SubmitArgs, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut out = SubmitArgs::default();
        let mut it = args.into_iter().map(Into::into);
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") && submit_options::find(n).is_some() => {
                    (n.to_string(), Some(v.to_string()))
                }
                _ => (arg.clone(), None),
            };
            let Some(option) = submit_options::find(&name) else {
                if arg.starts_with('-') && arg.len() > 1 {
                    return Err(ArgsError::Unrecognized(arg));
                }
                out.primary_resource = Some(arg);
                out.app_args = it.by_ref().collect();
                break;
            };
            let value = if option.takes_value() {
                Some(inline.or_else(|| it.next()).ok_or_else(|| ArgsError::MissingValue(name.clone()))?)
            } else {
                None
            };
            match (option.handling, value) {
                (Handling::Set(set), Some(v)) => set(&mut out, v),
                (Handling::Switch(set), _) => set(&mut out),
                (Handling::Conf, Some(v)) => out.conf.push(split_conf(&v)?),
                (Handling::Unsupported(why), _) => out.unsupported.push((option.name(), why)),
                (Handling::Ignored, _) => out.ignored.push(option.name()),
                (Handling::Set(_) | Handling::Conf, None) => return Err(ArgsError::MissingValue(name)),
            }
        }
        Ok(out)
    }
}

/// The command line without kspark's own options, for handing to a real
/// spark-submit (local runs).
pub fn without_kspark_options(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let name = arg.split_once('=').filter(|(n, _)| n.starts_with("--")).map_or(arg.as_str(), |(n, _)| n);
        let Some(option) = submit_options::find(name) else {
            out.extend(args[i..].iter().cloned());
            break;
        };
        let with_value = option.takes_value() && !arg.contains('=');
        let width = if with_value { 2 } else { 1 };
        if option.group != OptionGroup::Kspark {
            out.extend(args[i..(i + width).min(args.len())].iter().cloned());
        }
        i += width;
    }
    out
}

fn split_conf(pair: &str) -> Result<(String, String), ArgsError> {
    let (k, v) = pair.split_once('=').ok_or_else(|| ArgsError::ConfWithoutEquals(pair.to_string()))?;
    if k.trim().is_empty() {
        return Err(ArgsError::EmptyConfKey(pair.to_string()));
    }
    Ok((k.to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<SubmitArgs, ArgsError> {
        SubmitArgs::parse(args.iter().copied())
    }

    #[test]
    fn options_then_primary_then_app_args() {
        let a = parse(&[
            "--master",
            "k8s://h",
            "--conf",
            "a=b=c",
            "--conf=x=y",
            "-c",
            "p=q",
            "--name=n",
            "app.py",
            "--name",
            "z",
        ])
        .unwrap_or_default();
        assert_eq!(a.master.as_deref(), Some("k8s://h"));
        assert_eq!(a.conf, vec![("a".into(), "b=c".into()), ("x".into(), "y".into()), ("p".into(), "q".into())]);
        assert_eq!(a.name.as_deref(), Some("n"));
        assert_eq!(a.primary_resource.as_deref(), Some("app.py"));
        assert_eq!(a.app_args, vec!["--name", "z"]);
    }

    #[test]
    fn kspark_options_are_removed_for_spark_submit() {
        let args: Vec<String> =
            ["--master", "local[*]", "--dry-run", "--kubeconfig", "k", "--conf", "a=b", "app.py", "--dry-run"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(without_kspark_options(&args), vec!["--master", "local[*]", "--conf", "a=b", "app.py", "--dry-run"]);
        let args: Vec<String> = ["--timeout=5m", "-q", "-c", "x=y", "--kubeconfig=k", "--supervise", "app.py"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(without_kspark_options(&args), vec!["-c", "x=y", "--supervise", "app.py"]);
    }

    #[test]
    fn package_options_are_kept_verbatim() {
        let a = parse(&[
            "--packages",
            "g:a:1,h/b:2",
            "--repositories=https://r.example.com/m2",
            "--exclude-packages",
            "x:y",
            "--check-packages",
            "x.jar",
        ])
        .unwrap_or_default();
        assert_eq!(a.packages.as_deref(), Some("g:a:1,h/b:2"));
        assert_eq!(a.repositories.as_deref(), Some("https://r.example.com/m2"));
        assert_eq!(a.exclude_packages.as_deref(), Some("x:y"));
        assert!(a.kspark.check_packages);
        let raw: Vec<String> = ["--packages", "g:a:1", "--check-packages", "x.jar"].map(String::from).to_vec();
        assert_eq!(without_kspark_options(&raw), vec!["--packages", "g:a:1", "x.jar"]);
    }

    #[test]
    fn errors_name_the_option() {
        assert_eq!(parse(&["--bogus"]), Err(ArgsError::Unrecognized("--bogus".into())));
        assert_eq!(parse(&["--master"]), Err(ArgsError::MissingValue("--master".into())));
        assert_eq!(parse(&["--conf", "novalue"]), Err(ArgsError::ConfWithoutEquals("novalue".into())));
    }

    #[test]
    fn unsupported_and_ignored_options_are_kept_for_reporting() {
        let a = parse(&["--principal", "p", "--queue", "q", "x.jar"]).unwrap_or_default();
        assert_eq!(a.unsupported.len(), 1);
        assert_eq!(a.unsupported[0].0, "--principal");
        assert_eq!(a.ignored, vec!["--queue"]);
    }
}
