//! `kspark connect`'s flags → a SparkConnect. The flags become the
//! spark-submit command line of a driver that would run the server, which
//! goes through the one preparation `submit` and `doctor` use (properties
//! file, `--conf`, defaults, the preflight); the SparkConnect is then read
//! off the resolved settings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use kspark_config::{Source, SparkConf, SparkVersion};
use kspark_sparkapp::connect::{ConnectExecutorSpec, ConnectPodSpec, ServerSpec};
use kspark_sparkapp::{SparkConnect, SparkConnectSpec};

/// The server's main class, as Spark's start-connect-server.sh runs it.
pub const SERVER_CLASS: &str = "org.apache.spark.sql.connect.service.SparkConnectServer";
/// The primary resource of the equivalent submission, which is only
/// checked, never submitted (the server's classes are in the image).
const SERVER_RESOURCE: &str = "local:///opt/spark/jars/spark-connect.jar";
/// The annotation on a SparkConnect that `kspark connect` made (so that
/// `--idle-timeout` never deletes one made by someone else).
pub const CREATED_BY: &str = "kspark.io/created-by";
pub const CREATED_BY_CONNECT: &str = "kspark-connect";
const IMAGE: &str = "spark.kubernetes.container.image";
const DRIVER_IMAGE: &str = "spark.kubernetes.driver.container.image";
const SERVICE_ACCOUNT: &str = "spark.kubernetes.authenticate.driver.serviceAccountName";
/// The service account a tenant's Spark pods run as (`kspark tenant create`).
const DEFAULT_SERVICE_ACCOUNT: &str = "spark";

/// Settings the SparkConnect says in fields of its own, or that only the
/// client side uses: they are not copied into `spec.sparkConf`.
const NOT_SPARK_CONF: &[&str] = &[
    "spark.master",
    "spark.submit.deployMode",
    "spark.app.name",
    "spark.jars",
    "spark.kubernetes.namespace",
    IMAGE,
    DRIVER_IMAGE,
    "spark.kubernetes.executor.container.image",
    "spark.driver.cores",
    "spark.driver.memory",
    "spark.executor.instances",
    "spark.executor.cores",
    "spark.executor.memory",
    SERVICE_ACCOUNT,
];
/// Client-side credentials (tokens, keys): never in a SparkConnect.
const CLIENT_ONLY_PREFIXES: &[&str] = &["spark.kubernetes.authenticate.submission.", "spark.kubernetes.submission."];

/// The server's size and settings.
#[derive(Args, Debug, Clone, Default)]
pub struct ServerFlags {
    /// Executors (Spark's spark.executor.instances; its default is 2).
    #[arg(long, value_name = "N")]
    pub executors: Option<u32>,
    /// Memory per executor (e.g. 2g).
    #[arg(long, value_name = "MEM")]
    pub executor_memory: Option<String>,
    /// Cores per executor.
    #[arg(long, value_name = "N")]
    pub executor_cores: Option<u32>,
    /// The server's (driver's) memory.
    #[arg(long, value_name = "MEM")]
    pub server_memory: Option<String>,
    /// The server's (driver's) cores.
    #[arg(long, value_name = "N")]
    pub server_cores: Option<u32>,
    /// The image of the server and executors (Spark 3.4 or later, with Spark
    /// Connect's jar and sbin/start-connect-server.sh).
    #[arg(long)]
    pub image: Option<String>,
    /// The Spark version, when the image tag does not say it.
    #[arg(long)]
    pub spark_version: Option<String>,
    /// A Spark setting KEY=VALUE for the server (repeatable).
    #[arg(long = "conf", short = 'c', value_name = "KEY=VALUE")]
    pub conf: Vec<String>,
    /// Spark settings from a properties file, as spark-submit reads it.
    #[arg(long, value_name = "FILE")]
    pub properties_file: Option<PathBuf>,
}

/// spark-submit's command line for a driver running the server in `ns`.
pub fn submit_line(flags: &ServerFlags, ns: &str, name: &str, api_url: &str) -> Vec<String> {
    let mut line: Vec<String> =
        vec!["--master".into(), format!("k8s://{api_url}"), "--deploy-mode".into(), "cluster".into()];
    line.extend(["--name".into(), name.to_string()]);
    if let Some(file) = &flags.properties_file {
        line.extend(["--properties-file".into(), file.display().to_string()]);
    }
    for setting in &flags.conf {
        line.extend(["--conf".into(), setting.clone()]);
    }
    let mut flag = |option: &str, value: Option<String>| {
        if let Some(value) = value {
            line.extend([option.to_string(), value]);
        }
    };
    flag("--num-executors", flags.executors.map(|n| n.to_string()));
    flag("--executor-memory", flags.executor_memory.clone());
    flag("--executor-cores", flags.executor_cores.map(|n| n.to_string()));
    flag("--driver-memory", flags.server_memory.clone());
    flag("--driver-cores", flags.server_cores.map(|n| n.to_string()));
    flag("--spark-version", flags.spark_version.clone());
    if let Some(image) = &flags.image {
        line.extend(["--conf".into(), format!("{IMAGE}={image}")]);
    }
    line.extend(["--conf".into(), format!("spark.kubernetes.namespace={ns}")]);
    line.extend(["--class".into(), SERVER_CLASS.into(), SERVER_RESOURCE.into()]);
    line
}

/// The server runs as the tenant's account unless told otherwise; set
/// before the preflight, so that it checks that account.
pub fn default_service_account(conf: &mut SparkConf) {
    conf.set_if_missing(SERVICE_ACCOUNT, DEFAULT_SERVICE_ACCOUNT, Source::Derived);
}

/// The SparkConnect the resolved settings describe; an error names the
/// setting and where it came from.
pub fn spark_connect(name: &str, ns: &str, conf: &SparkConf, version: &SparkVersion) -> Result<SparkConnect, String> {
    let image = conf.get(DRIVER_IMAGE).or_else(|| conf.get(IMAGE)).ok_or_else(|| {
        "no image for the server: give --image (a Spark image with Spark Connect, e.g. apache/spark:4.0.1)".to_string()
    })?;
    let account = conf.get(SERVICE_ACCOUNT).unwrap_or(DEFAULT_SERVICE_ACCOUNT);
    let template = serde_json::from_value(serde_json::json!({"spec": {"serviceAccountName": account}}))
        .map_err(|e| format!("the server's pod template: {e}"))?;
    let spec = SparkConnectSpec {
        spark_version: version.to_string(),
        image: Some(image.to_string()),
        hadoop_conf: None,
        spark_conf: Some(spark_conf(conf)).filter(|c| !c.is_empty()),
        server: ServerSpec {
            pod: ConnectPodSpec {
                cores: int(conf, "spark.driver.cores")?,
                memory: conf.get("spark.driver.memory").map(str::to_string),
                template: Some(template),
            },
            ..Default::default()
        },
        executor: ConnectExecutorSpec {
            pod: ConnectPodSpec {
                cores: int(conf, "spark.executor.cores")?,
                memory: conf.get("spark.executor.memory").map(str::to_string),
                template: None,
            },
            instances: int(conf, "spark.executor.instances")?,
        },
        dynamic_allocation: None,
    };
    let mut connect = SparkConnect::new(name, spec);
    connect.metadata.namespace = Some(ns.to_string());
    connect.metadata.annotations = Some(BTreeMap::from([(CREATED_BY.to_string(), CREATED_BY_CONNECT.to_string())]));
    Ok(connect)
}

/// The user's own settings, less those the SparkConnect says elsewhere
/// and the client's credentials.
fn spark_conf(conf: &SparkConf) -> BTreeMap<String, String> {
    conf.iter()
        .filter(|(_, setting)| setting.source != Source::Derived)
        .filter(|(key, _)| !NOT_SPARK_CONF.contains(key))
        .filter(|(key, _)| !CLIENT_ONLY_PREFIXES.iter().any(|p| key.starts_with(p)))
        .map(|(key, setting)| (key.to_string(), setting.value.clone()))
        .collect()
}

fn int(conf: &SparkConf, key: &str) -> Result<Option<i32>, String> {
    let Some(setting) = conf.setting(key) else { return Ok(None) };
    setting.value.trim().parse::<i32>().map(Some).map_err(|_| {
        format!(
            "{key}={} (from {}): a SparkConnect takes whole cores; give a whole number",
            setting.value, setting.source
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> SparkConf {
        let mut conf = SparkConf::new();
        for (k, v) in pairs {
            conf.set(*k, *v, Source::ConfFlag);
        }
        conf
    }

    fn version() -> SparkVersion {
        SparkVersion::parse("4.0.4").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_submit_line_carries_every_flag_and_the_namespace_last() {
        let flags = ServerFlags {
            executors: Some(3),
            executor_memory: Some("2g".into()),
            image: Some("spark:4.0.4".into()),
            conf: vec!["spark.sql.shuffle.partitions=8".into()],
            ..Default::default()
        };
        let line = submit_line(&flags, "team-a", "nb", "https://aks.example:443").join(" ");
        assert!(line.starts_with("--master k8s://https://aks.example:443 --deploy-mode cluster --name nb"), "{line}");
        for part in [
            "--conf spark.sql.shuffle.partitions=8",
            "--num-executors 3",
            "--executor-memory 2g",
            "--conf spark.kubernetes.container.image=spark:4.0.4",
        ] {
            assert!(line.contains(part), "{part} in {line}");
        }
        assert!(
            line.ends_with(&format!(
                "--conf spark.kubernetes.namespace=team-a --class {SERVER_CLASS} {SERVER_RESOURCE}"
            ))
        );
    }

    #[test]
    fn the_spark_connect_takes_sizes_image_and_settings_but_no_credentials() {
        let conf = conf(&[
            (IMAGE, "spark:4.0.4"),
            ("spark.executor.instances", "3"),
            ("spark.executor.memory", "2g"),
            ("spark.driver.cores", "2"),
            ("spark.sql.shuffle.partitions", "8"),
            ("spark.kubernetes.authenticate.submission.oauthToken", "secret-token"),
            ("spark.kubernetes.namespace", "team-a"),
        ]);
        let connect = spark_connect("nb", "team-a", &conf, &version()).unwrap_or_else(|e| panic!("{e}"));
        let spec = &connect.spec;
        assert_eq!(spec.image.as_deref(), Some("spark:4.0.4"));
        assert_eq!(spec.spark_version, "4.0.4");
        assert_eq!(spec.executor.instances, Some(3));
        assert_eq!(spec.executor.pod.memory.as_deref(), Some("2g"));
        assert_eq!(spec.server.pod.cores, Some(2));
        let settings = spec.spark_conf.clone().unwrap_or_default();
        assert_eq!(settings, BTreeMap::from([("spark.sql.shuffle.partitions".into(), "8".into())]));
        let yaml = serde_saphyr::to_string(&connect).unwrap_or_default();
        assert!(!yaml.contains("secret-token"), "{yaml}");
        assert!(yaml.contains("serviceAccountName: spark"), "{yaml}");
        assert_eq!(connect.metadata.namespace.as_deref(), Some("team-a"));
    }

    #[test]
    fn no_image_and_fractional_cores_are_refused_naming_the_setting() {
        let missing = spark_connect("nb", "ns", &conf(&[]), &version()).err().unwrap_or_default();
        assert!(missing.contains("--image"), "{missing}");
        let half = conf(&[(IMAGE, "spark:4.0.4"), ("spark.executor.cores", "0.5")]);
        let error = spark_connect("nb", "ns", &half, &version()).err().unwrap_or_default();
        assert!(error.starts_with("spark.executor.cores=0.5 (from --conf)"), "{error}");
    }
}
