//! Can the submitter do everything submit and kill need? One
//! SelfSubjectAccessReview per verb and resource, all at once.

use futures::future::join_all;
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::api::PostParams;
use kube::{Api, Client};

use super::{Check, Plan};

const NAME: &str = "submitter permissions";

/// (verb, API group, resource) the submission and `kspark kill` need.
fn needed(plan: &Plan<'_>) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut needs = vec![("create", "", "pods"), ("get", "", "pods"), ("watch", "", "pods"), ("delete", "", "pods")];
    for object in &plan.objects.applied {
        let (group, resource) = match object.kind() {
            "Service" => ("", "services"),
            "ConfigMap" => ("", "configmaps"),
            "Secret" => ("", "secrets"),
            "PersistentVolumeClaim" => ("", "persistentvolumeclaims"),
            "NetworkPolicy" => ("networking.k8s.io", "networkpolicies"),
            _ => continue,
        };
        for verb in ["create", "patch"] {
            if !needs.contains(&(verb, group, resource)) {
                needs.push((verb, group, resource));
            }
        }
    }
    needs
}

pub async fn submitter(client: &Client, plan: &Plan<'_>) -> Vec<Check> {
    let ns = plan.namespace().to_string();
    let needs = needed(plan);
    let answers =
        join_all(needs.iter().map(|(verb, group, resource)| review(client, &ns, verb, group, resource))).await;
    let mut missing = Vec::new();
    for ((verb, group, resource), answer) in needs.iter().zip(answers) {
        match answer {
            Ok(true) => {}
            Ok(false) => missing.push(format!("{verb} {}", qualified(group, resource))),
            Err(e) => return vec![Check::warn(NAME, format!("cannot tell: {e}"))],
        }
    }
    if missing.is_empty() {
        return vec![Check::ok(
            NAME,
            format!("can create, apply, watch and delete everything the submission needs in {ns}"),
        )];
    }
    vec![Check::fail(NAME, format!("missing in namespace {ns}: {}", missing.join(", "))).with_hint(
        "ask the cluster admin for these permissions (`kspark tenant create NS --user YOU` grants exactly them)",
    )]
}

fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") }
}

async fn review(client: &Client, ns: &str, verb: &str, group: &str, resource: &str) -> Result<bool, kube::Error> {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(ns.to_string()),
                verb: Some(verb.to_string()),
                group: Some(group.to_string()),
                resource: Some(resource.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = api.create(&PostParams::default(), &review).await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}
