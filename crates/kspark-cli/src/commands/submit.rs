//! `kspark submit`: spark-submit's command line, Spark's objects, no JVM.

use std::process::ExitCode;

use kspark_config::uploads::UploadPlan;
use kspark_config::version::VersionOrigin;
use kspark_config::{Master, SparkVersion, Submission, SubmitArgs, SubmitEnv};
use kspark_kube::preflight::{self, Verdict};
use kspark_kube::submit;
use kspark_kube::{ConnectOptions, Connection};
use kspark_manifests::{BuildContext, DriverObjects, SubmissionIds};

use super::{local, uploads, workload_identity};
use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output::{self, ObjectFormat, ReportFormat, StreamFormat};

pub async fn run(raw: Vec<String>) -> anyhow::Result<ExitCode> {
    if let Some(code) = help_or_usage(&raw, crate::usage::submit) {
        return Ok(code);
    }
    let args = SubmitArgs::parse(raw.iter().cloned())
        .map_err(|e| hinted(e, Some("see `kspark submit --help`".into()), ExitStatus::Usage))?;
    if args.kill.is_some() || args.status.is_some() {
        return spark_submit_operation(&args).await;
    }
    // A wrong -o is refused before anything is built or sent.
    if args.kspark.dry_run {
        output_format::<ObjectFormat>(&args)?;
    } else {
        output_format::<StreamFormat>(&args)?;
    }
    let env = SubmitEnv::from_process();
    let mut submission = args.resolve(&env).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    for note in &submission.notes {
        errln!("kspark: note: {note}");
    }
    if args.kspark.as_resource {
        if args.kspark.archive_logs.is_some() {
            return Err(hinted(
                "--archive-logs applies to what kspark submit itself runs and waits for",
                Some("for SparkApplications the operator archives: `kspark operator run --archive-logs PREFIX`".into()),
                ExitStatus::Usage,
            ));
        }
        return super::as_resource::run(&args, &submission, &env).await;
    }
    match submission.master.clone() {
        Master::Local(_) => local::run(&raw, &submission, &env),
        Master::Kubernetes { api_url } => {
            let plan = uploads::plan(&mut submission, &env.cwd)?;
            kubernetes(&args, &submission, &env, &api_url, &plan).await
        }
    }
}

/// spark-submit's `--kill ID` and `--status ID` (ID = `namespace:pod`, `*` globs).
async fn spark_submit_operation(args: &SubmitArgs) -> anyhow::Result<ExitCode> {
    let api_url = match args.master.as_deref().map(Master::parse) {
        Some(Ok(Master::Kubernetes { api_url })) => Some(api_url),
        Some(Err(e)) => return Err(hinted(e, None, ExitStatus::Usage)),
        _ => None,
    };
    let target = super::auth::Target {
        kubeconfig: args.kspark.kubeconfig.clone(),
        context: args.kspark.context.clone(),
        api_url,
    };
    let grace = args
        .conf
        .iter()
        .rev()
        .find(|(k, _)| k == "spark.kubernetes.appKillPodDeletionGracePeriod")
        .map(|(_, v)| kspark_config::time::parse_millis(v, "s").map(|ms| (ms / 1000) as u32))
        .transpose()
        .map_err(|e| hinted(format!("spark.kubernetes.appKillPodDeletionGracePeriod: {e}"), None, ExitStatus::Usage))?;
    match (&args.kill, &args.status) {
        (Some(id), _) => {
            let kill = super::apps::KillArgs { id: id.clone(), target, grace_period: grace, yes: true };
            super::apps::kill(kill).await
        }
        (None, Some(id)) => {
            super::apps::status(super::apps::IdArgs { id: id.clone(), target, output: ReportFormat::Text }).await
        }
        (None, None) => Ok(ExitCode::SUCCESS),
    }
}

/// `-o` read as `F`: [`ObjectFormat`] with `--dry-run` (how the objects
/// are printed), [`StreamFormat`] while waiting (state changes as text on
/// stderr, or JSON lines).
pub(super) fn output_format<F: clap::ValueEnum + Default>(args: &SubmitArgs) -> anyhow::Result<F> {
    let format = output::parse_format(args.kspark.output.as_deref()).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    Ok(format.unwrap_or_default())
}

/// `--help` (before the primary resource; after it, it belongs to the
/// application) prints the usage and succeeds; no arguments at all print it
/// to stderr and fail, as spark-submit does, so a script notices.
pub(super) fn help_or_usage(raw: &[String], usage: fn() -> String) -> Option<ExitCode> {
    if raw.is_empty() {
        errln!("{}", usage());
        return Some(ExitStatus::Usage.into());
    }
    let asks_for_help = |args: &[String]| args.iter().any(|r| r == "--help" || r == "-h");
    let wants_help = match SubmitArgs::parse(raw.iter().cloned()) {
        Ok(args) => args.primary_resource.is_none() && asks_for_help(raw),
        Err(_) => asks_for_help(raw),
    };
    // A closed pipe while printing help is the reader saying "enough".
    wants_help.then(|| {
        let _ = outln!("{}", usage());
        ExitCode::SUCCESS
    })
}

async fn kubernetes(
    args: &SubmitArgs,
    submission: &Submission,
    env: &SubmitEnv,
    api_url: &str,
    plan: &UploadPlan,
) -> anyhow::Result<ExitCode> {
    let quiet = args.kspark.quiet;
    let mut objects = build(args, submission, env, quiet)?;
    if !quiet {
        let local = kspark_kube::connect::local_namespace(&connect_options(args, submission, env, api_url));
        errln!("{}", namespace_line(submission, local.ok().flatten(), &objects.namespace));
    }
    super::packages::report(args, submission, env, quiet).await?;
    let mut fitted = submission.clone();
    let log_archive = super::archived_logs::open(args.kspark.archive_logs.as_deref(), submission, env)?;
    if args.kspark.dry_run {
        let format: ObjectFormat = output_format(args)?;
        let options = connect_options(args, submission, env, api_url);
        workload_identity::fit_for_dry_run(&options, args, &mut fitted, env, &mut objects).await?;
        uploads::print_plan(plan);
        output::print_objects(&objects, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let upload_target = uploads::open(plan, submission, env)?;
    let connection = connect(args, submission, env, api_url).await?;
    workload_identity::fit_or_refuse(&connection.client, args, &mut fitted, env, &mut objects).await?;
    for line in super::doctor::fit_to_namespace(&connection, args, &mut fitted, env, &mut objects).await? {
        errln!("kspark: note: {line}");
    }
    let submission = &fitted;
    if !args.kspark.skip_preflight {
        run_preflight(&connection, &objects, submission).await?;
    }
    let uploaded = match &upload_target {
        Some(target) => Some(uploads::upload(target, plan, quiet).await?),
        None => None,
    };
    let submitted = match submit::submit(&connection.client, objects).await {
        Ok(submitted) => submitted,
        Err(e) => {
            if let Some(uploaded) = uploaded {
                uploads::delete(uploaded).await;
            }
            let hint = e.hint();
            return Err(hinted(e, hint, ExitStatus::Failure));
        }
    };
    let id = format!("{}:{}", submitted.namespace, submitted.pod_name);
    errln!(
        "kspark: submitted {} ({}) as {id}",
        submission.conf.get("spark.app.name").unwrap_or_default(),
        submitted.app_id
    );
    let wait_conf = submission
        .conf
        .bool("spark.kubernetes.submission.waitAppCompletion")
        .map_err(|e| hinted(e, None, ExitStatus::Usage))?
        .unwrap_or(true);
    if args.kspark.no_wait || !wait_conf {
        if log_archive.is_some() {
            errln!("kspark: warning: not waiting, so the logs will not be archived (--archive-logs needs the wait)");
        }
        errln!("kspark: not waiting; follow it with `kspark wait {id}`, stop it with `kspark kill {id}`");
        return Ok(ExitCode::SUCCESS);
    }
    let follow = super::follow::FollowOptions {
        quiet,
        json: output_format::<StreamFormat>(args)? == StreamFormat::Json,
        timeout: parse_timeout(args.kspark.timeout.as_deref())?,
        wanted_executors: kspark_manifests::resources::initial_executors(&submission.conf).ok(),
        reconnect: Some(connect_options(args, submission, env, api_url)),
        report_interval: submission
            .conf
            .millis("spark.kubernetes.report.interval", "ms")
            .map_err(|e| hinted(e, None, ExitStatus::Usage))?
            .map(std::time::Duration::from_millis),
    };
    let outcome = super::follow::follow(&connection, &submitted.namespace, &submitted.pod_name, follow).await;
    if let Some(archive) = &log_archive {
        let executors = args.kspark.archive_executor_logs;
        super::archived_logs::archive_ended(&connection, archive, &submitted.namespace, &submitted.pod_name, executors)
            .await;
    }
    outcome
}

/// Which namespace the objects go to and why. kspark follows Spark:
/// spark.kubernetes.namespace, else `default`; a kubeconfig context (or
/// in-cluster service account) naming another one is pointed out, since
/// spark-submit ignores it too.
fn namespace_line(submission: &Submission, local: Option<(String, String)>, namespace: &str) -> String {
    if submission.conf.get("spark.kubernetes.namespace").is_some_and(|n| !n.is_empty()) {
        return format!("kspark: namespace {namespace} (from spark.kubernetes.namespace)");
    }
    match local {
        Some((other, source)) if other != namespace => format!(
            "kspark: namespace {namespace} (spark.kubernetes.namespace is not set; like spark-submit, kspark does \
             not use the namespace `{other}` of {source}: add --conf spark.kubernetes.namespace={other} to submit there)"
        ),
        _ => format!("kspark: namespace {namespace} (spark.kubernetes.namespace is not set: Spark's default)"),
    }
}

/// The doctor's checks, before anything is created; a failure refuses.
async fn run_preflight(
    connection: &Connection,
    objects: &DriverObjects,
    submission: &Submission,
) -> anyhow::Result<()> {
    let checks = super::doctor::checks(connection, objects, submission).await?;
    for check in checks.iter().filter(|c| c.verdict != Verdict::Ok) {
        errln!("kspark: preflight {}", super::doctor::line(check));
    }
    if preflight::worst(&checks) == Verdict::Fail {
        return Err(hinted(
            "preflight checks failed; nothing was created",
            Some("fix what failed above, or submit anyway with --skip-preflight".into()),
            ExitStatus::Failure,
        ));
    }
    Ok(())
}

pub(super) fn build(
    args: &SubmitArgs,
    submission: &Submission,
    env: &SubmitEnv,
    quiet: bool,
) -> anyhow::Result<DriverObjects> {
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

/// `--timeout 10m` (a bare number is seconds).
pub(super) fn parse_timeout(text: Option<&str>) -> anyhow::Result<Option<std::time::Duration>> {
    text.map(|t| kspark_config::time::parse_millis(t, "s").map(std::time::Duration::from_millis))
        .transpose()
        .map_err(|e| hinted(format!("--timeout: {e}"), None, ExitStatus::Usage))
}

fn connect_options(args: &SubmitArgs, submission: &Submission, env: &SubmitEnv, api_url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::from_conf(&submission.conf, &env.cwd);
    options.kubeconfig = args.kspark.kubeconfig.clone();
    options.context = args.kspark.context.clone().or(options.context);
    options.api_url = Some(api_url.to_string());
    options
}

async fn connect(
    args: &SubmitArgs,
    submission: &Submission,
    env: &SubmitEnv,
    api_url: &str,
) -> anyhow::Result<Connection> {
    kspark_kube::connect(&connect_options(args, submission, env, api_url)).await.map_err(|e| {
        let hint = e.hint();
        hinted(e, hint, ExitStatus::Failure)
    })
}
