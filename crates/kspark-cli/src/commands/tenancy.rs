//! `kspark tenant create | show | delete`: per-user Spark namespaces in one
//! command, least-privilege, labelled, idempotent.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kspark_kube::tenancy::{self as cluster, ObjectState};
use kspark_manifests::tenancy::{self, TenantSpec};

use super::auth::Target;
use crate::failure::hinted;
use crate::output;

#[derive(Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    pub command: TenantCommand,
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Set up (or repair) NAMESPACE for Spark: namespace, driver service account,
    /// least-privilege Roles and RoleBindings, quota and container defaults.
    Create(CreateArgs),
    /// Report what exists and what differs from what `create` would apply.
    Show(ShowArgs),
    /// Remove what kspark created (the namespace, if kspark created it).
    Delete(DeleteArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    pub namespace: String,
    /// A user allowed to submit (on AKS: an Entra ID object ID). Repeatable.
    #[arg(long = "user")]
    pub users: Vec<String>,
    /// A group allowed to submit (on AKS: an Entra ID group object ID). Repeatable.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// The driver's service account.
    #[arg(long, default_value = "spark")]
    pub service_account: String,
    /// ResourceQuota, e.g. pods=5,requests.cpu=4,requests.memory=16Gi,limits.cpu=8,limits.memory=32Gi.
    #[arg(long)]
    pub quota: Option<String>,
    /// LimitRange default requests for containers that set none.
    #[arg(long, default_value = "cpu=500m,memory=512Mi")]
    pub default_requests: String,
    /// LimitRange default limits for containers that set none (so a quota on limits admits them).
    #[arg(long, default_value = "cpu=1,memory=2Gi")]
    pub default_limits: String,
    /// Print the objects instead of applying them.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: yaml or json.
    #[arg(short, long, default_value = "yaml")]
    pub output: String,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args)]
pub struct ShowArgs {
    pub namespace: String,
    /// text or json.
    #[arg(short, long, default_value = "text")]
    pub output: String,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args)]
pub struct DeleteArgs {
    pub namespace: String,
    /// Do not ask.
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: TenantArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        TenantCommand::Create(a) => create(a).await,
        TenantCommand::Show(a) => show(a).await,
        TenantCommand::Delete(a) => delete(a).await,
    }
}

fn spec(a: &CreateArgs) -> anyhow::Result<TenantSpec> {
    let usage = |e: tenancy::ResourceListError| hinted(e, None, 2);
    if a.users.is_empty() && a.groups.is_empty() {
        return Err(hinted("nobody would be allowed to submit", Some("give --user ID and/or --group ID".into()), 2));
    }
    Ok(TenantSpec {
        namespace: a.namespace.clone(),
        users: a.users.clone(),
        groups: a.groups.clone(),
        service_account: a.service_account.clone(),
        quota: a.quota.as_deref().map(tenancy::parse_quota).transpose().map_err(usage)?.unwrap_or_default(),
        default_requests: tenancy::parse_limits(&a.default_requests, "--default-requests").map_err(usage)?,
        default_limits: tenancy::parse_limits(&a.default_limits, "--default-limits").map_err(usage)?,
    })
}

async fn create(a: CreateArgs) -> anyhow::Result<ExitCode> {
    let spec = spec(&a)?;
    if a.dry_run {
        let items: Vec<serde_json::Value> = tenancy::objects(&spec).iter().map(|o| o.to_json()).collect();
        if a.output == "json" {
            output::print_value(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}), "json")?;
        } else {
            for item in &items {
                println!("---\n{}", serde_saphyr::to_string(item)?.trim_end());
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let conn = a.target.connect().await?;
    for what in cluster::apply(&conn.client, &spec).await.map_err(crate::failure::cluster)? {
        eprintln!("kspark: applied {what}");
    }
    eprintln!(
        "kspark: tenant {} is ready; submit with --conf spark.kubernetes.namespace={} --conf spark.kubernetes.authenticate.driver.serviceAccountName={}",
        spec.namespace, spec.namespace, spec.service_account
    );
    Ok(ExitCode::SUCCESS)
}

async fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    let conn = a.target.connect().await?;
    let Some(spec) = cluster::recorded_spec(&conn.client, &a.namespace).await.map_err(crate::failure::cluster)? else {
        return Err(hinted(
            format!("namespace {} was not set up by `kspark tenant create`", a.namespace),
            Some(format!("set it up with `kspark tenant create {} --user ID`", a.namespace)),
            1,
        ));
    };
    let states = cluster::show(&conn.client, &spec).await.map_err(crate::failure::cluster)?;
    let all_ok = states.iter().all(|(_, s)| *s == ObjectState::Ok);
    if a.output == "json" {
        let items: Vec<serde_json::Value> = states
            .iter()
            .map(|(what, state)| match state {
                ObjectState::Ok => serde_json::json!({"object": what, "state": "ok"}),
                ObjectState::Missing => serde_json::json!({"object": what, "state": "missing"}),
                ObjectState::Differs(d) => serde_json::json!({"object": what, "state": "differs",
                    "differences": d.iter().map(|x| serde_json::json!({"path": x.path, "wanted": x.wanted, "found": x.found})).collect::<Vec<_>>()}),
            })
            .collect();
        output::print_value(&serde_json::json!({"namespace": a.namespace, "spec": spec, "objects": items}), "json")?;
    } else {
        println!(
            "tenant {}: users {:?}, groups {:?}, driver account {}",
            a.namespace, spec.users, spec.groups, spec.service_account
        );
        for (what, state) in &states {
            match state {
                ObjectState::Ok => println!("ok       {what}"),
                ObjectState::Missing => println!("missing  {what}"),
                ObjectState::Differs(d) => {
                    let fields: Vec<String> =
                        d.iter().map(|x| format!("{} (wanted {}, found {})", x.path, x.wanted, x.found)).collect();
                    println!("differs  {what}: {}", fields.join("; "));
                }
            }
        }
        if !all_ok {
            eprintln!("\nhint: `kspark tenant create {}` with the same flags repairs it", a.namespace);
        }
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

async fn delete(a: DeleteArgs) -> anyhow::Result<ExitCode> {
    if !a.yes && !confirm(&a.namespace)? {
        eprintln!("kspark: nothing deleted");
        return Ok(ExitCode::from(1));
    }
    let conn = a.target.connect().await?;
    let deleted = cluster::delete(&conn.client, &a.namespace).await.map_err(crate::failure::cluster)?;
    if deleted.is_empty() {
        eprintln!("kspark: nothing in {} was created by kspark", a.namespace);
    }
    for what in deleted {
        eprintln!("kspark: deleted {what}");
    }
    Ok(ExitCode::SUCCESS)
}

fn confirm(namespace: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(hinted(
            format!("refusing to delete tenant {namespace} without confirmation"),
            Some("add --yes".into()),
            2,
        ));
    }
    eprint!(
        "delete what kspark created for tenant {namespace} (its namespace, if kspark created it, with everything in it)? [y/N] "
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
