//! Azure workload identity on `kspark submit` / `kspark doctor`: when the
//! driver's service account carries `azure.workload.identity/client-id`, the
//! settings of [`kspark_manifests::workload_identity`] are added (the
//! user's own always win) and the objects rebuilt with them.

use std::time::Duration;

use kspark_manifests::WorkloadIdentity;
use kspark_manifests::workload_identity::{Refusal, TOKEN_PROVIDER, USE_LABEL};

use super::prepare::Built;
use crate::exit_status::ExitStatus;
use crate::failure::hinted;

/// What the driver's service account asked for.
pub enum Fit {
    /// No annotation (or no account): nothing added.
    NotUsed,
    /// Settings added; one line for the preamble.
    Applied(String),
    /// This Spark line cannot use it; nothing added.
    Refused(Refusal),
    /// The account could not be read (e.g. no right to): nothing added.
    Unknown(String),
}

/// How long a dry run waits for the cluster before showing the objects
/// without asking it.
const DRY_RUN_LOOKUP: Duration = Duration::from_secs(5);

pub async fn fit(client: &kube::Client, built: &mut Built) -> anyhow::Result<Fit> {
    let (account, features) = {
        let plan = built.plan()?.1;
        (plan.driver_account(), plan.features)
    };
    let namespace = &built.objects.namespace;
    let identity = match kspark_kube::workload_identity::driver_identity(client, namespace, &account).await {
        Ok(Some(identity)) => identity,
        Ok(None) => return Ok(Fit::NotUsed),
        Err(e) => return Ok(Fit::Unknown(e.to_string())),
    };
    let conf = &built.prepared.submission.conf;
    if let Some(refusal) = identity.refusal(&features, conf) {
        return Ok(Fit::Refused(refusal));
    }
    let added = identity.settings_to_add(conf);
    let kept = identity.settings().len() - added.len();
    built.set_and_rebuild(&added)?;
    Ok(Fit::Applied(describe(&identity, kept)))
}

fn describe(identity: &WorkloadIdentity, kept: usize) -> String {
    let mut line = format!(
        "Azure workload identity from service account {}/{} (client id {}, {}): pods labelled {USE_LABEL}=true, \
         abfss:// authenticates through {TOKEN_PROVIDER}",
        identity.namespace,
        identity.service_account,
        identity.client_id,
        identity.tenant_source()
    );
    if kept > 0 {
        line.push_str(&format!(" ({kept} of its settings were yours and are kept)"));
    }
    line
}

/// `submit`: a refusal stops the submission before anything is created.
pub async fn fit_or_refuse(client: &kube::Client, built: &mut Built) -> anyhow::Result<()> {
    let quiet = built.prepared.args.kspark.quiet;
    report(fit(client, built).await?, quiet)
}

fn report(fit: Fit, quiet: bool) -> anyhow::Result<()> {
    match fit {
        Fit::NotUsed => Ok(()),
        Fit::Unknown(why) => {
            cannot_read(&why, quiet);
            Ok(())
        }
        Fit::Applied(line) => {
            if !quiet {
                errln!("kspark: {line}");
            }
            Ok(())
        }
        Fit::Refused(refusal) => {
            Err(hinted(format!("{}; nothing was created", refusal.reason), Some(refusal.hint), ExitStatus::Failure))
        }
    }
}

/// `submit --dry-run`: asks the cluster for the driver's service account
/// (a read, nothing is sent), and shows the objects without Azure settings,
/// saying so, when the cluster cannot be asked.
pub async fn fit_for_dry_run(built: &mut Built) -> anyhow::Result<()> {
    let quiet = built.prepared.args.kspark.quiet;
    let options = built.prepared.connect_options();
    let lookup = async {
        let connection = kspark_kube::connect_unchecked(&options).await.map_err(|e| anyhow::anyhow!(e))?;
        fit(&connection.client, built).await
    };
    let why = match tokio::time::timeout(DRY_RUN_LOOKUP, lookup).await {
        Ok(Ok(fit)) => return report(fit, quiet),
        Ok(Err(e)) => e.to_string().lines().next().unwrap_or_default().to_string(),
        Err(_) => format!("no answer within {}s", DRY_RUN_LOOKUP.as_secs()),
    };
    cannot_read(&why, quiet);
    Ok(())
}

fn cannot_read(why: &str, quiet: bool) {
    if !quiet {
        errln!(
            "kspark: note: cannot read the driver's service account ({why}): nothing its annotations \
             (Azure workload identity) would add is added"
        );
    }
}
