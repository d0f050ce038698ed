//! `kspark-testcluster`: build the control-plane binaries, run a test
//! cluster in the foreground for manual work with kubectl or kspark, or run
//! the recording stand-in API endpoint (serve, record a client, normalize,
//! compare).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kspark_testcluster::recorder::{self, Recorder, RecorderOptions, compare::Comparison};
use kspark_testcluster::{StartOptions, TestCluster, TestUser, default_build_script, run_build_script};

#[derive(Debug, Parser)]
#[command(
    name = "kspark-testcluster",
    version,
    about = "kspark's test tools: a throw-away Kubernetes control plane on 127.0.0.1, and a recording stand-in API endpoint for Spark submission clients"
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
        /// Start a real node (containerd, runc, kubelet, kube-proxy, CoreDNS;
        /// needs root) instead of the simulated one: pods really run.
        #[arg(long, conflicts_with = "no_fake_node")]
        real_node: bool,
    },
    /// Serve the recording stand-in API endpoint until killed; prints its
    /// --master URL on stdout. Driver exit code and pace come from
    /// RECORDER_DRIVER_EXIT and RECORDER_STEP_SECONDS.
    Recorder {
        /// Port on 127.0.0.1 (0 = a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Where to append the requests (one JSON object per line).
        #[arg(long)]
        log: PathBuf,
    },
    /// Run a submission client against a fresh recorder: every argument
    /// equal to @MASTER@ becomes the recorder's master URL; the requests go
    /// to LOG, the client's output to LOG.log; exits with the client's status.
    Record {
        /// Where to write the requests (truncated first).
        log: PathBuf,
        /// The client and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// Print the objects a recorder log created, normalized (JSON).
    Normalize { log: PathBuf },
    /// Copy standard input to standard output with per-run randomness
    /// (application ids, name infixes, UUIDs, loopback ports) replaced.
    Scrub,
    /// Compare what two recorder logs created; exit 1 when they differ.
    Compare {
        expected: PathBuf,
        actual: PathBuf,
        /// Compare every list in order (default: the golden test's rules,
        /// which treat hash-ordered lists as sets).
        #[arg(long)]
        exact: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Recorder { port, log } => serve_recorder(port, &log),
        Command::Record { log, command } => return record(&log, &command),
        Command::Normalize { log } => normalize(&log),
        Command::Scrub => scrub(),
        Command::Compare { expected, actual, exact } => return compare(&expected, &actual, exact),
        Command::Build => build(),
        Command::Up { dir, bin_dir, no_fake_node, real_node } => up(StartOptions {
            run_dir: dir,
            bin_dir,
            fake_node: !no_fake_node && !real_node,
            real_node,
            ..StartOptions::default()
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kspark-testcluster: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve_recorder(port: u16, log: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let recorder = Recorder::start_on(port, log, RecorderOptions::from_env()?)?;
    println!("{}", recorder.master_url());
    recorder.wait();
    Ok(())
}

fn record(log: &Path, command: &[std::ffi::OsString]) -> ExitCode {
    let run = RecorderOptions::from_env().map_err(Into::into).and_then(|options| {
        recorder::record_command(log, options, command, |_| {}).map_err(Box::<dyn std::error::Error>::from)
    });
    match run {
        Ok(run) => ExitCode::from(u8::try_from(run.exit_code).unwrap_or(1)),
        Err(e) => {
            eprintln!("kspark-testcluster: {e}");
            ExitCode::from(125)
        }
    }
}

fn normalize(log: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let objects = recorder::normalize::objects(&recorder::read_log(log)?);
    let value = serde_json::to_value(objects)?;
    print_out(&serde_json::to_string_pretty(&recorder::normalize::sorted(&value))?)
}

fn scrub() -> Result<(), Box<dyn std::error::Error>> {
    for line in std::io::stdin().lines() {
        print_out(recorder::normalize::scrub(&serde_json::Value::String(line?)).as_str().unwrap_or_default())?;
    }
    Ok(())
}

fn compare(expected: &Path, actual: &Path, exact: bool) -> ExitCode {
    let load = |path: &Path| -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        Ok(serde_json::to_value(recorder::normalize::objects(&recorder::read_log(path)?))?)
    };
    let (expected, actual) = match (load(expected), load(actual)) {
        (Ok(e), Ok(a)) => (e, a),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("kspark-testcluster: {e}");
            return ExitCode::from(2);
        }
    };
    let comparison = if exact { Comparison::exact() } else { Comparison::golden() };
    let found = comparison.differences(&expected, &actual);
    let text = if found.is_empty() { "same objects".to_string() } else { found.join("\n") };
    let _ = print_out(&text);
    if found.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// A line on stdout; a reader that went away (`| head`) is not an error.
fn print_out(text: &str) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn build() -> Result<(), Box<dyn std::error::Error>> {
    let bin_dir = run_build_script(&default_build_script())?;
    println!("{}", bin_dir.display());
    Ok(())
}

fn up(opts: StartOptions) -> Result<(), Box<dyn std::error::Error>> {
    eprintln!("kspark-testcluster: starting");
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
    if let Some(registry) = cluster.image_registry() {
        println!("image registry: {registry} (pods pull docker.io/apache/spark:4.0.5 and the like from it)");
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
