//! `kspark ui NS:NAME`: the running driver's Spark UI on a local port,
//! through the API server's pod proxy (no kubectl, no port-forward).

use std::process::ExitCode;

use clap::Args;
use k8s_openapi::api::core::v1::Pod;
use kspark_kube::ui_forward::{self, DEFAULT_UI_PORT, UiTarget};
use kspark_kube::wait::{self, DriverStatus};
use kube::Api;

use super::auth::Target;
use crate::exit_status::ExitStatus;
use crate::failure::hinted;

#[derive(Args)]
pub struct UiArgs {
    /// NAMESPACE:NAME (driver pod, app name or SparkApplication).
    pub id: String,
    #[command(flatten)]
    pub target: Target,
    /// Local port on 127.0.0.1 (default: 4040 if free, else any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Only print the URL; do not open a browser.
    #[arg(long)]
    pub no_browser: bool,
}

pub async fn run(args: UiArgs) -> anyhow::Result<ExitCode> {
    let conn = args.target.connect().await?;
    let (ns, driver) = super::apps::one_driver(&conn, &args.id).await?;
    let pod = driver.metadata.name.clone().unwrap_or_default();
    let status = DriverStatus::of(&driver);
    if status.is_terminal() {
        return Err(hinted(
            format!("driver {ns}:{pod} has ended ({}); its UI went with it", status.phase),
            Some(format!(
                "its logs remain: `kspark logs {ns}:{pod}`; for finished applications use a Spark history server"
            )),
            ExitStatus::Failure,
        ));
    }
    let target = UiTarget { namespace: ns.clone(), pod: pod.clone(), port: ui_port(&driver) };
    let listener = ui_forward::bind(args.port).await.map_err(|e| {
        let port = args.port.map_or("a free port".to_string(), |p| p.to_string());
        hinted(
            format!("cannot listen on 127.0.0.1:{port}: {e}"),
            Some("choose another with --port".into()),
            ExitStatus::Failure,
        )
    })?;
    let url = ui_forward::local_url(listener.local_addr()?);
    outln!("{url}")?;
    errln!(
        "kspark: forwarding {url} to the Spark UI of {ns}:{pod} (port {}) through the API server; Ctrl-C to stop",
        target.port
    );
    if !args.no_browser {
        open_browser(&url);
    }
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), &ns);
    tokio::select! {
        () = ui_forward::serve(listener, conn.client.clone(), target) => Ok(ExitCode::SUCCESS),
        ended = wait::wait_for_driver(&pods, &pod, |_| {}) => {
            match ended.map_err(crate::failure::cluster)? {
                wait::Outcome::Finished(s) => errln!("kspark: driver {ns}:{pod} ended ({}); UI closed", s.phase),
                wait::Outcome::Deleted => errln!("kspark: driver {ns}:{pod} was deleted; UI closed"),
            }
            Ok(ExitCode::SUCCESS)
        }
        _ = tokio::signal::ctrl_c() => Ok(ExitStatus::Interrupted.into()),
    }
}

/// The driver container's `spark-ui` port (Spark names it so, from
/// spark.ui.port), else Spark's default.
fn ui_port(driver: &Pod) -> u16 {
    let containers = driver.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some("spark-ui"))
        .and_then(|p| u16::try_from(p.container_port).ok())
        .unwrap_or(DEFAULT_UI_PORT)
}

/// Best effort: the URL is printed whatever happens here.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        errln!("kspark: no browser opened ({opener} not found); open {url} yourself");
    }
}
