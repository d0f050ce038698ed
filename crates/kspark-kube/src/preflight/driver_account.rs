//! Does the driver's service account exist, and may it manage executors?
//! When it carries Azure workload identity, the Azure checks follow.
//! Asked with LocalSubjectAccessReviews where the caller may; otherwise the
//! answer is "cannot tell" (a warning), never a guess.

use futures::future::join_all;
use k8s_openapi::api::authorization::v1::{LocalSubjectAccessReview, ResourceAttributes, SubjectAccessReviewSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

use super::{Check, Plan};

const EXISTS: &str = "driver service account";
const RIGHTS: &str = "driver permissions";

/// What Spark's driver does with executors (reference §6.6); the first
/// group is needed to run at all, the second only degrades cleanup.
const ESSENTIAL: [(&str, &str); 6] = [
    ("create", "pods"),
    ("get", "pods"),
    ("list", "pods"),
    ("watch", "pods"),
    ("delete", "pods"),
    ("create", "configmaps"),
];
const CLEANUP: [(&str, &str); 4] = [
    ("deletecollection", "pods"),
    ("deletecollection", "configmaps"),
    ("deletecollection", "services"),
    ("create", "persistentvolumeclaims"),
];

pub async fn check(client: &Client, plan: &Plan<'_>) -> Vec<Check> {
    if plan.pod().spec.as_ref().and_then(|s| s.service_account_name.as_ref()).is_none()
        && plan.objects.applied.iter().any(|o| o.kind() == "Secret")
    {
        return vec![Check::ok(EXISTS, "the driver uses the credentials in its Secret, not a service account")];
    }
    let ns = plan.namespace().to_string();
    let account = plan.driver_account();
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), &ns);
    let mut azure = Vec::new();
    let exists = match api.get_opt(&account).await {
        Ok(Some(found)) => {
            if let Some(identity) = crate::workload_identity::of_account(&ns, &found) {
                azure = super::azure::checks(client, plan, &identity).await;
            }
            Check::ok(EXISTS, format!("{ns}/{account} exists"))
        }
        Ok(None) => {
            return vec![Check::fail(EXISTS, format!("service account {account} does not exist in namespace {ns}: the driver pod would be rejected")).with_hint(
                "create it (`kspark tenant create NS` does), or set spark.kubernetes.authenticate.driver.serviceAccountName to one that exists",
            )];
        }
        Err(e) => Check::warn(EXISTS, format!("cannot tell whether {ns}/{account} exists: {}", short(&e))),
    };
    let mut checks = vec![exists, rights(client, &ns, &account).await];
    checks.extend(azure);
    checks
}

async fn rights(client: &Client, ns: &str, account: &str) -> Check {
    let user = format!("system:serviceaccount:{ns}:{account}");
    let all: Vec<(&str, &str)> = ESSENTIAL.iter().chain(CLEANUP.iter()).copied().collect();
    let answers = join_all(all.iter().map(|(verb, resource)| review(client, ns, &user, verb, resource))).await;
    let mut missing_essential = Vec::new();
    let mut missing_cleanup = Vec::new();
    for (i, ((verb, resource), answer)) in all.iter().zip(answers).enumerate() {
        match answer {
            Ok(true) => {}
            Ok(false) if i < ESSENTIAL.len() => missing_essential.push(format!("{verb} {resource}")),
            Ok(false) => missing_cleanup.push(format!("{verb} {resource}")),
            Err(e) => return Check::warn(RIGHTS, format!("cannot tell what {account} may do: {}", short(&e))),
        }
    }
    if !missing_essential.is_empty() {
        return Check::fail(
            RIGHTS,
            format!("{account} cannot {}: the driver could not start executors", missing_essential.join(", ")),
        )
        .with_hint("bind it to a Role with Spark's driver permissions (`kspark tenant create` does)");
    }
    if !missing_cleanup.is_empty() {
        return Check::warn(
            RIGHTS,
            format!("{account} cannot {}: cleanup at the end will be partial", missing_cleanup.join(", ")),
        );
    }
    Check::ok(RIGHTS, format!("{account} can create, watch and delete executor pods and ConfigMaps"))
}

async fn review(client: &Client, ns: &str, user: &str, verb: &str, resource: &str) -> Result<bool, kube::Error> {
    let api: Api<LocalSubjectAccessReview> = Api::namespaced(client.clone(), ns);
    let review = LocalSubjectAccessReview {
        metadata: ObjectMeta { namespace: Some(ns.to_string()), ..Default::default() },
        spec: SubjectAccessReviewSpec {
            user: Some(user.to_string()),
            groups: Some(vec!["system:serviceaccounts".into(), format!("system:serviceaccounts:{ns}")]),
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(ns.to_string()),
                verb: Some(verb.to_string()),
                resource: Some(resource.to_string()),
                group: Some(String::new()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(api.create(&PostParams::default(), &review).await?.status.is_some_and(|s| s.allowed))
}

fn short(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}
