//! Azure workload identity, when the driver's service account carries it:
//! will the webhook give the pods a token, can this Spark line use it, and
//! what Azure must be told (the federated credential) for it to work.

use kspark_manifests::WorkloadIdentity;
use kspark_manifests::workload_identity::{EXECUTOR_LABEL_KEY, USE_LABEL};
use kube::Client;

use super::{Check, Plan};
use crate::workload_identity::issuer;

const IDENTITY: &str = "azure identity";
const LABELS: &str = "azure pod labels";
const LINE: &str = "azure token provider";
const FEDERATION: &str = "azure federation";

pub async fn checks(client: &Client, plan: &Plan<'_>, identity: &WorkloadIdentity) -> Vec<Check> {
    vec![
        annotated(identity),
        labelled(plan),
        provider(plan, identity),
        federation(identity, issuer(client).await.map_err(|e| e.to_string())),
    ]
}

fn annotated(identity: &WorkloadIdentity) -> Check {
    Check::ok(
        IDENTITY,
        format!(
            "{}/{} is annotated for Azure workload identity: client id {}, {}",
            identity.namespace,
            identity.service_account,
            identity.client_id,
            identity.tenant_source()
        ),
    )
}

/// Azure's webhook injects the token only into pods with the label.
fn labelled(plan: &Plan<'_>) -> Check {
    let driver = plan.pod().metadata.labels.as_ref().and_then(|l| l.get(USE_LABEL)).map(String::as_str);
    let executors = plan.conf.get(EXECUTOR_LABEL_KEY);
    if driver == Some("true") && executors == Some("true") {
        return Check::ok(
            LABELS,
            format!("driver and executor pods are labelled {USE_LABEL}=true: the webhook gives them the token"),
        );
    }
    let show = |v: Option<&str>| v.map_or("no label".to_string(), |v| format!("{USE_LABEL}={v}"));
    Check::warn(
        LABELS,
        format!(
            "driver pod: {}, executor pods: {}: pods without {USE_LABEL}=true get no Azure token, so abfss:// fails there",
            show(driver),
            show(executors)
        ),
    )
    .with_hint(format!("drop your own setting of spark.kubernetes.{{driver,executor}}.label.{USE_LABEL}"))
}

fn provider(plan: &Plan<'_>, identity: &WorkloadIdentity) -> Check {
    match identity.refusal(&plan.features, plan.conf) {
        Some(refusal) => Check::fail(LINE, refusal.reason).with_hint(refusal.hint),
        None if plan.features.workload_identity_provider => Check::ok(
            LINE,
            "this Spark line is built on Hadoop 3.4.1 or later, whose hadoop-azure has WorkloadIdentityTokenProvider",
        ),
        None => Check::ok(LINE, "you set spark.hadoop.fs.azure.account.oauth.provider.type yourself"),
    }
}

/// The command is the hint: Azure trusts the token only once told to.
fn federation(identity: &WorkloadIdentity, issuer: Result<String, String>) -> Check {
    match issuer {
        Ok(issuer) => Check::ok(
            FEDERATION,
            format!(
                "the managed identity must trust tokens of issuer {issuer} for system:serviceaccount:{}:{}",
                identity.namespace, identity.service_account
            ),
        )
        .with_hint(format!("once per identity: {}", identity.federated_credential_command(&issuer))),
        // Advice, not a prediction (Azure's side cannot be checked from
        // here), and most users may not read the issuer: not a warning,
        // which every `kspark submit` would repeat.
        Err(e) => Check::ok(
            FEDERATION,
            format!(
                "the managed identity must trust this cluster's tokens for system:serviceaccount:{}:{} \
                 (the issuer is not readable here: {e})",
                identity.namespace, identity.service_account
            ),
        )
        .with_hint(format!(
            "on AKS: `az aks show -n CLUSTER -g RESOURCE_GROUP --query oidcIssuerProfile.issuerUrl -o tsv` is \
             the ISSUER of: {}",
            identity.federated_credential_command("ISSUER")
        )),
    }
}
