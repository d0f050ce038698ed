//! `kspark list | status | kill | wait | logs`: Spark applications without
//! kubectl. IDs are `NAMESPACE:NAME` (a glob where several may match); a
//! missing namespace means the kubeconfig context's. NAME is a driver pod,
//! an application name, or a SparkApplication of kubeflow's operator.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::Args;
use k8s_openapi::api::core::v1::Pod;
use kspark_kube::Connection;
use kspark_kube::apps::{self, AppSummary};
use kspark_kube::sparkapps;
use kspark_sparkapp::SparkApplication;
use kube::Api;
use kube::api::ListParams;

use super::archived_logs;
use super::auth::Target;
use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output;
use kspark_manifests::labels::{SPARK_APP_NAME, SPARK_APP_SELECTOR, application_selector, executors_selector};
use kspark_sparkapp::labels;

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: Target,
    /// Namespace (default: the context's).
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// All namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: output::ListFormat,
}

#[derive(Args)]
pub struct IdArgs {
    /// NAMESPACE:NAME (driver pod name or app name; `*` and `?` match several).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: output::ReportFormat,
}

#[derive(Args)]
pub struct WaitArgs {
    /// NAMESPACE:NAME (driver pod name or app name).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
    /// Output format: text, or json for one JSON object per driver state change.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: output::StreamFormat,
    /// Give up and exit 124 when the driver is still Pending after this long
    /// (e.g. 10m; a bare number is seconds).
    #[arg(long)]
    pub timeout: Option<String>,
}

#[derive(Args)]
pub struct KillArgs {
    /// NAMESPACE:NAME (driver pod name or app name; `*` and `?` match several).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
    /// Seconds the driver gets to stop (default: the pod's own).
    #[arg(long)]
    pub grace_period: Option<u32>,
    /// Do not ask before killing several applications.
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Args)]
pub struct LogsArgs {
    /// NAMESPACE:NAME of the driver pod (or app name).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
    /// Keep streaming new lines.
    #[arg(short, long)]
    pub follow: bool,
    /// An executor's logs instead of the driver's (its ID, e.g. 1).
    #[arg(long)]
    pub executor: Option<String>,
    /// Every executor's logs after the driver's.
    #[arg(long, conflicts_with = "executor")]
    pub all_executors: bool,
    /// Only lines newer than this (e.g. 10m, 1h).
    #[arg(long)]
    pub since: Option<String>,
    /// When the pods are gone and no record names an archive: look for the
    /// newest archive of NAME below this prefix (as given to --archive-logs).
    #[arg(long, value_name = "URI_PREFIX")]
    pub archive: Option<String>,
}

/// Splits `NS:NAME`; without a namespace, the context's (else `default`).
fn split_id<'a>(id: &'a str, conn: &Connection) -> (String, &'a str) {
    match id.split_once(':') {
        Some((ns, name)) if !ns.is_empty() => (ns.to_string(), name),
        Some((_, name)) => (default_namespace(conn), name),
        None => (default_namespace(conn), id),
    }
}

fn default_namespace(conn: &Connection) -> String {
    conn.kubeconfig_namespace.clone().unwrap_or_else(|| "default".into())
}

/// What an ID names: a driver pod, or a SparkApplication of kubeflow's operator.
enum Found {
    Driver(Box<Pod>),
    App(Box<SparkApplication>),
}

impl Found {
    fn name(&self) -> String {
        match self {
            Found::Driver(pod) => pod.metadata.name.clone().unwrap_or_default(),
            Found::App(app) => app.metadata.name.clone().unwrap_or_default(),
        }
    }
}

/// Driver pods and SparkApplications matching the ID. An exact name finds
/// a driver pod first; the pods of a matching SparkApplication are shown
/// through it, not twice.
async fn targets(conn: &Connection, id: &str) -> anyhow::Result<(String, Vec<Found>)> {
    let (ns, pattern) = split_id(id, conn);
    let mut pods = apps::find_drivers(&conn.client, &ns, pattern).await.map_err(crate::failure::cluster)?;
    let exact_pod = pods.iter().any(|p| p.metadata.name.as_deref() == Some(pattern));
    let operator_apps = if exact_pod {
        Vec::new()
    } else {
        sparkapps::find(&conn.client, &ns, pattern).await.map_err(crate::failure::cluster)?
    };
    pods.retain(|p| !operator_apps.iter().any(|a| launched_for(p, a)));
    let mut found: Vec<Found> = operator_apps.into_iter().map(|a| Found::App(Box::new(a))).collect();
    found.extend(pods.into_iter().map(|p| Found::Driver(Box::new(p))));
    if found.is_empty() {
        return Err(hinted(
            format!("no Spark application matches {ns}:{pattern}"),
            Some(format!("see what runs there with `kspark list -n {ns}`")),
            ExitStatus::Failure,
        ));
    }
    Ok((ns, found))
}

fn launched_for(pod: &Pod, app: &SparkApplication) -> bool {
    let labels = pod.metadata.labels.as_ref();
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(String::as_str);
    label(labels::LAUNCHED_BY_SPARK_OPERATOR) == Some("true") && label(labels::APP_NAME) == app.metadata.name.as_deref()
}

/// The one driver pod behind `id`: the pod itself, or a SparkApplication's
/// current driver (`status.driverInfo.podName`).
pub(crate) async fn one_driver(conn: &Connection, id: &str) -> anyhow::Result<(String, Pod)> {
    let (ns, found) = targets(conn, id).await?;
    let first = found.into_iter().next().ok_or_else(|| hinted("no driver", None, ExitStatus::Failure))?;
    match first {
        Found::Driver(pod) => Ok((ns, *pod)),
        Found::App(app) => {
            let name = app.metadata.name.clone().unwrap_or_default();
            let no_driver = || {
                hinted(
                    format!("sparkapplication {ns}/{name} has no driver pod (state {})", sparkapps::state(&app)),
                    Some(format!("the operator has not started one yet; watch it with `kspark wait {ns}:{name}`")),
                    ExitStatus::Failure,
                )
            };
            let pod_name = sparkapps::driver_pod(&app).ok_or_else(no_driver)?;
            let api: Api<Pod> = Api::namespaced(conn.client.clone(), &ns);
            let pod = api
                .get_opt(pod_name)
                .await
                .map_err(|e| {
                    crate::failure::cluster(kspark_kube::ClusterError::from_kube(
                        format!("read pod {ns}:{pod_name}"),
                        e,
                    ))
                })?
                .ok_or_else(no_driver)?;
            Ok((ns, pod))
        }
    }
}

pub async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let conn = args.target.connect().await?;
    let ns = if args.all_namespaces {
        None
    } else {
        Some(args.namespace.clone().unwrap_or_else(|| default_namespace(&conn)))
    };
    let apps = apps::list_apps(&conn.client, ns.as_deref()).await.map_err(crate::failure::cluster)?;
    let apps_json = || serde_json::Value::Array(apps.iter().map(app_json).collect());
    match args.output {
        output::ListFormat::Json => output::print_value(&apps_json(), output::ObjectFormat::Json)?,
        output::ListFormat::Yaml => output::print_value(&apps_json(), output::ObjectFormat::Yaml)?,
        output::ListFormat::Table => print_table(&apps)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn app_json(app: &AppSummary) -> serde_json::Value {
    serde_json::json!({
        "namespace": app.namespace,
        "name": app.name,
        "appId": app.app_id,
        "state": app.state(),
        "driverPod": app.driver_pod,
        "driverPhase": app.driver.as_ref().map(|d| d.phase.clone()),
        "created": app.created.map(|t| t.to_string()),
        "executors": {"running": app.executors_running, "pending": app.executors_pending, "failed": app.executors_failed},
        "sparkVersion": app.spark_version,
        "via": app.via(),
        "operator": app.operator.as_ref().map(|o| serde_json::json!({
            "state": o.state, "errorMessage": o.error_message,
            "submissionAttempts": o.submission_attempts, "executionAttempts": o.execution_attempts,
        })),
    })
}

fn print_table(apps: &[AppSummary]) -> std::io::Result<()> {
    if apps.is_empty() {
        errln!("no Spark applications");
        return Ok(());
    }
    outln!(
        "{:<16} {:<28} {:<8} {:<17} {:>6} {:<22} {:>10} {:>8}  SPARK",
        "NAMESPACE",
        "NAME",
        "VIA",
        "STATE",
        "AGE",
        "DRIVER",
        "EXECUTORS",
        "ATTEMPTS"
    )?;
    let now = jiff::Timestamp::now();
    for app in apps {
        let age = app.created.map_or("-".to_string(), |t| output::age(now.duration_since(t)));
        let driver =
            app.driver.as_ref().map_or("-".to_string(), |d| d.container.clone().unwrap_or_else(|| d.phase.clone()));
        let executors = format!("{}/{}/{}", app.executors_running, app.executors_pending, app.executors_failed);
        let attempts = app.operator.as_ref().map_or("-".to_string(), |o| o.execution_attempts.to_string());
        outln!(
            "{:<16} {:<28} {:<8} {:<17} {:>6} {:<22} {:>10} {:>8}  {}",
            app.namespace,
            app.name,
            app.via(),
            app.state(),
            age,
            truncate(&driver, 22),
            executors,
            attempts,
            app.spark_version
        )?;
    }
    outln!("(executors: running/pending/failed; via operator: a SparkApplication, see `kspark status NS:NAME`)")
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

pub async fn status(args: IdArgs) -> anyhow::Result<ExitCode> {
    let conn = args.target.connect().await?;
    let (ns, found) = targets(&conn, &args.id).await?;
    let mut statuses = Vec::new();
    let mut lines = Vec::new();
    for target in &found {
        match target {
            Found::Driver(p) => {
                let s = kspark_kube::wait::DriverStatus::of(p);
                let name = p.metadata.name.clone().unwrap_or_default();
                let unscheduled = kspark_kube::unscheduled::unscheduled(p, jiff::Timestamp::now());
                statuses.push(serde_json::json!({
                    "id": format!("{ns}:{name}"),
                    "app": p.metadata.labels.as_ref().and_then(|l| l.get(SPARK_APP_NAME)),
                    "phase": s.phase, "container": s.container, "exitCode": s.exit_code,
                    "reason": s.reason, "message": s.message, "node": s.node,
                    "unscheduled": unscheduled,
                }));
                let warning = unscheduled.map(|w| format!("\n  warning: {w}")).unwrap_or_default();
                lines.push(format!("{ns}:{name}  {}{warning}", output::describe(&s)));
            }
            Found::App(app) => {
                let driver = app_driver(&conn, &ns, app).await;
                let (json, text) = super::sparkapp_status::describe(&ns, app, driver.as_ref());
                statuses.push(json);
                lines.push(text);
            }
        }
    }
    match args.output.structured() {
        Some(format) => output::print_value(&serde_json::Value::Array(statuses), format)?,
        None => lines.iter().try_for_each(|l| outln!("{l}"))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The SparkApplication's current driver pod, if it exists.
async fn app_driver(conn: &Connection, ns: &str, app: &SparkApplication) -> Option<Pod> {
    let api: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    api.get_opt(sparkapps::driver_pod(app)?).await.ok().flatten()
}

pub async fn kill(args: KillArgs) -> anyhow::Result<ExitCode> {
    let conn = args.target.connect().await?;
    let (ns, found) = targets(&conn, &args.id).await?;
    let names: Vec<String> = found.iter().map(Found::name).collect();
    if names.len() > 1 && !args.yes && !confirm(&ns, &names)? {
        errln!("kspark: nothing killed");
        return Ok(ExitStatus::Failure.into());
    }
    for target in &found {
        let name = target.name();
        match target {
            Found::Driver(pod) if managed_connect_server(pod).is_some() => {
                let connect = managed_connect_server(pod).unwrap_or_default();
                kspark_kube::connect_server::delete_connect(&conn.client, &ns, connect)
                    .await
                    .map_err(crate::failure::cluster)?;
                errln!(
                    "kspark: deleted sparkconnect {ns}/{connect}: its operator would make a killed server again, so \
                     the SparkConnect goes (its server and executors follow)"
                );
            }
            Found::Driver(_) => {
                apps::kill(&conn.client, &ns, &name, args.grace_period).await.map_err(crate::failure::cluster)?;
                errln!("kspark: killed {ns}:{name} (its executors, Service and ConfigMaps follow)");
            }
            Found::App(_) => {
                sparkapps::delete(&conn.client, &ns, &name).await.map_err(crate::failure::cluster)?;
                errln!(
                    "kspark: deleted sparkapplication {ns}/{name}: killing an operator's application deletes the \
                     SparkApplication (its driver and executors follow); recreate it to run it again"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The SparkConnect whose operator made this server pod, if it is one.
fn managed_connect_server(pod: &Pod) -> Option<&str> {
    let labels = pod.metadata.labels.as_ref()?;
    let by_operator = labels.get(labels::LAUNCHED_BY_SPARK_OPERATOR).map(String::as_str) == Some("true");
    let owned = pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "SparkConnect");
    (by_operator && owned).then(|| labels.get(labels::CONNECT_NAME).map(String::as_str)).flatten()
}

fn confirm(ns: &str, names: &[String]) -> anyhow::Result<bool> {
    errln!("kspark: {} applications match:", names.len());
    for n in names {
        errln!("  {ns}:{n}");
    }
    err!("kill them all? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

pub async fn wait(args: WaitArgs) -> anyhow::Result<ExitCode> {
    let conn = args.target.connect().await?;
    let (ns, found) = targets(&conn, &args.id).await?;
    if found.len() > 1 {
        return Err(hinted(
            format!("{} applications match {}", found.len(), args.id),
            Some("name one driver pod or SparkApplication".into()),
            ExitStatus::Usage,
        ));
    }
    let opts = super::follow::FollowOptions {
        json: args.output == output::StreamFormat::Json,
        timeout: super::args::parse_timeout(args.timeout.as_deref())?,
        reconnect: Some(args.target.options()),
        ..Default::default()
    };
    match &found[0] {
        Found::Driver(pod) => {
            let name = pod.metadata.name.clone().unwrap_or_default();
            super::follow::follow(&conn, &ns, &name, opts).await
        }
        Found::App(app) => {
            let name = app.metadata.name.clone().unwrap_or_default();
            super::sparkapp_status::follow(&conn, &ns, &name, opts).await
        }
    }
}

pub async fn logs(args: LogsArgs) -> anyhow::Result<ExitCode> {
    let conn = args.target.connect().await?;
    let (ns, driver) = match driver_or_archive(&conn, &args).await? {
        LogSource::Live(ns, driver) => (ns, *driver),
        LogSource::Archived(archived) => {
            if args.since.is_some() || args.follow {
                errln!("kspark: note: archived logs are printed whole (--since and --follow apply to live pods)");
            }
            archived_logs::print(&args.id, &archived, args.executor.as_deref(), args.all_executors).await?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    let api: Api<Pod> = Api::namespaced(conn.client.clone(), &ns);
    let since_seconds = args
        .since
        .as_deref()
        .map(|s| kspark_config::time::parse_millis(s, "s").map(|ms| (ms / 1000) as i64))
        .transpose()
        .map_err(|e| hinted(format!("--since: {e}"), None, ExitStatus::Usage))?;
    let app_id = driver.metadata.labels.as_ref().and_then(|l| l.get(SPARK_APP_SELECTOR)).cloned().unwrap_or_default();
    let mut targets = Vec::new();
    if args.executor.is_none() {
        targets.push(driver.metadata.name.clone().unwrap_or_default());
    }
    if args.executor.is_some() || args.all_executors {
        let mut selector = executors_selector(&app_id);
        if let Some(id) = &args.executor {
            selector.push_str(&format!(",spark-exec-id={id}"));
        }
        let executors = api.list(&ListParams::default().labels(&selector)).await.map_err(|e| {
            crate::failure::cluster(kspark_kube::ClusterError::from_kube(format!("list executors of {app_id}"), e))
        })?;
        targets.extend(executors.items.into_iter().filter_map(|p| p.metadata.name));
    }
    let several = targets.len() > 1;
    for pod in targets {
        let container = spark_container(&api, &pod).await;
        let request = kspark_kube::logs::LogRequest { pod: pod.clone(), container, follow: args.follow, since_seconds };
        if several {
            outln!("==> {ns}:{pod} <==")?;
        }
        let reconnect = args.target.options();
        let mut out = crate::stdio::LineWriter::default();
        kspark_kube::logs::stream(&api, &request, Some(&reconnect), |line| out.line(line))
            .await
            .map_err(crate::failure::cluster)?;
        out.finish()?;
    }
    Ok(ExitCode::SUCCESS)
}

enum LogSource {
    Live(String, Box<Pod>),
    Archived(archived_logs::Archived),
}

/// The live driver pod, else — the pods being gone — the archive of the
/// application: the operator's `status.logArchive`, this machine's record of
/// `kspark submit --archive-logs`, then the newest below `--archive`.
async fn driver_or_archive(conn: &Connection, args: &LogsArgs) -> anyhow::Result<LogSource> {
    let not_live = match one_driver(conn, &args.id).await {
        Ok((ns, pod)) => return Ok(LogSource::Live(ns, Box::new(pod))),
        Err(e) => e,
    };
    let (ns, name) = split_id(&args.id, conn);
    if name.contains(['*', '?']) {
        return Err(not_live);
    }
    let from_status = sparkapps::find(&conn.client, &ns, name)
        .await
        .ok()
        .and_then(|apps| apps.into_iter().next())
        .and_then(|app| app.status?.log_archive)
        .filter(|record| record.archived_time.is_some())
        .map(|record| archived_logs::Archived { location: record.location, files: record.files });
    if let Some(archived) = from_status.or_else(|| archived_logs::recorded(&ns, name)) {
        return Ok(LogSource::Archived(archived));
    }
    if let Some(prefix) = &args.archive
        && let Some(archived) = archived_logs::below_prefix(prefix, &ns, name).await?
    {
        return Ok(LogSource::Archived(archived));
    }
    Err(not_live)
}

/// The Spark container is the pod's last one (sidecars come first).
async fn spark_container(api: &Api<Pod>, pod: &str) -> Option<String> {
    let pod = api.get(pod).await.ok()?;
    pod.spec?.containers.last().map(|c| c.name.clone())
}

/// `kspark events NS:NAME`: the Kubernetes events of the application's pods
/// (scheduling, image pulls, kills), oldest first.
pub async fn events(args: IdArgs) -> anyhow::Result<ExitCode> {
    let conn = args.target.connect().await?;
    let (ns, found) = targets(&conn, &args.id).await?;
    let first = found.into_iter().next().ok_or_else(|| hinted("no driver", None, ExitStatus::Failure))?;
    let (driver, operator_app) = match first {
        Found::Driver(pod) => (Some(*pod), None),
        // A SparkApplication without a driver yet still has its own events.
        Found::App(app) => (app_driver(&conn, &ns, &app).await, Some(*app)),
    };
    let app_id = driver
        .as_ref()
        .and_then(|d| d.metadata.labels.as_ref())
        .and_then(|l| l.get(SPARK_APP_SELECTOR))
        .cloned()
        .unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(conn.client.clone(), &ns);
    let mut names: Vec<String> = Vec::new();
    if !app_id.is_empty() {
        names = api
            .list(&ListParams::default().labels(&application_selector(&app_id)))
            .await
            .map(|l| l.items.into_iter().filter_map(|p| p.metadata.name).collect())
            .unwrap_or_default();
    }
    names.extend(driver.as_ref().and_then(|d| d.metadata.name.clone()));
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(conn.client.clone(), &ns);
    let mut list = events
        .list(&ListParams::default())
        .await
        .map_err(|e| crate::failure::cluster(kspark_kube::ClusterError::from_kube(format!("list events in {ns}"), e)))?
        .items;
    let app_name = operator_app.as_ref().and_then(|a| a.metadata.name.clone());
    list.retain(|e| {
        let involved = &e.involved_object;
        let of_app =
            app_name.is_some() && involved.kind.as_deref() == Some("SparkApplication") && involved.name == app_name;
        of_app
            || involved
                .name
                .as_ref()
                .is_some_and(|n| names.contains(n) && involved.kind.as_deref() != Some("SparkApplication"))
    });
    let time = |e: &k8s_openapi::api::core::v1::Event| {
        e.last_timestamp.as_ref().map(|t| t.0).or(e.event_time.as_ref().map(|t| t.0)).or(e
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0))
    };
    list.sort_by_key(|e| time(e));
    if let Some(format) = args.output.structured() {
        let items: Vec<serde_json::Value> = list
            .iter()
            .map(|e| {
                serde_json::json!({
                    "time": time(e).map(|t| t.to_string()), "type": e.type_, "reason": e.reason,
                    "object": e.involved_object.name, "message": e.message, "count": e.count,
                })
            })
            .collect();
        output::print_value(&serde_json::Value::Array(items), format)?;
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        let shown = driver.and_then(|d| d.metadata.name).or(app_name).unwrap_or_default();
        errln!("no events for {ns}:{shown} (events expire after an hour)");
    }
    for e in &list {
        outln!(
            "{}  {:<7} {:<18} {:<40} {}",
            time(e).map(|t| t.strftime("%H:%M:%S").to_string()).unwrap_or_default(),
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.involved_object.name.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default().trim()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
