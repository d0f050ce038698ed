//! Reads what Spark's client takes from the submitter's machine: the user
//! name, conf-dir and Hadoop-conf files, pod templates and driver
//! credential files. Every error names the file and the setting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kspark_config::{SparkConf, SubmitEnv};

use crate::context::{DriverCredentialFiles, SubmitterInputs};
use crate::error::ManifestError;

pub fn load(conf: &SparkConf, env: &SubmitEnv) -> Result<SubmitterInputs, ManifestError> {
    Ok(SubmitterInputs {
        user: user_name(env),
        local_dirs_env: env.var("SPARK_LOCAL_DIRS").map(str::to_string),
        pyspark_python: env.var("PYSPARK_PYTHON").map(str::to_string),
        pyspark_driver_python: env.var("PYSPARK_DRIVER_PYTHON").map(str::to_string),
        conf_dir_files: match env.spark_conf_dir() {
            Some(dir) => conf_dir_files(&dir),
            None => BTreeMap::new(),
        },
        hadoop_conf_files: env.var("HADOOP_CONF_DIR").map(|d| hadoop_files(&env.cwd.join(d))).transpose()?,
        driver_template: conf
            .get("spark.kubernetes.driver.podTemplateFile")
            .map(|p| read_template(conf, env, p))
            .transpose()?,
        executor_template_text: conf
            .get("spark.kubernetes.executor.podTemplateFile")
            .map(|p| read_text(conf, env, "spark.kubernetes.executor.podTemplateFile", p))
            .transpose()?,
        driver_credentials: credential_files(conf, env)?,
    })
}

/// `SPARK_USER`, else Hadoop's `HADOOP_USER_NAME`, else the OS user.
fn user_name(env: &SubmitEnv) -> String {
    env.var("SPARK_USER")
        .or_else(|| env.var("HADOOP_USER_NAME"))
        .map(str::to_string)
        .or_else(|| whoami::username().ok())
        .unwrap_or_else(|| "spark".to_string())
}

fn regular_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok().map(|n| (n, e.path())))
        .collect();
    files.sort();
    files
}

/// Spark ships every conf-dir file except templates, its own
/// `spark*conf`/`spark*properties` files and archives; non-UTF-8 files are
/// skipped.
pub fn conf_dir_files(dir: &Path) -> BTreeMap<String, String> {
    regular_files(dir)
        .into_iter()
        .filter(|(name, _)| !excluded_conf_file(name))
        .filter_map(|(name, path)| std::fs::read_to_string(path).ok().map(|text| (name, text)))
        .collect()
}

fn excluded_conf_file(name: &str) -> bool {
    let archive = [".gz", ".zip", ".jar", ".tar"].iter().any(|ext| name.ends_with(ext));
    let spark_own = name.starts_with("spark") && (name.ends_with("conf") || name.ends_with("properties"));
    name.ends_with(".template") || spark_own || archive
}

fn hadoop_files(dir: &Path) -> Result<BTreeMap<String, String>, ManifestError> {
    if !dir.is_dir() {
        return Err(ManifestError::invalid(
            "HADOOP_CONF_DIR",
            format!("{} is not a directory (unset HADOOP_CONF_DIR or fix it)", dir.display()),
        ));
    }
    Ok(regular_files(dir)
        .into_iter()
        .filter_map(|(name, path)| std::fs::read_to_string(path).ok().map(|text| (name, text)))
        .collect())
}

fn read_bytes(conf: &SparkConf, env: &SubmitEnv, key: &str, path: &str) -> Result<Vec<u8>, ManifestError> {
    let full = env.cwd.join(path);
    std::fs::read(&full).map_err(|e| conf.error(key, format!("cannot read {}: {e}", full.display())).into())
}

fn read_text(conf: &SparkConf, env: &SubmitEnv, key: &str, path: &str) -> Result<String, ManifestError> {
    let bytes = read_bytes(conf, env, key, path)?;
    String::from_utf8(bytes).map_err(|_| conf.error(key, format!("{path} is not UTF-8 text")).into())
}

fn read_template(conf: &SparkConf, env: &SubmitEnv, path: &str) -> Result<serde_json::Value, ManifestError> {
    let text = read_text(conf, env, "spark.kubernetes.driver.podTemplateFile", path)?;
    serde_saphyr::from_str::<serde_json::Value>(&text)
        .map_err(|e| ManifestError::BadTemplate { path: path.to_string(), reason: format!("not valid YAML: {e}") })
}

fn credential_files(conf: &SparkConf, env: &SubmitEnv) -> Result<DriverCredentialFiles, ManifestError> {
    let read = |suffix: &str| -> Result<Option<Vec<u8>>, ManifestError> {
        let key = format!("spark.kubernetes.authenticate.driver.{suffix}");
        conf.get(&key).map(|p| read_bytes(conf, env, &key, p)).transpose()
    };
    Ok(DriverCredentialFiles {
        ca_cert: read("caCertFile")?,
        client_key: read("clientKeyFile")?,
        client_cert: read("clientCertFile")?,
    })
}

#[cfg(test)]
mod tests {
    use super::excluded_conf_file;

    #[test]
    fn conf_dir_filter_matches_spark() {
        for shipped in ["log4j2.properties", "metrics.conf", "core-site.xml", "my-spark.properties"] {
            assert!(!excluded_conf_file(shipped), "{shipped}");
        }
        for skipped in ["spark-defaults.conf", "spark.properties", "log4j2.properties.template", "x.jar", "a.tar"] {
            assert!(excluded_conf_file(skipped), "{skipped}");
        }
    }
}
