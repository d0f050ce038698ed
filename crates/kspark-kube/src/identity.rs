//! Who the API server thinks we are (`SelfSubjectReview`, what `kubectl
//! auth whoami` shows).

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::PostParams;
use kube::{Api, Client};

use crate::error::ClusterError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    pub uid: Option<String>,
    pub groups: Vec<String>,
}

pub async fn whoami(client: &Client) -> Result<Identity, ClusterError> {
    let api: Api<SelfSubjectReview> = Api::all(client.clone());
    let review = api
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .map_err(|e| ClusterError::from_kube("ask the API server who we are (SelfSubjectReview)", e))?;
    let user = review.status.and_then(|s| s.user_info).unwrap_or_default();
    Ok(Identity { username: user.username.unwrap_or_default(), uid: user.uid, groups: user.groups.unwrap_or_default() })
}
