//! `kspark submit`: spark-submit's command line, Spark's objects, no JVM.

use std::process::ExitCode;

use kspark_config::uploads::UploadPlan;
use kspark_config::{Master, Submission, SubmitArgs};
use kspark_kube::Connection;
use kspark_kube::preflight::{self, Verdict};
use kspark_kube::submit;

use super::args::{help_or_usage, parse_submit_args, parse_timeout};
use super::prepare::{Built, Prepared, output_format};
use super::{local, uploads, workload_identity};
use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output::{self, ObjectFormat, ReportFormat, StreamFormat};

pub async fn run(raw: Vec<String>) -> anyhow::Result<ExitCode> {
    if let Some(code) = help_or_usage(&raw, crate::usage::submit) {
        return Ok(code);
    }
    let args = parse_submit_args(&raw, "kspark submit --help")?;
    if args.kill.is_some() || args.status.is_some() {
        return spark_submit_operation(&args).await;
    }
    // A wrong -o is refused before anything is built or sent.
    if args.kspark.dry_run {
        output_format::<ObjectFormat>(&args)?;
    } else {
        output_format::<StreamFormat>(&args)?;
    }
    let mut prepared = Prepared::resolve(args)?;
    if prepared.args.kspark.as_resource {
        if prepared.args.kspark.archive_logs.is_some() {
            return Err(hinted(
                "--archive-logs applies to what kspark submit itself runs and waits for",
                Some("for SparkApplications the operator archives: `kspark operator run --archive-logs PREFIX`".into()),
                ExitStatus::Usage,
            ));
        }
        return super::as_resource::run(&prepared).await;
    }
    match prepared.submission.master {
        Master::Local(_) => local::run(&raw, &prepared.submission, &prepared.env),
        Master::Kubernetes { .. } => {
            let plan = uploads::plan(&mut prepared.submission, &prepared.env.cwd)?;
            kubernetes(prepared, &plan).await
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

async fn kubernetes(prepared: Prepared, plan: &UploadPlan) -> anyhow::Result<ExitCode> {
    let quiet = prepared.args.kspark.quiet;
    let mut built = prepared.build(quiet)?;
    let Prepared { args, env, submission } = &built.prepared;
    if !quiet {
        let local = kspark_kube::connect::local_namespace(&built.prepared.connect_options());
        errln!("{}", namespace_line(submission, local.ok().flatten(), &built.objects.namespace));
    }
    super::packages::report(args, submission, env, quiet).await?;
    let log_archive = super::archived_logs::open(args.kspark.archive_logs.as_deref(), submission, env)?;
    if args.kspark.dry_run {
        let format: ObjectFormat = built.prepared.output_format()?;
        workload_identity::fit_for_dry_run(&mut built).await?;
        uploads::print_plan(plan);
        output::print_objects(&built.objects, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Opened before the cluster's settings are added: the upload runs here,
    // with this machine's credentials, not the driver's.
    let upload_target = uploads::open(plan, submission, env)?;
    let connection = built.connect().await?;
    workload_identity::fit_or_refuse(&connection.client, &mut built).await?;
    for line in built.fit_to_namespace(&connection).await? {
        errln!("kspark: note: {line}");
    }
    if !built.prepared.args.kspark.skip_preflight {
        run_preflight(&connection, &built).await?;
    }
    let uploaded = match &upload_target {
        Some(target) => Some(uploads::upload(target, plan, quiet).await?),
        None => None,
    };
    let Built { prepared, objects } = built;
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
    let Prepared { args, submission, .. } = &prepared;
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
        json: prepared.output_format::<StreamFormat>()? == StreamFormat::Json,
        timeout: parse_timeout(args.kspark.timeout.as_deref())?,
        wanted_executors: kspark_manifests::resources::initial_executors(&submission.conf).ok(),
        reconnect: Some(prepared.connect_options()),
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
pub(crate) async fn run_preflight(connection: &Connection, built: &Built) -> anyhow::Result<()> {
    let checks = built.checks(connection).await?;
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
