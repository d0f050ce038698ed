//! `kspark operator run | install`: the SparkApplication operator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use kspark_operator::OperatorOptions;
use kspark_operator::archive::ArchiveSettings;
use kspark_operator::context::LifecycleOptions;
use kspark_operator::exposure::{ExposureOptions, Gateway, UrlTemplate};
use kspark_operator::install::{self, InstallSpec};
use kspark_operator::leader::LeaseSettings;
use kspark_operator::scheduled::Clock;
use kspark_operator::selector::Selector;
use kspark_sparkapp::batch_scheduler::BatchScheduler;

use crate::exit_status::ExitStatus;
use crate::failure::hinted;

#[derive(Args)]
pub struct OperatorArgs {
    #[command(subcommand)]
    command: OperatorCommand,
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Run the controller: reconcile SparkApplications (from a laptop with a
    /// kubeconfig, or in the cluster with its service account).
    Run(Box<RunArgs>),
    /// Server-side apply the CRDs, RBAC and a Deployment of the operator.
    Install(Box<InstallArgs>),
}

#[derive(Args)]
struct RunArgs {
    /// kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// kubeconfig context (default: the current one).
    #[arg(long)]
    context: Option<String>,
    /// Namespace to watch; repeat for several (default: all, or with
    /// --namespace-selector only the namespaces it selects).
    #[arg(short, long = "namespace")]
    namespaces: Vec<String>,
    /// Also reconcile the SparkApplications and ScheduledSparkApplications
    /// of namespaces whose labels match this selector, e.g. 'spark=enabled'
    /// or 'env in (prod,staging)' (kubeflow's flag). The labels are checked
    /// at each event: an application already there when its namespace gets
    /// the labels waits for its next change. Every namespace is watched, so
    /// the operator needs to list and watch namespaces and a ClusterRole.
    #[arg(long, value_name = "SELECTOR")]
    namespace_selector: Option<String>,
    /// Only SparkApplications matching this label selector (e.g. team=a).
    #[arg(long)]
    label_selector: Option<String>,
    /// The batch scheduler of applications whose spec.batchScheduler is
    /// unset or empty, as if they named it (kubeflow's flag; default: none).
    #[arg(long, value_name = "NAME", value_parser = PossibleValuesParser::new(BatchScheduler::NAMES))]
    default_batch_scheduler: Option<String>,
    /// Applications reconciled at the same time.
    #[arg(long, default_value_t = 64)]
    concurrency: u16,
    /// Serve /healthz, /readyz and /metrics here (e.g. 0.0.0.0:8080).
    #[arg(long)]
    metrics_addr: Option<SocketAddr>,
    /// Elect a leader with a Lease, so several replicas can run.
    #[arg(long)]
    leader_elect: bool,
    /// Namespace of the Lease (default: POD_NAMESPACE, else default).
    #[arg(long)]
    lease_namespace: Option<String>,
    /// Name of the Lease.
    #[arg(long, default_value = "kspark-operator-lock")]
    lease_name: String,
    /// Seconds a leader's lease lasts without renewal.
    #[arg(long, default_value_t = 15)]
    lease_duration: u64,
    /// Fail an application whose driver is not running this long after
    /// submission (e.g. 10m), with the reason it is stuck.
    #[arg(long)]
    driver_start_deadline: Option<String>,
    /// Fail an application whose driver runs this long without any running executor.
    #[arg(long)]
    executor_start_deadline: Option<String>,
    /// Delete finished applications after this many seconds unless they set
    /// spec.timeToLiveSeconds (0: keep them).
    #[arg(long, default_value_t = 0)]
    default_ttl_seconds: i64,
    /// How long a submitted application may lack its driver pod before it fails.
    #[arg(long, default_value = "10s")]
    driver_pod_creation_grace: String,
    /// Executors tracked in status.executorState per application.
    #[arg(long, default_value_t = 1000)]
    max_tracked_executors: usize,
    /// Do not check quotas, LimitRanges and the service account before creating a driver.
    #[arg(long)]
    skip_preflight: bool,
    /// --master for submissions (default: the API server the operator uses;
    /// in the cluster: KUBERNETES_SERVICE_HOST:PORT, as kubeflow).
    #[arg(long)]
    master: Option<String>,
    /// Which Kubernetes Events to publish: all (kubeflow's: submitted,
    /// running, completed, failures) or warnings (failures and waits only;
    /// saves the API server a write per transition).
    #[arg(long, default_value = "all", value_parser = ["all", "warnings"])]
    events: String,
    /// How precisely a ScheduledSparkApplication's run names carry their
    /// scheduled time (kubeflow's flag): nanos, micros, millis, seconds or minutes.
    #[arg(long, default_value = "nanos", value_parser = ["nanos", "micros", "millis", "seconds", "minutes"])]
    scheduled_spark_application_timestamp_precision: String,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
    /// Create a Service <app>-ui-svc for each driver's Spark UI and record it
    /// in status.driverInfo (kubeflow's flag).
    #[arg(long)]
    enable_ui_service: bool,
    /// With --enable-ui-service: publish each UI at this URL through an
    /// Ingress (or an HTTPRoute with --gateway); {{$appName}},
    /// {{$appNamespace}} and {{$appId}} are filled in, e.g.
    /// 'spark.example.com/{{$appNamespace}}/{{$appName}}' (kubeflow's flag).
    #[arg(long, value_name = "TEMPLATE", requires = "enable_ui_service")]
    ingress_url_format: Option<String>,
    /// ingressClassName of the Ingresses created.
    #[arg(long, value_name = "NAME")]
    ingress_class_name: Option<String>,
    /// Default TLS of the Ingresses, as JSON, e.g.
    /// '[{"hosts":["*.example.com"],"secretName":"tls"}]' (an application's
    /// sparkUIOptions.ingressTLS replaces it).
    #[arg(long, value_name = "JSON")]
    ingress_tls: Option<String>,
    /// Default annotations of the Ingresses, as a JSON object (an
    /// application's ingressAnnotations replace them).
    #[arg(long, value_name = "JSON")]
    ingress_annotations: Option<String>,
    /// Create Gateway API HTTPRoutes attached to this Gateway instead of
    /// Ingresses ([NAMESPACE/]NAME).
    #[arg(long, value_name = "GATEWAY")]
    gateway: Option<String>,
    /// With --gateway: the Gateway's listener (the routes' sectionName).
    #[arg(long, value_name = "NAME", requires = "gateway")]
    gateway_listener: Option<String>,
    /// Create a PodDisruptionBudget (minAvailable 1) for the driver of each
    /// application that sets spec.driverPodDisruptionBudget: true, while it
    /// runs, so that a drain cannot evict it (kubeflow's flag).
    #[arg(long)]
    enable_driver_pdb: bool,
    /// Archive each finished application's driver log to
    /// PREFIX/NAMESPACE/APP/SUBMISSION-ID/driver.log before its TTL may delete
    /// it (abfss://, s3a://, gs:// or file://; credentials from the
    /// environment, as uploads); recorded in status.logArchive.
    #[arg(long, value_name = "URI_PREFIX")]
    archive_logs: Option<String>,
    /// With --archive-logs: also the executors' logs (executor-ID.log) whose
    /// pods are still there.
    #[arg(long, requires = "archive_logs")]
    archive_executor_logs: bool,
    /// With --archive-logs: give one archiving attempt this long (e.g. 2m).
    #[arg(long, default_value = "60s", requires = "archive_logs")]
    archive_timeout: String,
}

#[derive(Args)]
struct InstallArgs {
    #[command(flatten)]
    target: super::auth::Target,
    /// Namespace of the operator.
    #[arg(short, long, default_value = "kspark-system")]
    namespace: String,
    /// The operator's image (see deploy/Containerfile).
    #[arg(long, default_value = concat!("ghcr.io/kspark/kspark:", env!("CARGO_PKG_VERSION")))]
    image: String,
    /// Replicas (they elect a leader).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(0..))]
    replicas: i32,
    /// Namespace the operator watches; repeat for several (default: all).
    #[arg(long = "watch-namespace")]
    watch_namespaces: Vec<String>,
    /// The operator's --namespace-selector: also the namespaces whose labels
    /// match it (then with a ClusterRole, which may list and watch namespaces).
    #[arg(long, value_name = "SELECTOR")]
    namespace_selector: Option<String>,
    /// The operator's --label-selector: only SparkApplications matching it.
    #[arg(long)]
    label_selector: Option<String>,
    /// The operator's --default-batch-scheduler: the batch scheduler of
    /// applications that name none.
    #[arg(long, value_name = "NAME", value_parser = PossibleValuesParser::new(BatchScheduler::NAMES))]
    default_batch_scheduler: Option<String>,
    /// The operator's --enable-ui-service: a Service <app>-ui-svc for each
    /// driver's Spark UI, recorded in the application's status.
    #[arg(long)]
    enable_ui_service: bool,
    /// The operator's --enable-driver-pdb: a PodDisruptionBudget over the
    /// driver of applications with spec.driverPodDisruptionBudget.
    #[arg(long)]
    enable_driver_pdb: bool,
    /// The operator's --concurrency: applications reconciled at the same time.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// The operator's --events: all or warnings.
    #[arg(long, default_value = "all", value_parser = ["all", "warnings"])]
    events: String,
    /// The operator's log format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Only the CRDs.
    #[arg(long)]
    crds_only: bool,
    /// Leave out the ValidatingAdmissionPolicy that refuses invalid
    /// SparkApplications at `kubectl apply` (it needs Kubernetes 1.30+;
    /// without it the operator fails them after they are created).
    #[arg(long)]
    no_admission_policy: bool,
    /// Print the objects instead of applying them.
    #[arg(long)]
    dry_run: bool,
    /// Output format of --dry-run.
    #[arg(short, long, value_enum, default_value_t)]
    output: crate::output::ObjectFormat,
}

pub async fn run(args: OperatorArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        OperatorCommand::Run(run) => run_operator(*run).await,
        OperatorCommand::Install(install) => install_operator(*install).await,
    }
}

async fn run_operator(args: RunArgs) -> anyhow::Result<ExitCode> {
    init_logs(args.log_json);
    // Flags first: a mistake in them is reported before any connection.
    let options = operator_options(&args)?;
    let config = kube_config(&args).await?;
    let api_url = config.cluster_url.to_string();
    let client = kspark_kube::connect::client_from_config(config).map_err(|e| {
        let hint = e.hint();
        hinted(format!("cannot build a client: {e}"), hint, ExitStatus::Failure)
    })?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping: finishing the reconciles in flight");
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => futures::future::pending::<()>().await,
        }
        tracing::info!("SIGTERM: finishing the reconciles in flight");
    };
    let stop = async move {
        tokio::select! { _ = shutdown => {}, _ = terminate => {} }
    };
    kspark_operator::run(client, &api_url, options, stop).await.map_err(|e| hinted(e, None, ExitStatus::Failure))?;
    Ok(ExitCode::SUCCESS)
}

/// kube-rs's configuration (it renews exec-plugin and projected
/// service-account tokens, which a long-running operator needs; kubelogin
/// users kspark serves itself get refreshed Entra ID tokens instead).
async fn kube_config(args: &RunArgs) -> anyhow::Result<kube::Config> {
    let options = kube::config::KubeConfigOptions { context: args.context.clone(), ..Default::default() };
    let config = match &args.kubeconfig {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| hinted(format!("{}: {e}", path.display()), None, ExitStatus::Usage))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options).await
        }
        None if args.context.is_some() => kube::Config::from_kubeconfig(&options).await,
        None => kube::Config::infer().await.map_err(|e| {
            kube::config::KubeconfigError::ReadConfig(std::io::Error::other(e.to_string()), PathBuf::new())
        }),
    };
    config.map_err(|e| {
        hinted(
            format!("no cluster to talk to: {e}"),
            Some("pass --kubeconfig, set KUBECONFIG, or run in a pod".into()),
            ExitStatus::Failure,
        )
    })
}

fn operator_options(args: &RunArgs) -> anyhow::Result<OperatorOptions> {
    let duration = |flag: &str, text: &str| {
        kspark_config::time::parse_millis(text, "s")
            .map(Duration::from_millis)
            .map_err(|e| hinted(format!("{flag}: {e}"), None, ExitStatus::Usage))
    };
    let optional = |flag: &str, text: &Option<String>| text.as_deref().map(|t| duration(flag, t)).transpose();
    let lease = args.leader_elect.then(|| LeaseSettings {
        name: args.lease_name.clone(),
        namespace: args
            .lease_namespace
            .clone()
            .or_else(|| std::env::var("POD_NAMESPACE").ok())
            .unwrap_or_else(|| "default".into()),
        identity: std::env::var("POD_NAME").unwrap_or_else(|_| format!("kspark-{}", uuid::Uuid::new_v4().simple())),
        duration_seconds: args.lease_duration.max(2),
        grace_seconds: (args.lease_duration / 3).max(1),
    });
    Ok(OperatorOptions {
        namespaces: args.namespaces.clone(),
        namespace_selector: namespace_selector(&args.namespace_selector)?,
        label_selector: args.label_selector.clone(),
        concurrency: args.concurrency.max(1),
        metrics_addr: args.metrics_addr,
        lease,
        lifecycle: LifecycleOptions {
            driver_pod_creation_grace: duration("--driver-pod-creation-grace", &args.driver_pod_creation_grace)?,
            driver_start_deadline: optional("--driver-start-deadline", &args.driver_start_deadline)?,
            executor_start_deadline: optional("--executor-start-deadline", &args.executor_start_deadline)?,
            default_ttl_seconds: args.default_ttl_seconds,
            max_tracked_executors: args.max_tracked_executors,
            preflight: !args.skip_preflight,
            exposure: exposure_options(args)?,
            enable_driver_pdb: args.enable_driver_pdb,
            default_batch_scheduler: args.default_batch_scheduler.as_deref().and_then(BatchScheduler::named),
        },
        master_url: args.master.clone().or_else(in_cluster_master),
        spark_user: "spark".into(),
        normal_events: args.events == "all",
        archive_logs: archive_settings(args, duration("--archive-timeout", &args.archive_timeout)?)?,
        clock: schedule_clock(),
        run_name_precision: args.scheduled_spark_application_timestamp_precision.parse().map_err(|e| {
            hinted(format!("--scheduled-spark-application-timestamp-precision {e}"), None, ExitStatus::Usage)
        })?,
    })
}

/// `--namespace-selector`, refused at start-up when Kubernetes would refuse
/// it (as kubeflow's operator refuses to start); empty is none, as in kubeflow.
fn namespace_selector(text: &Option<String>) -> anyhow::Result<Option<Selector>> {
    let Some(text) = text.as_deref().filter(|t| !t.is_empty()) else { return Ok(None) };
    let selector = Selector::parse(text).map_err(|e| {
        hinted(
            format!("--namespace-selector: {e}"),
            Some("e.g. 'spark=enabled', 'spark-operator=enabled,env in (prod,staging)' or '!legacy'".into()),
            ExitStatus::Usage,
        )
    })?;
    Ok(Some(selector))
}

/// The UI and port exposure flags, each checked here with its name.
fn exposure_options(args: &RunArgs) -> anyhow::Result<ExposureOptions> {
    let url_format = args.ingress_url_format.as_deref().map(UrlTemplate::parse).transpose().map_err(|e| {
        hinted(format!("--ingress-url-format: {e}"), Some(URL_FORMAT_EXAMPLE.into()), ExitStatus::Usage)
    })?;
    let default_tls = match &args.ingress_tls {
        None => Vec::new(),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            hinted(
                format!("--ingress-tls: {e}"),
                Some(r#"e.g. '[{"hosts":["*.example.com"],"secretName":"tls"}]'"#.into()),
                ExitStatus::Usage,
            )
        })?,
    };
    let default_annotations = match &args.ingress_annotations {
        None => Default::default(),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            hinted(
                format!("--ingress-annotations: {e}"),
                Some(r#"e.g. '{"cert-manager.io/cluster-issuer":"letsencrypt"}'"#.into()),
                ExitStatus::Usage,
            )
        })?,
    };
    let gateway =
        args.gateway.as_deref().map(|g| Gateway::parse(g, args.gateway_listener.clone())).transpose().map_err(|e| {
            hinted(format!("--gateway: {e}"), Some("e.g. --gateway infra/public".into()), ExitStatus::Usage)
        })?;
    Ok(ExposureOptions {
        ui_service: args.enable_ui_service,
        url_format,
        ingress_class: args.ingress_class_name.clone(),
        default_tls,
        default_annotations,
        gateway,
    })
}

const URL_FORMAT_EXAMPLE: &str =
    "e.g. 'spark.example.com/{{$appNamespace}}/{{$appName}}' or '{{$appName}}.spark.example.com'";

/// `--archive-logs`: refused here when the URI cannot be a store.
fn archive_settings(args: &RunArgs, timeout: Duration) -> anyhow::Result<Option<ArchiveSettings>> {
    let Some(prefix) = &args.archive_logs else { return Ok(None) };
    kspark_storage::Location::parse(prefix).map_err(|e| {
        hinted(
            format!("--archive-logs: {e}"),
            Some("e.g. abfss://logs@ACCOUNT.dfs.core.windows.net/spark".into()),
            ExitStatus::Usage,
        )
    })?;
    Ok(Some(ArchiveSettings {
        prefix: prefix.clone(),
        executors: args.archive_executor_logs,
        timeout,
        env: std::env::vars().collect(),
    }))
}

/// The clock schedules are read against: the system's, or (for tests that
/// move time) the system's plus the offset held in KSPARK_OPERATOR_CLOCK_FILE.
fn schedule_clock() -> Clock {
    match std::env::var_os("KSPARK_OPERATOR_CLOCK_FILE") {
        Some(path) if !path.is_empty() => Clock::OffsetFile(path.into()),
        _ => Clock::System,
    }
}

/// In a pod: the API server as Spark's driver will see it (kubeflow's GetMasterURL).
fn in_cluster_master() -> Option<String> {
    let host = std::env::var("KUBERNETES_SERVICE_HOST").ok()?;
    let port = std::env::var("KUBERNETES_SERVICE_PORT").ok()?;
    Some(kspark_sparkapp::submit::master_url(&host, &port))
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube_runtime=warn,kube_client=warn"));
    // Colour only for a person at a terminal: a log file or collector would
    // get escape codes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

async fn install_operator(args: InstallArgs) -> anyhow::Result<ExitCode> {
    // An operator installed with a selector it refuses would never start.
    let namespace_selector = namespace_selector(&args.namespace_selector)?.map(|s| s.as_str().to_string());
    let spec = InstallSpec {
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        replicas: args.replicas,
        watch_namespaces: args.watch_namespaces.clone(),
        namespace_selector,
        label_selector: args.label_selector.clone(),
        default_batch_scheduler: args.default_batch_scheduler.clone(),
        ui_service: args.enable_ui_service,
        driver_pdb: args.enable_driver_pdb,
        concurrency: args.concurrency,
        events: args.events.clone(),
        log_json: args.log_format == "json",
        crds_only: args.crds_only,
        admission_policy: !args.no_admission_policy,
    };
    let objects = install::objects(&spec);
    if args.dry_run {
        let values: Vec<serde_json::Value> = objects.iter().map(|o| o.to_json()).collect();
        crate::output::print_documents(&values, args.output)?;
        return Ok(ExitCode::SUCCESS);
    }
    let connection = args.target.connect().await?;
    let applied = install::apply(&connection.client, &objects).await.map_err(|e| {
        let hint = e.hint().or_else(|| admission_policy_hint(&e));
        hinted(e, hint, ExitStatus::Failure)
    })?;
    for line in applied {
        errln!("kspark: applied {line}");
    }
    if !args.crds_only {
        errln!(
            "kspark: the operator runs in namespace {}; follow it with `kubectl -n {} logs deploy/kspark-operator`",
            args.namespace,
            args.namespace
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Clusters older than Kubernetes 1.30 serve no ValidatingAdmissionPolicy
/// (404); the rest of the install works there without it.
fn admission_policy_hint(e: &kspark_kube::ClusterError) -> Option<String> {
    (e.is_not_found() && e.to_string().contains("ValidatingAdmissionPolicy")).then(|| {
        "this cluster has no admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (Kubernetes 1.30+); \
         run again with --no-admission-policy (the operator still fails invalid applications)"
            .into()
    })
}
