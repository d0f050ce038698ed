//! `kspark-testcluster`: build the control-plane binaries, or run a test
//! cluster in the foreground for manual work with kubectl or kspark.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kspark_testcluster::{StartOptions, TestCluster, TestUser, default_build_script, run_build_script};

#[derive(Debug, Parser)]
#[command(
    name = "kspark-testcluster",
    version,
    about = "A throw-away Kubernetes control plane on 127.0.0.1 for kspark's tests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build (or find in the cache) etcd and the Kubernetes binaries; print their directory.
    Build,
    /// Start the cluster and keep it up until Ctrl-C or SIGTERM.
    Up {
        /// Run directory (kept afterwards); default: a fresh temporary one.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Directory with ready binaries (default: $KSPARK_CONTROL_PLANE_BIN, else build).
        #[arg(long)]
        bin_dir: Option<PathBuf>,
        /// Do not start the simulated node.
        #[arg(long)]
        no_fake_node: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build => build(),
        Command::Up { dir, bin_dir, no_fake_node } => {
            up(StartOptions { run_dir: dir, bin_dir, fake_node: !no_fake_node, ..StartOptions::default() })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kspark-testcluster: {e}");
            ExitCode::FAILURE
        }
    }
}

fn build() -> Result<(), Box<dyn std::error::Error>> {
    let bin_dir = run_build_script(&default_build_script())?;
    println!("{}", bin_dir.display());
    Ok(())
}

fn up(opts: StartOptions) -> Result<(), Box<dyn std::error::Error>> {
    eprintln!(
        "kspark-testcluster: starting (without KSPARK_CONTROL_PLANE_BIN or --bin-dir, a first run builds the binaries: 10-20 minutes)"
    );
    let mut cluster = TestCluster::start(opts)?;
    print_summary(&cluster);
    let outcome = wait_for_stop(&cluster);
    cluster.stop();
    eprintln!("kspark-testcluster: stopped every process");
    outcome
}

fn print_summary(cluster: &TestCluster) {
    let total = cluster.startup_phases().iter().find(|(name, _)| *name == "total").map(|(_, d)| *d).unwrap_or_default();
    eprintln!(
        "kspark-testcluster: ready in {:.1}s at {} (run dir {})",
        total.as_secs_f64(),
        cluster.server_url(),
        cluster.run_dir().display()
    );
    println!("admin kubeconfig: {}", cluster.kubeconfig(TestUser::Admin).display());
    for user in TestUser::ALL.into_iter().filter(|u| *u != TestUser::Admin) {
        println!("{user} kubeconfig: {}", cluster.kubeconfig(user).display());
    }
    println!("export KUBECONFIG={}", cluster.kubeconfig(TestUser::Admin).display());
}

/// Waits for Ctrl-C or SIGTERM; fails early if a process dies.
fn wait_for_stop(cluster: &TestCluster) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut check = tokio::time::interval(Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(()),
                _ = term.recv() => return Ok(()),
                _ = check.tick() => cluster.check_alive()?,
            }
        }
    })
}
