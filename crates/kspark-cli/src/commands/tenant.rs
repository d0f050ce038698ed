//! `kspark tenant create | show | delete`: a namespace ready for Spark in
//! one command (least-privilege, labelled, idempotent), what has drifted
//! from it since, and its removal.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kspark_kube::ClusterError;
use kspark_kube::tenant::{self as cluster, DeletePlan, Recorded, Report};
use kspark_manifests::tenant::{self, ObjectState, TenantError, TenantRequest, TenantSpec};
use serde_json::{Value, json};

use super::auth::Target;
use crate::exit_status::ExitStatus;
use crate::failure::{self, hinted};
use crate::output::{self, ObjectFormat, ReportFormat};

#[derive(Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    pub command: TenantCommand,
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Set up (or repair) NAMESPACE for Spark: the namespace, the driver's
    /// service account, least-privilege Roles and RoleBindings for the driver
    /// and for the given users and groups, container defaults and a quota.
    Create(CreateArgs),
    /// Compare NAMESPACE with what `tenant create` would apply, one line per
    /// object (ok, missing, differs, extra); exits 1 unless all are ok.
    Show(ShowArgs),
    /// Remove what kspark created: the namespace with everything in it if
    /// kspark created it, otherwise only kspark's objects.
    Delete(DeleteArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// The namespace (created unless it exists).
    pub namespace: String,
    /// A user who may submit, as the API server names them (on AKS: the
    /// user's Entra object ID). Repeatable.
    #[arg(long = "user", value_name = "ID")]
    pub users: Vec<String>,
    /// A group whose members may submit (on AKS: the group's Entra object
    /// ID). Repeatable.
    #[arg(long = "group", value_name = "ID")]
    pub groups: Vec<String>,
    /// The driver's service account (submit with
    /// spark.kubernetes.authenticate.driver.serviceAccountName=NAME).
    #[arg(long, value_name = "NAME", default_value = tenant::DEFAULT_SERVICE_ACCOUNT)]
    pub service_account: String,
    /// A ResourceQuota, e.g. pods=5,requests.cpu=4,requests.memory=16Gi,limits.cpu=8,limits.memory=32Gi
    /// (none without this flag).
    #[arg(long, value_name = "K=V,...")]
    pub quota: Option<String>,
    /// Requests for containers that set none (LimitRange kspark-defaults).
    #[arg(long, value_name = "K=V,...", default_value = tenant::DEFAULT_REQUESTS)]
    pub default_requests: String,
    /// Limits for containers that set none, so that a quota on limits admits
    /// their pods. No CPU limit by default: Spark sets none on its pods, so a
    /// default CPU limit refuses every driver or executor asking for more.
    #[arg(long, value_name = "K=V,...", default_value = tenant::DEFAULT_LIMITS)]
    pub default_limits: String,
    /// Azure workload identity: annotate the driver's service account with
    /// this managed identity's client ID (azure.workload.identity/client-id),
    /// so that Spark reaches ADLS Gen2 (abfss://) as that identity.
    #[arg(long, value_name = "CLIENT_ID")]
    pub workload_identity: Option<String>,
    /// With --workload-identity: the identity's Entra tenant
    /// (azure.workload.identity/tenant-id); else the webhook's default.
    #[arg(long, value_name = "TENANT_ID", requires = "workload_identity")]
    pub tenant_id: Option<String>,
    /// Print the objects instead of applying them; contacts no cluster.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: the objects' format.
    #[arg(short, long, value_enum, requires = "dry_run")]
    pub output: Option<ObjectFormat>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args)]
pub struct ShowArgs {
    pub namespace: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: ReportFormat,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args)]
pub struct DeleteArgs {
    pub namespace: String,
    /// Do not ask for confirmation.
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

/// Bad flags: exit 2, like clap's own usage errors.
fn usage(e: TenantError) -> anyhow::Error {
    let hint = e.hint();
    hinted(e, hint, ExitStatus::Usage)
}

/// The general hint for a refusal (ask the admin for a RoleBinding) does
/// not fit here: setting up tenants is the admin's job.
fn cluster_error(e: ClusterError) -> anyhow::Error {
    match e {
        ClusterError::Forbidden { .. } => hinted(
            e,
            Some(
                "`kspark tenant` manages namespaces, Roles and RoleBindings, which takes cluster-admin rights: \
                 use an admin's kubeconfig (--kubeconfig, --context)"
                    .into(),
            ),
            ExitStatus::Failure,
        ),
        other => failure::cluster(other),
    }
}

impl CreateArgs {
    fn request(&self) -> TenantRequest {
        TenantRequest {
            namespace: self.namespace.clone(),
            users: self.users.clone(),
            groups: self.groups.clone(),
            service_account: self.service_account.clone(),
            quota: self.quota.clone(),
            default_requests: self.default_requests.clone(),
            default_limits: self.default_limits.clone(),
            workload_identity: self.workload_identity.clone(),
            tenant_id: self.tenant_id.clone(),
        }
    }
}

async fn create(a: CreateArgs) -> anyhow::Result<ExitCode> {
    let format = a.output.unwrap_or_default();
    let spec = a.request().resolve().map_err(usage)?;
    for note in spec.notes() {
        errln!("kspark: note: {note}");
    }
    if a.dry_run {
        print_objects(&spec, format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let conn = a.target.connect().await?;
    for change in cluster::create(&conn.client, &spec).await.map_err(cluster_error)? {
        errln!("kspark: {:<10} {} {}", change.outcome.word(), change.kind, change.name);
    }
    errln!(
        "kspark: tenant {ns} is ready: submit with --conf spark.kubernetes.namespace={ns} \
         --conf spark.kubernetes.authenticate.driver.serviceAccountName={sa}",
        ns = spec.namespace,
        sa = spec.service_account
    );
    Ok(ExitCode::SUCCESS)
}

/// The objects as `create` would apply them to a cluster where none exists
/// yet (a namespace that exists is adopted, not labelled as kspark's).
fn print_objects(spec: &TenantSpec, format: ObjectFormat) -> anyhow::Result<()> {
    let items: Vec<Value> = tenant::objects(spec, tenant::Adopted::default()).iter().map(|o| o.to_json()).collect();
    output::print_documents(&items, format)
}

async fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    let conn = a.target.connect().await?;
    let spec = recorded_spec(&conn.client, &a.namespace).await?;
    let reports = cluster::show(&conn.client, &spec).await.map_err(cluster_error)?;
    let all_ok = reports.iter().all(|r| r.state == ObjectState::Ok);
    // A tenant set up by an older kspark keeps its recorded defaults; say
    // what they do to Spark's pods.
    for note in spec.notes() {
        errln!("kspark: note: {note}");
    }
    match a.output.structured() {
        None => print_reports(&spec, &reports)?,
        Some(format) => {
            let items: Vec<Value> = reports.iter().map(report_json).collect();
            let report = json!({"namespace": a.namespace, "ok": all_ok, "spec": spec, "objects": items});
            output::print_value(&report, format)?;
        }
    }
    if !all_ok {
        errln!("\nhint: `{}` puts it right", repair_command(&spec));
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitStatus::Failure.into() })
}

async fn recorded_spec(client: &kube::Client, namespace: &str) -> anyhow::Result<TenantSpec> {
    let create = format!("set it up with `kspark tenant create {namespace} --user ID`");
    match cluster::recorded(client, namespace).await.map_err(cluster_error)? {
        Recorded::Spec(spec) => Ok(spec),
        Recorded::NoNamespace => {
            Err(hinted(format!("namespace {namespace} does not exist"), Some(create), ExitStatus::Failure))
        }
        Recorded::NotATenant => Err(hinted(
            format!("namespace {namespace} was not set up by `kspark tenant create`"),
            Some(create),
            ExitStatus::Failure,
        )),
        Recorded::Unreadable(e) => Err(hinted(
            format!("namespace {namespace} carries a tenant spec kspark cannot read: {e}"),
            Some(format!("run `kspark tenant create {namespace}` with the flags you want; it records a new one")),
            ExitStatus::Failure,
        )),
    }
}

fn print_reports(spec: &TenantSpec, reports: &[Report]) -> std::io::Result<()> {
    let or_none = |v: &[String]| if v.is_empty() { "(none)".to_string() } else { v.join(", ") };
    outln!(
        "tenant {}: users {}; groups {}; driver service account {}",
        spec.namespace,
        or_none(&spec.users),
        or_none(&spec.groups),
        spec.service_account
    )?;
    for r in reports {
        let detail = match &r.state {
            ObjectState::Differs(d) => {
                let fields: Vec<String> =
                    d.iter().map(|x| format!("{} (wanted {}, found {})", x.path, x.wanted, x.found)).collect();
                format!(": {}", fields.join("; "))
            }
            ObjectState::Extra => ": kspark's, but no longer wanted".into(),
            _ => String::new(),
        };
        outln!("{:<8} {} {}{detail}", r.state.word(), r.kind, r.name)?;
    }
    Ok(())
}

fn report_json(r: &Report) -> Value {
    let mut item = json!({"kind": r.kind.name(), "name": r.name, "state": r.state.word()});
    if let ObjectState::Differs(d) = &r.state {
        item["differences"] =
            d.iter().map(|x| json!({"path": x.path, "wanted": x.wanted, "found": x.found})).collect::<Value>();
    }
    item
}

/// The `create` command line that applies `spec` again.
fn repair_command(spec: &TenantSpec) -> String {
    let mut words = vec!["kspark tenant create".to_string(), quote(&spec.namespace)];
    words.extend(spec.users.iter().map(|u| format!("--user {}", quote(u))));
    words.extend(spec.groups.iter().map(|g| format!("--group {}", quote(g))));
    if spec.service_account != tenant::DEFAULT_SERVICE_ACCOUNT {
        words.push(format!("--service-account {}", quote(&spec.service_account)));
    }
    let pairs = |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    if !spec.quota.is_empty() {
        words.push(format!("--quota {}", quote(&pairs(&spec.quota))));
    }
    for (flag, map, default) in [
        ("--default-requests", &spec.default_requests, tenant::DEFAULT_REQUESTS),
        ("--default-limits", &spec.default_limits, tenant::DEFAULT_LIMITS),
    ] {
        if pairs(map) != default {
            words.push(format!("{flag} {}", quote(&pairs(map))));
        }
    }
    if let Some(identity) = &spec.workload_identity {
        words.push(format!("--workload-identity {}", identity.client_id));
        words.extend(identity.tenant_id.iter().map(|t| format!("--tenant-id {t}")));
    }
    words.join(" ")
}

/// Single quotes for a POSIX shell, unless nothing needs them.
fn quote(text: &str) -> String {
    let plain = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain { text.to_string() } else { format!("'{}'", text.replace('\'', r"'\''")) }
}

async fn delete(a: DeleteArgs) -> anyhow::Result<ExitCode> {
    let ns = &a.namespace;
    if !a.yes && !std::io::stdin().is_terminal() {
        return Err(hinted(
            format!("refusing to delete tenant {ns} without confirmation (stdin is not a terminal)"),
            Some("add --yes to delete without asking".into()),
            ExitStatus::Usage,
        ));
    }
    let conn = a.target.connect().await?;
    let Some(plan) = cluster::plan_delete(&conn.client, ns).await.map_err(cluster_error)? else {
        errln!("kspark: namespace {ns} does not exist: nothing to delete");
        return Ok(ExitCode::SUCCESS);
    };
    if plan.is_empty() {
        errln!("kspark: kspark created nothing in namespace {ns}: nothing to delete");
        return Ok(ExitCode::SUCCESS);
    }
    if !a.yes && !confirm(&plan)? {
        errln!("kspark: nothing deleted");
        return Ok(ExitStatus::Failure.into());
    }
    cluster::delete(&conn.client, &plan).await.map_err(cluster_error)?;
    for line in describe(&plan, true) {
        errln!("kspark: {line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// What a plan does, before (`done` false) or after.
fn describe(plan: &DeletePlan, done: bool) -> Vec<String> {
    let (delete, release) = if done { ("deleted", "released") } else { ("delete", "release") };
    if plan.whole_namespace {
        let how = if done { "is terminating: Kubernetes deletes" } else { "kspark created it; this deletes" };
        return vec![format!(
            "{delete} Namespace {} ({how} everything in it, running applications included)",
            plan.namespace
        )];
    }
    let mut lines: Vec<String> = plan.objects.iter().map(|(kind, name)| format!("{delete} {kind} {name}")).collect();
    lines.extend(
        plan.released.iter().map(|(kind, name)| format!("{release} {kind} {name} (not kspark's: only its label goes)")),
    );
    lines
}

fn confirm(plan: &DeletePlan) -> anyhow::Result<bool> {
    for line in describe(plan, false) {
        errln!("  {line}");
    }
    err!("delete tenant {}? [y/N] ", plan.namespace);
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repair_command_gives_back_the_spec() {
        let request = TenantRequest {
            namespace: "team-a".into(),
            users: vec!["alice".into(), "o'brien".into()],
            groups: vec!["Spark Users".into()],
            service_account: "spark".into(),
            quota: Some("pods=5,limits.cpu=8".into()),
            default_requests: tenant::DEFAULT_REQUESTS.into(),
            default_limits: "cpu=2,memory=2Gi".into(),
            workload_identity: Some("0d6c1f2e-aaaa-bbbb-cccc-123456789abc".into()),
            tenant_id: None,
        };
        let spec = request.resolve().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            repair_command(&spec),
            "kspark tenant create team-a --user alice --user 'o'\\''brien' --group 'Spark Users' \
             --quota limits.cpu=8,pods=5 --default-limits cpu=2,memory=2Gi \
             --workload-identity 0d6c1f2e-aaaa-bbbb-cccc-123456789abc"
        );
    }
}
