//! Everything a build needs besides the Spark settings: random IDs, the
//! clock, and what Spark reads from the submitter's machine. Kept apart so
//! that building stays a pure function and tests can fix every input.

use std::collections::BTreeMap;

use kspark_config::{SparkVersion, Submission};

use crate::names;

/// The random parts of one submission's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionIds {
    /// `spark-<32 hex>`.
    pub app_id: String,
    /// The 16-hex infix of the driver pod's name.
    pub prefix_id: String,
    /// The 16-hex infix of the driver conf ConfigMap.
    pub conf_map_id: String,
    /// Used only when the Service name would be too long.
    pub service_fallback_id: String,
    /// `/var/data/spark-<uuid>` local dir.
    pub local_dir_uuid: String,
}

impl SubmissionIds {
    pub fn random(now_millis: i64) -> SubmissionIds {
        SubmissionIds {
            app_id: format!("spark-{}", uuid::Uuid::new_v4().simple()),
            prefix_id: names::unique_id(now_millis),
            conf_map_id: names::unique_id(now_millis),
            service_fallback_id: names::unique_id(now_millis),
            local_dir_uuid: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// Files and variables Spark takes from the submitter's machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitterInputs {
    /// `SPARK_USER`, else the OS user name.
    pub user: String,
    /// The submitter's `SPARK_LOCAL_DIRS`.
    pub local_dirs_env: Option<String>,
    pub pyspark_python: Option<String>,
    pub pyspark_driver_python: Option<String>,
    /// Files of `SPARK_CONF_DIR` that Spark ships (already filtered).
    pub conf_dir_files: BTreeMap<String, String>,
    /// Files of `HADOOP_CONF_DIR`, when that is set.
    pub hadoop_conf_files: Option<BTreeMap<String, String>>,
    /// `spark.kubernetes.driver.podTemplateFile`, parsed.
    pub driver_template: Option<serde_json::Value>,
    /// `spark.kubernetes.executor.podTemplateFile`, verbatim.
    pub executor_template_text: Option<String>,
    /// Contents of the `spark.kubernetes.authenticate.driver.*` files.
    pub driver_credentials: DriverCredentialFiles,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriverCredentialFiles {
    pub ca_cert: Option<Vec<u8>>,
    pub client_key: Option<Vec<u8>>,
    pub client_cert: Option<Vec<u8>>,
}

/// One build's full input.
#[derive(Debug, Clone)]
pub struct BuildContext<'a> {
    pub submission: &'a Submission,
    pub version: SparkVersion,
    pub ids: SubmissionIds,
    pub inputs: SubmitterInputs,
    /// Milliseconds since the epoch, for `spark.app.submitTime`.
    pub now_millis: i64,
}

impl BuildContext<'_> {
    /// `spark.kubernetes.namespace`, default `default`.
    pub fn namespace(&self) -> String {
        self.submission
            .conf
            .get("spark.kubernetes.namespace")
            .filter(|n| !n.is_empty())
            .unwrap_or("default")
            .to_string()
    }

    pub fn app_name(&self) -> &str {
        self.submission.conf.get("spark.app.name").unwrap_or("spark")
    }
}
