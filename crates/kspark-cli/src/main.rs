//! The `kspark` command line: a thin layer over the kspark libraries.

#[macro_use]
mod stdio;

mod commands;
mod exit_status;
mod failure;
mod output;
mod usage;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc rather than glibc's allocator: the operator allocates and frees
/// many small objects per watch event, and glibc's malloc/free/consolidate
/// took a sixth of its CPU in a burst of a thousand applications.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "kspark", version, about = "Run Apache Spark on Kubernetes: a JVM-free spark-submit and friends")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Submit an application, with spark-submit's options (cluster mode on
    /// Kubernetes, or a local run with --master 'local[*]').
    #[command(disable_help_flag = true)]
    Submit {
        /// spark-submit's arguments: [options] <app jar | python file> [app arguments]
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Check a submission before making it: credentials, RBAC, quota, service
    /// account, image, placement. Takes `kspark submit`'s arguments.
    #[command(disable_help_flag = true)]
    Doctor {
        /// The same arguments as `kspark submit`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Spark namespaces for teams: create (least-privilege RBAC, quota,
    /// container defaults), show what drifted, delete.
    Tenant(commands::tenant::TenantArgs),
    /// Show who you are to the cluster and when your credentials expire.
    Auth(commands::auth::AuthArgs),
    /// List Spark applications (grouped by spark-app-selector).
    List(commands::apps::ListArgs),
    /// Show the driver state of NAMESPACE:NAME (globs allowed).
    Status(commands::apps::IdArgs),
    /// Kill NAMESPACE:NAME (globs allowed): deletes the driver pod, Kubernetes removes the rest.
    Kill(commands::apps::KillArgs),
    /// Wait for NAMESPACE:NAME to finish; exits with the driver's exit code.
    Wait(commands::apps::WaitArgs),
    /// Print the driver's (or executors') logs.
    Logs(commands::apps::LogsArgs),
    /// Show the Kubernetes events of NAMESPACE:NAME's pods.
    Events(commands::apps::IdArgs),
    /// A Spark Connect server for notebooks: uses or creates the
    /// SparkConnect [NS:]NAME, waits until it is ready and prints
    /// sc://127.0.0.1:PORT, a local port forwarded to it.
    Connect(Box<commands::connect::ConnectArgs>),
    /// Open the running driver's Spark UI on a local port, through the API server.
    Ui(commands::ui::UiArgs),
    /// The SparkApplication operator (kubeflow's sparkoperator.k8s.io/v1beta2,
    /// no JVM, no webhook): run it, or install it into a cluster.
    Operator(commands::operator::OperatorArgs),
    /// Spark images that reach Azure storage: a Dockerfile, or a build and
    /// push without a Docker daemon.
    Image(commands::image::ImageArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
}

/// Installed as `kubectl-spark`, the binary is a kubectl plugin: `kubectl
/// spark list` runs it with the same arguments; only the name shown changes.
fn parse() -> Cli {
    let invoked_as = std::env::args_os().next().map(std::path::PathBuf::from);
    let plugin = invoked_as
        .as_ref()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n.to_string_lossy().starts_with("kubectl-spark"));
    let command = if plugin { Cli::command().name("kubectl spark").bin_name("kubectl spark") } else { Cli::command() };
    let matches = with_generated_help(command).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// `submit` and `doctor` parse spark-submit's command line themselves; their
/// help (also for `kspark help submit`) is rendered from kspark-config's
/// option table.
fn with_generated_help(command: clap::Command) -> clap::Command {
    command
        .mut_subcommand("submit", |c| c.override_help(usage::submit()))
        .mut_subcommand("doctor", |c| c.override_help(usage::doctor()))
}

/// The operator waits on the API server nearly all the time: one thread
/// does its work without cross-thread wake-ups (with two workers a tenth of
/// its CPU went to switching threads). The other commands get two.
fn runtime_for(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    match command {
        Command::Operator(_) => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        _ => tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build(),
    }
}

fn main() -> ExitCode {
    let cli = parse();
    let runtime = match runtime_for(&cli.command) {
        Ok(rt) => rt,
        Err(e) => return failure::report(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Submit { args } => commands::submit::run(args).await,
            Command::Auth(args) => commands::auth::run(args).await,
            Command::Tenant(args) => commands::tenant::run(args).await,
            Command::Doctor { args } => commands::doctor::run(args).await,
            Command::List(args) => commands::apps::list(args).await,
            Command::Status(args) => commands::apps::status(args).await,
            Command::Kill(args) => commands::apps::kill(args).await,
            Command::Wait(args) => commands::apps::wait(args).await,
            Command::Logs(args) => commands::apps::logs(args).await,
            Command::Events(args) => commands::apps::events(args).await,
            Command::Ui(args) => commands::ui::run(args).await,
            Command::Connect(args) => commands::connect::run(*args).await,
            Command::Operator(args) => commands::operator::run(args).await,
            Command::Image(args) => commands::image::run(args).await,
            Command::Completions { shell } => {
                let mut command = <Cli as clap::CommandFactory>::command();
                let name = command.get_name().to_string();
                // Rendered first: clap_complete panics on a failed write.
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut command, name, &mut script);
                std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) if stdio::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => failure::report(&e),
    }
}
