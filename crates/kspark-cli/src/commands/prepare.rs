//! One preparation for the commands that take spark-submit's command line:
//! `submit`, `submit --as-resource` and `doctor` parse and resolve it here,
//! build Spark's objects here, connect here, and fit the objects to the
//! cluster (Azure workload identity, CPU limits a quota asks for) and run
//! the preflight checks here, so that what `doctor` checks is what `submit`
//! sends.

use kspark_config::version::VersionOrigin;
use kspark_config::{Master, Source, SparkVersion, Submission, SubmitArgs, SubmitEnv};
use kspark_kube::preflight::{self, Check, Plan};
use kspark_kube::{ConnectOptions, Connection};
use kspark_manifests::labels::SPARK_VERSION;
use kspark_manifests::{BuildContext, DriverObjects, LineFeatures, SubmissionIds};

use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output;

/// A command line parsed and resolved into a submission.
pub struct Prepared {
    pub args: SubmitArgs,
    pub env: SubmitEnv,
    pub submission: Submission,
}

/// A prepared Kubernetes submission with Spark's objects built.
pub struct Built {
    pub prepared: Prepared,
    pub objects: DriverObjects,
}

impl Prepared {
    /// Resolves parsed arguments (conf files, defaults, the environment).
    pub fn resolve(args: SubmitArgs) -> anyhow::Result<Prepared> {
        let env = SubmitEnv::from_process();
        let submission = args.resolve(&env).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
        for note in &submission.notes {
            errln!("kspark: note: {note}");
        }
        Ok(Prepared { args, env, submission })
    }

    /// `-o` read as `F`; see [`output_format`].
    pub fn output_format<F: clap::ValueEnum + Default>(&self) -> anyhow::Result<F> {
        output_format(&self.args)
    }

    /// How to reach the cluster: `--master`'s API server, `--kubeconfig`,
    /// `--context` and Spark's `spark.kubernetes.authenticate.submission.*`.
    pub fn connect_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::from_conf(&self.submission.conf, &self.env.cwd);
        options.kubeconfig = self.args.kspark.kubeconfig.clone();
        options.context = self.args.kspark.context.clone().or(options.context);
        if let Master::Kubernetes { api_url } = &self.submission.master {
            options.api_url = Some(api_url.clone());
        }
        options
    }

    /// Builds Spark's objects; unless `quiet`, says which Spark version they
    /// are for and why.
    pub fn build(self, quiet: bool) -> anyhow::Result<Built> {
        let objects = build_objects(&self, quiet)?;
        Ok(Built { prepared: self, objects })
    }
}

impl Built {
    /// Sets `key` (derived, so the user's own settings win elsewhere) on
    /// every pair and builds the objects again with them.
    pub fn set_and_rebuild(&mut self, settings: &[(String, String)]) -> anyhow::Result<()> {
        if settings.is_empty() {
            return Ok(());
        }
        for (key, value) in settings {
            self.prepared.submission.conf.set(key.clone(), value.clone(), Source::Derived);
        }
        self.objects = build_objects(&self.prepared, true)?;
        Ok(())
    }

    /// What the preflight checks look at.
    pub fn plan(&self) -> anyhow::Result<(SparkVersion, Plan<'_>)> {
        let version = self
            .objects
            .pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SPARK_VERSION))
            .and_then(|v| SparkVersion::parse(v).ok())
            .unwrap_or_else(SparkVersion::newest);
        let line = version.line().map_err(|e| hinted(e, None, ExitStatus::Usage))?;
        let submission = &self.prepared.submission;
        let features = LineFeatures::of(line);
        Ok((version, Plan { objects: &self.objects, conf: &submission.conf, kind: submission.kind, features }))
    }

    /// Connects and checks that the API server answers.
    pub async fn connect(&self) -> anyhow::Result<Connection> {
        kspark_kube::connect(&self.prepared.connect_options()).await.map_err(|e| {
            let hint = e.hint();
            hinted(e, hint, ExitStatus::Failure)
        })
    }

    /// In a namespace whose quota caps limits.cpu, a pod without a CPU limit
    /// is refused, and Spark sets none unless asked: sets
    /// `spark.kubernetes.{driver,executor}.limit.cores` to the cores
    /// requested where nothing else gives a limit, and rebuilds the objects.
    /// Returns one line per setting made.
    pub async fn fit_to_namespace(&mut self, conn: &Connection) -> anyhow::Result<Vec<String>> {
        let settings = preflight::cpu_limits_to_set(&conn.client, &self.plan()?.1).await;
        self.set_and_rebuild(&settings)?;
        Ok(settings
            .iter()
            .map(|(key, value)| {
                format!("a quota caps limits.cpu and Spark sets no CPU limit: {key}={value} (the cores requested)")
            })
            .collect())
    }

    /// The preflight checks, run against the cluster without creating anything.
    pub async fn checks(&self, conn: &Connection) -> anyhow::Result<Vec<Check>> {
        let (version, plan) = self.plan()?;
        let mut checks = vec![Check::ok("spark version", format!("building for Spark {version}, a supported release"))];
        checks.extend(preflight::run(conn, &plan).await);
        Ok(checks)
    }
}

/// `-o` read as `F`: [`output::ObjectFormat`] with `--dry-run` (how the
/// objects are printed), [`output::StreamFormat`] while waiting (state
/// changes as text on stderr, or JSON lines), [`output::ReportFormat`] for
/// the doctor. spark-submit's parser reads the command line, so clap cannot
/// refuse a wrong value: this does, with clap's wording.
pub fn output_format<F: clap::ValueEnum + Default>(args: &SubmitArgs) -> anyhow::Result<F> {
    let format = output::parse_format(args.kspark.output.as_deref()).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    Ok(format.unwrap_or_default())
}

fn build_objects(prepared: &Prepared, quiet: bool) -> anyhow::Result<DriverObjects> {
    let Prepared { args, env, submission } = prepared;
    let conf = &submission.conf;
    let image =
        conf.get("spark.kubernetes.driver.container.image").or_else(|| conf.get("spark.kubernetes.container.image"));
    let (version, origin) = SparkVersion::choose(image, args.kspark.spark_version.as_deref())
        .map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    if !quiet {
        let why = match origin {
            VersionOrigin::ImageTag => "from the image tag",
            VersionOrigin::Flag => "from --spark-version",
            VersionOrigin::NewestSupported => {
                "the newest supported; the image tag names no version, set --spark-version to change"
            }
        };
        errln!("kspark: building Spark {version} objects ({why})");
    }
    let inputs = kspark_manifests::inputs::load(conf, env).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    let now = jiff::Timestamp::now().as_millisecond();
    let ctx = BuildContext { submission, version, ids: SubmissionIds::random(now), inputs, now_millis: now };
    kspark_manifests::build_driver(&ctx).map_err(|e| hinted(e, None, ExitStatus::Usage))
}
