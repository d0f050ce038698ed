//! `kspark connect [NS:]NAME`: a Spark Connect server for notebooks. Uses
//! the SparkConnect NAME, or makes one from flags (after the doctor's
//! checks), waits until it is ready, then forwards a local port to it
//! through the API server and prints `sc://127.0.0.1:PORT` alone on stdout.
//!
//! Layout: [`spec`] (flags → SparkConnect, through submit's preparation),
//! [`session`] (waiting, the forward's target, the idle clock).

mod session;
mod spec;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use kspark_kube::connect_server::{self, ServerObjects};
use kspark_kube::port_forward::ForwardTarget;
use kspark_kube::port_forward::{self, Activity};
use kspark_kube::{ClusterError, Connection};
use kspark_sparkapp::SparkConnect;
use kspark_sparkapp::connect::names::{self, SERVER_PORT};
use kube::Client;

use super::args::parse_submit_args;
use super::auth::Target;
use super::prepare::Prepared;
use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output::ObjectFormat;
use session::{Server, ServerTarget};
pub use spec::ServerFlags;

/// The API server as a pod sees it: the server pod's shell expands it.
const IN_POD_MASTER: &str = "k8s://https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT";

#[derive(Args)]
pub struct ConnectArgs {
    /// [NAMESPACE:]NAME of the SparkConnect (default namespace: the context's).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub server: ServerFlags,
    /// Local port on 127.0.0.1 (default: any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Delete the server once no client has been connected for this long
    /// (e.g. 30m; a bare number is seconds). Only a server kspark connect made.
    #[arg(long, value_name = "DURATION")]
    pub idle_timeout: Option<String>,
    /// How long to wait for the server to be ready (default 10m).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Print the SparkConnect that would be created; create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: yaml or json.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: ObjectFormat,
    /// Delete the SparkConnect (or the server --no-operator made) and exit.
    #[arg(long, conflicts_with_all = ["dry_run", "idle_timeout"])]
    pub delete: bool,
    /// No operator in the cluster: kspark makes the server pod, its
    /// ConfigMap and Service itself (owned by the pod), as submit makes a driver.
    #[arg(long)]
    pub no_operator: bool,
}

pub async fn run(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let idle_timeout = duration("--idle-timeout", args.idle_timeout.as_deref())?;
    let timeout = duration("--timeout", args.timeout.as_deref())?.unwrap_or(Duration::from_secs(600));
    // A wrong name is refused before anything is asked of the cluster.
    let (ns, name) = split_id(&args.id)?;
    let conn = args.target.connect().await?;
    let ns = ns.unwrap_or_else(|| conn.kubeconfig_namespace.clone().unwrap_or_else(|| "default".into()));
    let server = Server { namespace: ns.clone(), name: name.clone(), managed: !args.no_operator };
    if args.delete {
        return delete(&conn, &server).await;
    }
    let existing = existing(&conn, &server).await?;
    if args.dry_run || existing.is_none() {
        let connect = from_flags(&args, &conn, &server).await?;
        if args.dry_run {
            crate::output::print_value(&serde_json::to_value(&connect)?, args.output)?;
            return Ok(ExitCode::SUCCESS);
        }
        create(&conn, &server, &connect).await?;
    } else if has_server_flags(&args.server) {
        errln!(
            "kspark: note: {ns}:{name} exists; the server flags are ignored (`kspark connect --delete {ns}:{name}` first to change them)"
        );
    }
    let ours = made_by_kspark(&conn, &server).await?;
    if idle_timeout.is_some() && !ours {
        errln!("kspark: note: {ns}:{name} was not made by kspark connect; --idle-timeout will not delete it");
    }
    session::wait_ready(&conn, &server, timeout).await?;
    forward(args.port, &args.target, conn, server, idle_timeout.filter(|_| ours)).await
}

fn duration(flag: &str, text: Option<&str>) -> anyhow::Result<Option<Duration>> {
    text.map(|t| kspark_config::time::parse_millis(t, "s").map(Duration::from_millis))
        .transpose()
        .map_err(|e| hinted(format!("{flag}: {e}"), None, ExitStatus::Usage))
}

/// `NS:NAME` or `NAME` (then the context's namespace, else `default`).
fn split_id(id: &str) -> anyhow::Result<(Option<String>, String)> {
    let (ns, name) = match id.split_once(':') {
        Some((ns, name)) if !ns.is_empty() => (Some(ns.to_string()), name.to_string()),
        Some((_, name)) => (None, name.to_string()),
        None => (None, id.to_string()),
    };
    if kspark_manifests::names::is_dns_label(&format!("{name}-server")) {
        return Ok((ns, name));
    }
    Err(hinted(
        format!("`{name}` is not a valid SparkConnect name"),
        Some(
            "use lower-case letters, digits and '-', at most 56 characters (it names the server pod NAME-server)"
                .into(),
        ),
        ExitStatus::Usage,
    ))
}

fn has_server_flags(flags: &ServerFlags) -> bool {
    flags.executors.is_some()
        || flags.executor_memory.is_some()
        || flags.executor_cores.is_some()
        || flags.server_memory.is_some()
        || flags.server_cores.is_some()
        || flags.image.is_some()
        || !flags.conf.is_empty()
        || flags.properties_file.is_some()
}

/// What is there already: the SparkConnect, or a --no-operator server pod.
async fn existing(conn: &Connection, server: &Server) -> anyhow::Result<Option<()>> {
    let found = if server.managed {
        connect_server::get_connect(&conn.client, &server.namespace, &server.name).await.map(|c| c.map(|_| ()))
    } else {
        connect_server::server_pod(&conn.client, &server.namespace, &server.name).await.map(|p| p.map(|_| ()))
    };
    found.map_err(crate::failure::cluster)
}

/// The SparkConnect the flags describe, after the doctor's checks of the
/// equivalent driver (quota, LimitRange, service account, image).
async fn from_flags(args: &ConnectArgs, conn: &Connection, server: &Server) -> anyhow::Result<SparkConnect> {
    let line = spec::submit_line(&args.server, &server.namespace, &server.name, &conn.api_url);
    let submit_args = parse_submit_args(&line, "kspark connect --help")?;
    let mut prepared = Prepared::resolve(submit_args)?;
    spec::default_service_account(&mut prepared.submission.conf);
    let built = prepared.build(true)?;
    let (version, _) = built.plan()?;
    let connect = spec::spark_connect(&server.name, &server.namespace, &built.prepared.submission.conf, &version)
        .map_err(|e| hinted(e, None, ExitStatus::Usage))?;
    if !args.dry_run {
        super::submit::run_preflight(conn, &built).await?;
    }
    Ok(connect)
}

async fn create(conn: &Connection, server: &Server, connect: &SparkConnect) -> anyhow::Result<()> {
    let Server { namespace: ns, name, .. } = server;
    if !server.managed {
        let objects = ServerObjects::build(connect, IN_POD_MASTER).map_err(|e| hinted(e, None, ExitStatus::Usage))?;
        let mut objects = objects;
        let annotations = objects.pod.metadata.annotations.get_or_insert_with(Default::default);
        annotations.insert(spec::CREATED_BY.into(), spec::CREATED_BY_CONNECT.into());
        connect_server::create_unmanaged(&conn.client, &objects).await.map_err(crate::failure::cluster)?;
        errln!("kspark: created server pod {ns}:{} (no operator)", names::server_pod_name(connect));
        return Ok(());
    }
    if !connect_server::has_connect_crd(&conn.client, ns).await.map_err(crate::failure::cluster)? {
        return Err(hinted(
            "this cluster has no SparkConnect resource (no operator installed)",
            Some(
                "add --no-operator to run the server without one, or install the operator (`kspark operator install`)"
                    .into(),
            ),
            ExitStatus::Failure,
        ));
    }
    connect_server::create_connect(&conn.client, connect).await.map_err(crate::failure::cluster)?;
    errln!("kspark: created SparkConnect {ns}:{name}");
    Ok(())
}

/// Whether kspark connect made the server (so --idle-timeout may delete it).
async fn made_by_kspark(conn: &Connection, server: &Server) -> anyhow::Result<bool> {
    let annotations = if server.managed {
        let connect = connect_server::get_connect(&conn.client, &server.namespace, &server.name).await;
        connect.map_err(crate::failure::cluster)?.and_then(|c| c.metadata.annotations)
    } else {
        let pod = connect_server::server_pod(&conn.client, &server.namespace, &server.name).await;
        pod.map_err(crate::failure::cluster)?.and_then(|p| p.metadata.annotations)
    };
    Ok(annotations.is_some_and(|a| a.get(spec::CREATED_BY).map(String::as_str) == Some(spec::CREATED_BY_CONNECT)))
}

async fn delete(conn: &Connection, server: &Server) -> anyhow::Result<ExitCode> {
    let deleted = delete_server(&conn.client, server).await.map_err(crate::failure::cluster)?;
    deleted_or_not(server, deleted)
}

/// Deletes the SparkConnect, or the server pod `--no-operator` made; false
/// when there was none.
async fn delete_server(client: &Client, server: &Server) -> Result<bool, ClusterError> {
    let Server { namespace: ns, name, .. } = server;
    if server.managed {
        return connect_server::delete_connect(client, ns, name).await;
    }
    match connect_server::server_pod(client, ns, name).await?.and_then(|p| p.metadata.name) {
        Some(pod) => connect_server::delete_unmanaged(client, ns, &pod).await,
        None => Ok(false),
    }
}

fn deleted_or_not(server: &Server, deleted: bool) -> anyhow::Result<ExitCode> {
    let Server { namespace: ns, name, .. } = server;
    if deleted {
        errln!("kspark: deleted {ns}:{name}; Kubernetes removes its server and executors");
        return Ok(ExitCode::SUCCESS);
    }
    let other = if server.managed { "--no-operator" } else { "without --no-operator" };
    Err(hinted(
        format!("no Spark Connect server {ns}:{name}"),
        Some(format!("was it made {other}?")),
        ExitStatus::Failure,
    ))
}

/// After hours of forwarding the first token may have expired: deletes
/// with the forward's current client, and a fresh one if that is refused.
async fn delete_when_idle(target: &ServerTarget, server: &Server) -> anyhow::Result<ExitCode> {
    let fresh = |refresh| async move { target.client(refresh).await.map_err(|e| hinted(e, None, ExitStatus::Failure)) };
    let deleted = match delete_server(&fresh(false).await?, server).await {
        Err(ClusterError::Unauthorized { .. }) => delete_server(&fresh(true).await?, server).await,
        other => other,
    };
    deleted_or_not(server, deleted.map_err(crate::failure::cluster)?)
}

/// Forwards until Ctrl-C, or until idle for `idle_timeout` (then deletes).
async fn forward(
    port: Option<u16>,
    target: &Target,
    conn: Connection,
    server: Server,
    idle_timeout: Option<Duration>,
) -> anyhow::Result<ExitCode> {
    let listener = port_forward::bind(port).await.map_err(|e| {
        let port = port.map_or("a free port".to_string(), |p| p.to_string());
        hinted(
            format!("cannot listen on 127.0.0.1:{port}: {e}"),
            Some("choose another with --port".into()),
            ExitStatus::Failure,
        )
    })?;
    let local = listener.local_addr()?;
    outln!("sc://127.0.0.1:{}", local.port())?;
    errln!(
        "kspark: forwarding 127.0.0.1:{} to the Spark Connect server {}:{} (port {SERVER_PORT}); Ctrl-C to stop",
        local.port(),
        server.namespace,
        server.name
    );
    let activity = Activity::new();
    let forward_target = Arc::new(ServerTarget::new(target.options(), conn.client.clone(), server.clone()));
    let target_for_delete = forward_target.clone();
    let idle = async {
        match idle_timeout {
            Some(timeout) => session::idle_for(activity.clone(), timeout).await,
            None => std::future::pending().await,
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(port_forward::serve(listener, forward_target, SERVER_PORT, activity.clone(), async {
        let _ = stopped.await;
    }));
    let code = tokio::select! {
        () = idle => {
            errln!("kspark: no client for {}; deleting {}:{}", idle_timeout.map(|d| format!("{d:?}")).unwrap_or_default(), server.namespace, server.name);
            let _ = stop.send(());
            delete_when_idle(&target_for_delete, &server).await?
        }
        _ = tokio::signal::ctrl_c() => {
            let _ = stop.send(());
            errln!("kspark: stopped forwarding; the server keeps running (`kspark connect --delete {}:{}` removes it)", server.namespace, server.name);
            ExitStatus::Interrupted.into()
        }
    };
    let _ = serving.await;
    Ok(code)
}
