//! `kspark auth`: who you are to the cluster and when your credentials
//! expire; `kspark auth token`: the bearer token, for tools that need it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kspark_kube::ConnectOptions;
use kspark_kube::connect::human;
use secrecy::ExposeSecret;

use crate::exit_status::ExitStatus;
use crate::failure::hinted;
use crate::output::StreamFormat;

#[derive(Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: Option<AuthCommand>,
    #[command(flatten)]
    pub target: Target,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: StreamFormat,
}

#[derive(Subcommand)]
pub enum AuthCommand {
    /// Print the current context's bearer token (exec plugins included), nothing else.
    Token {
        #[command(flatten)]
        target: Target,
    },
}

/// Which cluster and credentials.
#[derive(Args, Clone, Default)]
pub struct Target {
    /// kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context (default: the current context).
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// The API server URL, when a command has one (spark-submit's --master).
    #[arg(skip)]
    pub api_url: Option<String>,
}

impl Target {
    /// A checked connection (expired credentials refused), errors with hints.
    pub async fn connect(&self) -> anyhow::Result<kspark_kube::Connection> {
        kspark_kube::connect(&self.options()).await.map_err(|e| {
            let hint = e.hint();
            hinted(e, hint, ExitStatus::Failure)
        })
    }

    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            api_url: self.api_url.clone(),
            cwd: std::env::current_dir().unwrap_or_default(),
            ..Default::default()
        }
    }
}

pub async fn run(args: AuthArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(AuthCommand::Token { target }) => token(&target).await,
        None => show(&args.target, args.output).await,
    }
}

async fn token(target: &Target) -> anyhow::Result<ExitCode> {
    let conn = kspark_kube::connect_unchecked(&target.options()).await.map_err(|e| {
        let hint = e.hint();
        hinted(e, hint, ExitStatus::Failure)
    })?;
    match &conn.token {
        Some(token) => {
            outln!("{}", token.expose_secret())?;
            Ok(ExitCode::SUCCESS)
        }
        None => Err(hinted(
            format!("the current credentials carry no bearer token ({})", conn.method),
            Some("client certificates cannot be printed as a token; use the kubeconfig directly".into()),
            ExitStatus::Failure,
        )),
    }
}

async fn show(target: &Target, output: StreamFormat) -> anyhow::Result<ExitCode> {
    let conn = kspark_kube::connect_unchecked(&target.options()).await.map_err(|e| {
        let hint = e.hint();
        hinted(e, hint, ExitStatus::Failure)
    })?;
    let expiry = kspark_kube::connect::check_expiry(&conn, jiff::Timestamp::now());
    let identity = kspark_kube::identity::whoami(&conn.client).await;
    let (user, groups) = match &identity {
        Ok(id) => (id.username.clone(), id.groups.clone()),
        Err(_) => (conn.identity_hint.clone().unwrap_or_else(|| "(unknown)".into()), Vec::new()),
    };
    let expires = conn.expires_at.map(|t| {
        let left = t.duration_since(jiff::Timestamp::now());
        let when =
            if left.is_negative() { format!("expired {} ago", human(-left)) } else { format!("in {}", human(left)) };
        (t.to_string(), when)
    });
    if output == StreamFormat::Json {
        let json = serde_json::json!({
            "server": conn.api_url,
            "method": conn.method.to_string(),
            "user": user,
            "groups": groups,
            "expiresAt": expires.as_ref().map(|(t, _)| t),
            "valid": expiry.is_ok() && identity.is_ok(),
        });
        outln!("{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        outln!("server:   {}", conn.api_url)?;
        outln!("method:   {}", conn.method)?;
        outln!("user:     {user}")?;
        if !groups.is_empty() {
            outln!("groups:   {}", groups.join(", "))?;
        }
        match &expires {
            Some((t, when)) => outln!("expires:  {t} ({when})")?,
            None => outln!("expires:  (no expiry known)")?,
        }
    }
    if let Err(e) = expiry {
        let hint = e.hint();
        return Err(hinted(e, hint, ExitStatus::Failure));
    }
    if let Err(e) = identity {
        let hint = e.hint();
        return Err(hinted(e, hint, ExitStatus::Failure));
    }
    Ok(ExitCode::SUCCESS)
}
