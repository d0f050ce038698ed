//! Spark 4.2+: a NetworkPolicy that lets only the application's own pods
//! reach its executors.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::DriverState;
use crate::error::ManifestError;
use crate::labels::{EXECUTOR_ROLE, SPARK_APP_SELECTOR, SPARK_ROLE};
use crate::objects::Applied;

pub(super) fn apply(st: &mut DriverState<'_, '_>) -> Result<(), ManifestError> {
    if !st.features.executor_network_policy {
        return Ok(());
    }
    let app_id = st.ctx.ids.app_id.clone();
    let app_only = BTreeMap::from([(SPARK_APP_SELECTOR.to_string(), app_id.clone())]);
    let mut executors = app_only.clone();
    executors.insert(SPARK_ROLE.into(), EXECUTOR_ROLE.into());
    st.applied.push(Applied::NetworkPolicy(NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(format!("{}-policy", st.prefix)),
            namespace: Some(st.namespace.clone()),
            labels: Some(app_only.clone()),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(executors), ..Default::default() }),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(LabelSelector { match_labels: Some(app_only), ..Default::default() }),
                    ..Default::default()
                }]),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }));
    Ok(())
}
