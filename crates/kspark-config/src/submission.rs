//! Turns a parsed command line into one submission: the final `SparkConf`
//! with spark-submit's precedence (flags > `--conf` > properties file >
//! spark-defaults.conf), the primary resource and the application's
//! arguments. Nothing here touches a cluster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::conf::{ConfError, Source, SparkConf};
use crate::master::{Master, MasterError};
use crate::packages::Packages;
use crate::properties::{self, PropertiesError};
use crate::submit_args::SubmitArgs;

/// The parts of the submitter's environment Spark reads.
#[derive(Debug, Clone, Default)]
pub struct SubmitEnv {
    pub vars: BTreeMap<String, String>,
    pub cwd: PathBuf,
}

impl SubmitEnv {
    pub fn from_process() -> SubmitEnv {
        SubmitEnv { vars: std::env::vars().collect(), cwd: std::env::current_dir().unwrap_or_default() }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// `$SPARK_CONF_DIR`, else `$SPARK_HOME/conf`.
    pub fn spark_conf_dir(&self) -> Option<PathBuf> {
        self.var("SPARK_CONF_DIR")
            .map(PathBuf::from)
            .or_else(|| self.var("SPARK_HOME").map(|h| Path::new(h).join("conf")))
            .map(|p| self.cwd.join(p))
    }
}

/// What kind of application the primary resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    Java,
    Python,
    R,
}

impl AppKind {
    pub fn of(resource: &str) -> AppKind {
        if resource.ends_with(".py") {
            AppKind::Python
        } else if resource.ends_with(".R") || resource.ends_with(".r") {
            AppKind::R
        } else {
            AppKind::Java
        }
    }

    /// The class Spark's driver runs for this kind.
    pub fn runner_class(self) -> Option<&'static str> {
        match self {
            AppKind::Java => None,
            AppKind::Python => Some("org.apache.spark.deploy.PythonRunner"),
            AppKind::R => Some("org.apache.spark.deploy.RRunner"),
        }
    }

    /// `spark.kubernetes.resource.type`.
    pub fn resource_type(self) -> &'static str {
        match self {
            AppKind::Java => "java",
            AppKind::Python => "python",
            AppKind::R => "r",
        }
    }
}

/// One application submission, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub master: Master,
    pub conf: SparkConf,
    pub primary_resource: String,
    pub kind: AppKind,
    /// The class the driver runs (`--class`, or the Python/R runner).
    pub main_class: String,
    pub app_args: Vec<String>,
    pub proxy_user: Option<String>,
    /// Maven packages the driver resolves (`--packages`, `spark.jars.packages`), checked.
    pub packages: Option<Packages>,
    /// Notes for the user (ignored options and the like).
    pub notes: Vec<String>,
}

#[derive(Debug, Error)]
pub enum SubmissionError {
    #[error(transparent)]
    Properties(#[from] PropertiesError),
    #[error(transparent)]
    Master(#[from] MasterError),
    #[error(transparent)]
    Conf(#[from] ConfError),
    #[error(
        "no application to run: give the primary resource (e.g. local:///opt/app/job.py or local:///opt/app/job.jar) after the options"
    )]
    NoPrimaryResource,
    #[error("{option} is not supported: {why}")]
    Unsupported { option: String, why: String },
    #[error("deploy mode `{0}` is not valid: use cluster (or client)")]
    BadDeployMode(String),
    #[error(
        "client deploy mode runs the Spark driver on this machine, which kspark does not do for Kubernetes: use --deploy-mode cluster"
    )]
    ClientModeOnKubernetes,
    #[error(
        "no main class: a Java/Scala application needs --class (kspark cannot open a jar inside the image to read its manifest)"
    )]
    NoMainClass,
}

impl SubmitArgs {
    /// Applies spark-submit's precedence and checks what kspark can honour.
    pub fn resolve(&self, env: &SubmitEnv) -> Result<Submission, SubmissionError> {
        if let Some((option, why)) = self.unsupported.first() {
            return Err(SubmissionError::Unsupported { option: option.to_string(), why: why.to_string() });
        }
        let mut conf = self.command_line_conf();
        self.merge_properties_files(&mut conf, env)?;
        let mut notes = drop_non_spark_keys(&mut conf);
        notes.extend(
            self.ignored
                .iter()
                .map(|o| format!("{o} does not apply to Kubernetes and is ignored (as spark-submit does)")),
        );
        let master_text = self
            .master
            .clone()
            .or_else(|| conf.get("spark.master").map(str::to_string))
            .or_else(|| env.var("MASTER").map(str::to_string))
            .unwrap_or_else(|| "local[*]".to_string());
        let master = Master::parse(&master_text).map_err(|e| match conf.setting("spark.master") {
            Some(s) if self.master.is_none() => SubmissionError::Conf(ConfError {
                key: "spark.master".into(),
                value: s.value.clone(),
                origin: s.source.clone(),
                reason: e.to_string(),
            }),
            _ => SubmissionError::Master(e),
        })?;
        let primary = self.primary_resource.clone().ok_or(SubmissionError::NoPrimaryResource)?;
        let kind = AppKind::of(&primary);
        let main_class = match (kind.runner_class(), &self.main_class) {
            (Some(runner), _) => runner.to_string(),
            (None, Some(class)) => class.clone(),
            (None, None) => return Err(SubmissionError::NoMainClass),
        };
        self.apply_flags(&mut conf, env, &master, &primary, kind)?;
        check_executor_count(&conf)?;
        let packages = Packages::from_conf(&conf, &env.cwd)?;
        Ok(Submission {
            master,
            conf,
            primary_resource: primary,
            kind,
            main_class,
            app_args: self.app_args.clone(),
            proxy_user: self.proxy_user.clone(),
            packages,
            notes,
        })
    }

    fn command_line_conf(&self) -> SparkConf {
        let mut conf = SparkConf::new();
        for (k, v) in &self.conf {
            conf.set(k.clone(), v.clone(), Source::ConfFlag);
        }
        conf
    }

    /// `--properties-file` entries, then spark-defaults.conf (only without a
    /// properties file, or with `--load-spark-defaults`), each only where
    /// nothing of higher precedence set the key.
    fn merge_properties_files(&self, conf: &mut SparkConf, env: &SubmitEnv) -> Result<(), PropertiesError> {
        if let Some(file) = &self.properties_file {
            merge_file(conf, &env.cwd.join(file), file)?;
        }
        if (self.properties_file.is_none() || self.load_spark_defaults)
            && let Some(dir) = env.spark_conf_dir()
        {
            let defaults = dir.join("spark-defaults.conf");
            if defaults.is_file() {
                merge_file(conf, &defaults, &defaults)?;
            }
        }
        Ok(())
    }

    /// The dedicated flags win over every other source; then spark-submit
    /// sets the keys it derives (master, deploy mode, name, jars, …).
    fn apply_flags(
        &self,
        conf: &mut SparkConf,
        env: &SubmitEnv,
        master: &Master,
        primary: &str,
        kind: AppKind,
    ) -> Result<(), SubmissionError> {
        let is_k8s = matches!(master, Master::Kubernetes { .. });
        let flags: [(&Option<String>, &'static str, &'static str, Option<&str>); 14] = [
            (&self.driver_memory, "--driver-memory", "spark.driver.memory", env.var("SPARK_DRIVER_MEMORY")),
            (&self.driver_cores, "--driver-cores", "spark.driver.cores", None),
            (&self.executor_memory, "--executor-memory", "spark.executor.memory", env.var("SPARK_EXECUTOR_MEMORY")),
            (&self.executor_cores, "--executor-cores", "spark.executor.cores", env.var("SPARK_EXECUTOR_CORES")),
            (&self.num_executors, "--num-executors", "spark.executor.instances", None),
            (&self.driver_java_options, "--driver-java-options", "spark.driver.extraJavaOptions", None),
            (&self.driver_class_path, "--driver-class-path", "spark.driver.extraClassPath", None),
            (&self.driver_library_path, "--driver-library-path", "spark.driver.extraLibraryPath", None),
            (&self.jars, "--jars", "spark.jars", None),
            (&self.files, "--files", "spark.files", None),
            (&self.archives, "--archives", "spark.archives", None),
            // Recorded: --packages and --repositories win over --conf.
            (&self.packages, "--packages", "spark.jars.packages", None),
            (&self.repositories, "--repositories", "spark.jars.repositories", None),
            (&self.exclude_packages, "--exclude-packages", "spark.jars.excludes", None),
        ];
        for (value, flag, key, env_fallback) in flags {
            // spark-submit lets --conf win over the driver JVM option flags.
            if let (Some(v), true) = (value, key.starts_with("spark.driver.extra")) {
                conf.set_if_missing(key, v, Source::Flag(flag));
            } else if let Some(v) = value {
                conf.set(key, v.clone(), Source::Flag(flag));
            } else if let Some(v) = env_fallback {
                conf.set_if_missing(key, v, Source::Derived);
            }
        }
        conf.set("spark.master", master.spark_master(), Source::Derived);
        if is_k8s {
            self.set_deploy_mode(conf)?;
        }
        let name = self.app_name(conf, primary);
        conf.set("spark.app.name", name, self.name.as_ref().map_or(Source::Derived, |_| Source::Flag("--name")));
        let py_files = self.py_files.clone().or_else(|| conf.get("spark.submit.pyFiles").map(str::to_string));
        conf.set("spark.submit.pyFiles", py_files.unwrap_or_default(), Source::Derived);
        if kind == AppKind::Java {
            let jars = match conf.get("spark.jars").filter(|j| !j.is_empty()) {
                Some(existing) => format!("{existing},{primary}"),
                None => primary.to_string(),
            };
            conf.set("spark.jars", jars, Source::Derived);
        }
        if is_k8s {
            conf.remove("spark.driver.host");
        }
        Ok(())
    }

    fn set_deploy_mode(&self, conf: &mut SparkConf) -> Result<(), SubmissionError> {
        let mode = self.deploy_mode.clone().or_else(|| conf.get("spark.submit.deployMode").map(str::to_string));
        match mode.as_deref() {
            None | Some("cluster") => {}
            Some("client") => return Err(SubmissionError::ClientModeOnKubernetes),
            Some(other) => return Err(SubmissionError::BadDeployMode(other.to_string())),
        }
        conf.set("spark.submit.deployMode", "cluster", Source::Derived);
        Ok(())
    }

    /// `--name`, then `spark.app.name`, then `--class`, then the resource's
    /// file name.
    fn app_name(&self, conf: &SparkConf, primary: &str) -> String {
        self.name
            .clone()
            .or_else(|| conf.get("spark.app.name").map(str::to_string))
            .or_else(|| self.main_class.clone())
            .unwrap_or_else(|| primary.rsplit('/').next().unwrap_or(primary).to_string())
    }
}

/// spark-submit's own check (SparkSubmitArguments): a fixed executor count
/// must be positive; only dynamic allocation may start from none. Spark
/// refuses it before contacting the cluster, so kspark does too, instead of
/// creating a driver whose spark-submit then exits 1.
fn check_executor_count(conf: &SparkConf) -> Result<(), ConfError> {
    const KEY: &str = "spark.executor.instances";
    let Some(setting) = conf.setting(KEY) else {
        return Ok(());
    };
    let positive = setting.value.trim().parse::<i32>().is_ok_and(|n| n > 0);
    if positive || conf.bool("spark.dynamicAllocation.enabled")?.unwrap_or(false) {
        return Ok(());
    }
    Err(ConfError {
        key: KEY.into(),
        value: setting.value.clone(),
        origin: setting.source.clone(),
        reason: "Number of executors must be a positive number (as spark-submit says; only spark.dynamicAllocation.enabled=true may start from 0)".into(),
    })
}

fn merge_file(conf: &mut SparkConf, path: &Path, shown: &Path) -> Result<(), PropertiesError> {
    let mut entries = properties::read_file(path)?;
    // Within one file the last occurrence of a key wins, as in java.util.Properties.
    let mut seen = std::collections::BTreeSet::new();
    entries.reverse();
    entries.retain(|e| seen.insert(e.key.clone()));
    entries.reverse();
    for entry in entries {
        conf.set_if_missing(&entry.key, &entry.value, Source::File { path: shown.to_path_buf(), line: entry.line });
    }
    Ok(())
}

/// spark-submit drops (with a warning) every key not starting with `spark.`.
fn drop_non_spark_keys(conf: &mut SparkConf) -> Vec<String> {
    let foreign: Vec<(String, String)> = conf
        .iter()
        .filter(|(k, _)| !k.starts_with("spark."))
        .map(|(k, s)| (k.to_string(), s.source.to_string()))
        .collect();
    foreign
        .into_iter()
        .map(|(key, source)| {
            conf.remove(&key);
            format!("ignoring non-Spark setting `{key}` (from {source}); Spark settings start with `spark.`")
        })
        .collect()
}
