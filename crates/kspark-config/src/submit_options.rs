//! Every option `kspark submit` accepts, in one table: the parser
//! (`SubmitArgs::parse`), the local-run filter and the `--help` text are all
//! read from it, so an option is added, documented and parsed by one entry.

use std::path::PathBuf;

use crate::submit_args::SubmitArgs;

/// Which part of the usage an option is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionGroup {
    /// spark-submit's own options, honoured as spark-submit honours them.
    Spark,
    /// spark-submit's `--kill` / `--status` operations.
    Operation,
    /// kspark's additions; removed before a local run hands the command line
    /// to a real spark-submit.
    Kspark,
    /// Known to spark-submit but refused by kspark, with a reason.
    Unsupported,
    /// Known to spark-submit but meaningless on Kubernetes; Spark ignores
    /// them there too.
    Ignored,
}

/// What parsing an option does.
#[derive(Clone, Copy)]
pub enum Handling {
    /// Stores the value.
    Set(fn(&mut SubmitArgs, String)),
    /// A flag without a value.
    Switch(fn(&mut SubmitArgs)),
    /// `--conf KEY=VALUE`, kept in command-line order.
    Conf,
    /// Recorded (with this reason) so the submission can refuse it.
    Unsupported(&'static str),
    /// Recorded so the submission can say it was ignored.
    Ignored,
}

/// One option: its names (long first), its value's placeholder if it takes
/// one, where its help goes and what parsing it does.
#[derive(Clone, Copy)]
pub struct OptionSpec {
    pub names: &'static [&'static str],
    pub value: Option<&'static str>,
    pub group: OptionGroup,
    pub help: &'static str,
    pub handling: Handling,
}

impl OptionSpec {
    /// The long name, for messages.
    pub fn name(&self) -> &'static str {
        self.names[0]
    }

    pub fn takes_value(&self) -> bool {
        self.value.is_some()
    }
}

impl std::fmt::Debug for OptionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptionSpec").field("names", &self.names).field("group", &self.group).finish_non_exhaustive()
    }
}

/// The option called `name` (any of its names), if there is one.
pub fn find(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.names.contains(&name))
}

const fn spark(
    names: &'static [&'static str],
    value: Option<&'static str>,
    help: &'static str,
    handling: Handling,
) -> OptionSpec {
    OptionSpec { names, value, group: OptionGroup::Spark, help, handling }
}

const fn kspark(
    names: &'static [&'static str],
    value: Option<&'static str>,
    help: &'static str,
    handling: Handling,
) -> OptionSpec {
    OptionSpec { names, value, group: OptionGroup::Kspark, help, handling }
}

const fn refused(names: &'static [&'static str], value: Option<&'static str>, why: &'static str) -> OptionSpec {
    OptionSpec { names, value, group: OptionGroup::Unsupported, help: why, handling: Handling::Unsupported(why) }
}

const fn ignored(names: &'static [&'static str], value: Option<&'static str>) -> OptionSpec {
    OptionSpec {
        names,
        value,
        group: OptionGroup::Ignored,
        help: "accepted and ignored: it does not apply to Kubernetes",
        handling: Handling::Ignored,
    }
}

const KERBEROS: &str = "Kerberos submission is not supported by kspark yet";

/// Every option, in the order `--help` lists them.
pub static OPTIONS: &[OptionSpec] = &[
    spark(
        &["--master"],
        Some("URL"),
        "k8s://https://HOST:PORT submits to Kubernetes; local[*] runs on this machine",
        Handling::Set(|a, v| a.master = Some(v)),
    ),
    spark(
        &["--deploy-mode"],
        Some("MODE"),
        "cluster (the only mode kspark submits to Kubernetes with)",
        Handling::Set(|a, v| a.deploy_mode = Some(v)),
    ),
    spark(&["--name"], Some("NAME"), "the application's name (spark.app.name)", Handling::Set(|a, v| a.name = Some(v))),
    spark(
        &["--class"],
        Some("CLASS"),
        "the main class of a Java or Scala application",
        Handling::Set(|a, v| a.main_class = Some(v)),
    ),
    spark(&["--conf", "-c"], Some("KEY=VALUE"), "a Spark property; repeatable", Handling::Conf),
    spark(
        &["--properties-file"],
        Some("FILE"),
        "Spark properties to load (default: spark-defaults.conf from SPARK_CONF_DIR or SPARK_HOME/conf)",
        Handling::Set(|a, v| a.properties_file = Some(PathBuf::from(v))),
    ),
    spark(
        &["--load-spark-defaults"],
        None,
        "also load spark-defaults.conf when --properties-file is given",
        Handling::Switch(|a| a.load_spark_defaults = true),
    ),
    spark(
        &["--jars"],
        Some("JARS"),
        "comma-separated jars for the driver's and executors' class paths",
        Handling::Set(|a, v| a.jars = Some(v)),
    ),
    spark(
        &["--py-files"],
        Some("FILES"),
        "comma-separated .py, .zip or .egg files for the Python path",
        Handling::Set(|a, v| a.py_files = Some(v)),
    ),
    spark(
        &["--files"],
        Some("FILES"),
        "comma-separated files placed in each executor's working directory",
        Handling::Set(|a, v| a.files = Some(v)),
    ),
    spark(
        &["--archives"],
        Some("ARCHIVES"),
        "comma-separated archives unpacked in each executor's working directory",
        Handling::Set(|a, v| a.archives = Some(v)),
    ),
    spark(
        &["--packages"],
        Some("COORDINATES"),
        "Maven coordinates groupId:artifactId:version, comma-separated, for the driver to resolve (spark.jars.packages)",
        Handling::Set(|a, v| a.packages = Some(v)),
    ),
    spark(
        &["--repositories"],
        Some("URLS"),
        "extra Maven repositories, comma-separated, searched after Maven Central (spark.jars.repositories)",
        Handling::Set(|a, v| a.repositories = Some(v)),
    ),
    spark(
        &["--exclude-packages"],
        Some("GROUP:ARTIFACT"),
        "groupId:artifactId pairs, comma-separated, left out when resolving --packages (spark.jars.excludes)",
        Handling::Set(|a, v| a.exclude_packages = Some(v)),
    ),
    spark(
        &["--driver-memory"],
        Some("MEM"),
        "driver memory, e.g. 2g (spark.driver.memory)",
        Handling::Set(|a, v| a.driver_memory = Some(v)),
    ),
    spark(
        &["--driver-cores"],
        Some("N"),
        "driver cores (spark.driver.cores)",
        Handling::Set(|a, v| a.driver_cores = Some(v)),
    ),
    spark(
        &["--driver-java-options"],
        Some("OPTS"),
        "extra JVM options for the driver (a --conf spark.driver.extraJavaOptions wins)",
        Handling::Set(|a, v| a.driver_java_options = Some(v)),
    ),
    spark(
        &["--driver-class-path"],
        Some("PATH"),
        "extra class path entries for the driver (spark.driver.extraClassPath)",
        Handling::Set(|a, v| a.driver_class_path = Some(v)),
    ),
    spark(
        &["--driver-library-path"],
        Some("PATH"),
        "extra native library path for the driver (spark.driver.extraLibraryPath)",
        Handling::Set(|a, v| a.driver_library_path = Some(v)),
    ),
    spark(
        &["--executor-memory"],
        Some("MEM"),
        "memory per executor, e.g. 4g (spark.executor.memory)",
        Handling::Set(|a, v| a.executor_memory = Some(v)),
    ),
    spark(
        &["--executor-cores"],
        Some("N"),
        "cores per executor (spark.executor.cores)",
        Handling::Set(|a, v| a.executor_cores = Some(v)),
    ),
    spark(
        &["--num-executors"],
        Some("N"),
        "executors to start (spark.executor.instances)",
        Handling::Set(|a, v| a.num_executors = Some(v)),
    ),
    spark(
        &["--proxy-user"],
        Some("USER"),
        "the user to run the application as",
        Handling::Set(|a, v| a.proxy_user = Some(v)),
    ),
    spark(
        &["--verbose", "-v"],
        None,
        "spark-submit's debugging output on local runs (no effect on Kubernetes submissions)",
        Handling::Switch(|a| a.verbose = true),
    ),
    OptionSpec {
        names: &["--kill"],
        value: Some("NAMESPACE:NAME"),
        group: OptionGroup::Operation,
        help: "kill the application(s) matching the ID (`*` globs); like `kspark kill --yes`",
        handling: Handling::Set(|a, v| a.kill = Some(v)),
    },
    OptionSpec {
        names: &["--status"],
        value: Some("NAMESPACE:NAME"),
        group: OptionGroup::Operation,
        help: "show the driver state of the application(s) matching the ID; like `kspark status`",
        handling: Handling::Set(|a, v| a.status = Some(v)),
    },
    kspark(
        &["--kubeconfig"],
        Some("FILE"),
        "kubeconfig to use (default: KUBECONFIG, then ~/.kube/config, then the in-cluster service account)",
        Handling::Set(|a, v| a.kspark.kubeconfig = Some(PathBuf::from(v))),
    ),
    kspark(
        &["--context"],
        Some("NAME"),
        "kubeconfig context (also spark.kubernetes.context)",
        Handling::Set(|a, v| a.kspark.context = Some(v)),
    ),
    kspark(
        &["--spark-version"],
        Some("X.Y.Z"),
        "the Spark release to build objects for, when the image tag carries no version",
        Handling::Set(|a, v| a.kspark.spark_version = Some(v)),
    ),
    kspark(
        &["--dry-run"],
        None,
        "print the objects (with the namespace they would be created in) instead of creating them; \
         creates nothing, and only reads the driver's service account (for Azure workload identity) \
         when the cluster answers",
        Handling::Switch(|a| a.kspark.dry_run = true),
    ),
    kspark(
        &["--as-resource"],
        None,
        "create a SparkApplication for kubeflow's spark-operator instead of submitting (with --dry-run: print it); \
         refuses files on this machine",
        Handling::Switch(|a| a.kspark.as_resource = true),
    ),
    kspark(
        &["--output", "-o"],
        Some("FORMAT"),
        "with --dry-run: yaml (default) or json; while waiting: json prints one JSON object per driver state change",
        Handling::Set(|a, v| a.kspark.output = Some(v)),
    ),
    kspark(
        &["--no-wait"],
        None,
        "return once submitted (same as spark.kubernetes.submission.waitAppCompletion=false)",
        Handling::Switch(|a| a.kspark.no_wait = true),
    ),
    kspark(
        &["--quiet", "-q"],
        None,
        "no preamble and no live view: plain state-change lines and the outcome",
        Handling::Switch(|a| a.kspark.quiet = true),
    ),
    kspark(
        &["--timeout"],
        Some("DURATION"),
        "stop waiting and exit 124 when the driver is still Pending after this long (e.g. 10m; a bare number is \
         seconds)",
        Handling::Set(|a, v| a.kspark.timeout = Some(v)),
    ),
    kspark(
        &["--skip-preflight"],
        None,
        "submit without the checks of `kspark doctor`",
        Handling::Switch(|a| a.kspark.skip_preflight = true),
    ),
    kspark(
        &["--check-packages"],
        None,
        "before submitting, ask the Maven repositories whether every --packages coordinate exists (HTTP HEAD on each POM)",
        Handling::Switch(|a| a.kspark.check_packages = true),
    ),
    kspark(
        &["--archive-logs"],
        Some("URI"),
        "when the application has ended, copy the driver's log to URI/NAMESPACE/APP/SPARK-APP-ID/driver.log \
         (abfss://, s3a://, gs:// or file://; credentials as for uploads) so that `kspark logs` can read it once \
         the pods are gone",
        Handling::Set(|a, v| a.kspark.archive_logs = Some(v)),
    ),
    kspark(
        &["--archive-executor-logs"],
        None,
        "with --archive-logs: also the logs of the executors still there (executor-ID.log)",
        Handling::Switch(|a| a.kspark.archive_executor_logs = true),
    ),
    refused(&["--principal"], Some("PRINCIPAL"), KERBEROS),
    refused(&["--keytab"], Some("FILE"), KERBEROS),
    ignored(&["--supervise"], None),
    ignored(&["--total-executor-cores"], Some("N")),
    ignored(&["--queue"], Some("QUEUE")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for option in OPTIONS {
            assert!(option.name().starts_with("--"), "{option:?}: the first name is the long one");
            for name in option.names {
                assert!(seen.insert(*name), "{name} is in the table twice");
            }
            assert!(!option.help.is_empty(), "{option:?} has no help");
        }
    }

    #[test]
    fn a_value_placeholder_exactly_when_the_option_takes_a_value() {
        for option in OPTIONS {
            match option.handling {
                Handling::Set(_) | Handling::Conf => assert!(option.takes_value(), "{option:?}"),
                Handling::Switch(_) => assert!(!option.takes_value(), "{option:?}"),
                Handling::Unsupported(_) | Handling::Ignored => {}
            }
        }
    }
}
