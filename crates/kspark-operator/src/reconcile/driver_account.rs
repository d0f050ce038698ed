//! The driver's service account must exist: kubeflow's spark-submit fails
//! when the API server refuses a driver naming a missing one, and so does
//! kspark's submission, before anything is created (a submission failure
//! under `spec.restartPolicy`, not a wait: nothing will create the account
//! by itself, unlike a quota that frees up).

use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::ListParams;

use super::Work;
use super::submit::plan;
use crate::build::Built;
use crate::context::Context;

/// Why the driver cannot be created (the account is missing), `Ok(None)`
/// when it exists or the cache does not know yet, `Err` when the API server
/// could not be asked.
///
/// The watch cache says it first; a miss is asked again of the API server,
/// since an account created just before the application may not be in the
/// cache yet, and failing on a stale cache would fail an application that
/// would run.
pub async fn missing(built: &Built, work: &Work, ctx: &Context) -> Result<Option<String>, String> {
    let plan = plan(built);
    let (ns, account) = (work.namespace(), plan.driver_account());
    if ctx.facts.account_exists(ns, &account) != Some(false) {
        return Ok(None);
    }
    if exists_now(ctx, ns, &account).await? {
        return Ok(None);
    }
    Ok(Some(format!(
        "driver service account {account} does not exist in namespace {ns} \
         (hint: create it (kspark tenant create does), or set spec.driver.serviceAccount)"
    )))
}

/// One list by name: the operator's role lists service accounts (no `get`).
async fn exists_now(ctx: &Context, ns: &str, account: &str) -> Result<bool, String> {
    let api: Api<ServiceAccount> = Api::namespaced(ctx.client.clone(), ns);
    let params = ListParams::default().fields(&format!("metadata.name={account}"));
    api.list_metadata(&params)
        .await
        .map(|list| !list.items.is_empty())
        .map_err(|e| format!("cannot look up service account {account} in namespace {ns}: {e}"))
}
