//! Why a `kspark tenant create` request is refused before anything is sent.

use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum TenantError {
    #[error("{flag}: `{item}` is not KEY=VALUE")]
    NotPair { flag: String, item: String },
    #[error("{flag}: `{key}` is not a resource it accepts")]
    UnknownKey { flag: String, key: String, allowed: String },
    #[error("{flag}: {key}={value} is not a Kubernetes quantity")]
    BadQuantity { flag: String, key: String, value: String },
    #[error("{flag}: {key} is given twice")]
    Duplicate { flag: String, key: String },
    #[error(
        "--default-requests {key}={request} is above --default-limits {key}={limit}: Kubernetes rejects such a LimitRange"
    )]
    RequestAboveLimit { key: String, request: String, limit: String },
    #[error("`{0}` is not a valid namespace name")]
    BadNamespace(String),
    #[error("namespace {0} belongs to Kubernetes itself")]
    SystemNamespace(String),
    #[error("--service-account `{0}` is not a valid service account name")]
    BadServiceAccount(String),
    #[error("{0}: an empty name")]
    EmptySubject(&'static str),
    #[error("nobody would be allowed to submit")]
    NoSubjects,
    #[error("{flag}: `{value}` is not an Entra ID (a GUID)")]
    NotGuid { flag: &'static str, value: String },
    #[error("--tenant-id is given without --workload-identity")]
    TenantWithoutIdentity,
}

impl TenantError {
    pub fn hint(&self) -> Option<String> {
        match self {
            TenantError::UnknownKey { allowed, .. } => Some(format!("use one of: {allowed}")),
            TenantError::BadQuantity { .. } => Some("quantities look like 4, 500m, 2.5, 16Gi or 512Mi".into()),
            TenantError::RequestAboveLimit { .. } => Some("raise the limit or lower the request".into()),
            TenantError::BadNamespace(_) => Some(
                "namespace names are lowercase letters, digits and '-', start and end with a letter or digit, at most 63 characters".into(),
            ),
            TenantError::BadServiceAccount(_) => Some(
                "service account names are such labels (lowercase letters, digits, '-') joined by dots".into(),
            ),
            TenantError::SystemNamespace(_) => Some("choose a namespace of your own".into()),
            TenantError::NoSubjects | TenantError::EmptySubject(_) => Some(
                "give --user ID and/or --group ID (repeatable; on AKS the Entra object IDs of users and groups)".into(),
            ),
            TenantError::NotGuid { flag: "--tenant-id", .. } => Some(
                "give the directory's tenant ID, e.g. from `az account show --query tenantId -o tsv`".into(),
            ),
            TenantError::NotGuid { .. } => Some(
                "give the managed identity's client ID, e.g. from `az identity show -n NAME -g RESOURCE_GROUP --query clientId -o tsv`".into(),
            ),
            TenantError::TenantWithoutIdentity => {
                Some("add --workload-identity CLIENT_ID, or drop --tenant-id".into())
            }
            TenantError::NotPair { .. } | TenantError::Duplicate { .. } => {
                Some("write KEY=VALUE pairs separated by commas, e.g. pods=5,requests.cpu=4".into())
            }
        }
    }
}
