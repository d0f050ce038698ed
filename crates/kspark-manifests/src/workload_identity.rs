//! Azure workload identity for ADLS Gen2 (`abfss://`): when the driver's
//! service account carries `azure.workload.identity/client-id`, Azure's
//! webhook gives every pod labelled `azure.workload.identity/use: "true"`
//! a federated token file and the `AZURE_*` variables. What Spark then needs
//! are the pod labels and hadoop-azure's OAuth settings for
//! `WorkloadIdentityTokenProvider`; this module says which, as Spark
//! settings, so that every submission path (CLI and operator) applies the
//! same ones by rebuilding with them.
//!
//! Values: what kspark knows from the annotation (client id, tenant id) is
//! written literally, so `--dry-run` and the driver's ConfigMap show exactly
//! which identity is used. What only the webhook knows (the cluster's
//! default tenant when the annotation names none, the authority host of the
//! cluster's Azure cloud, the token path) is read in the pod from the
//! variables the webhook injects, through Hadoop's own `${env.NAME:-default}`
//! expansion of configuration values (Hadoop's `Configuration.get` and
//! `getPassword`, which ABFS uses, both expand it).

use std::collections::BTreeMap;

use kspark_config::SparkConf;

use crate::LineFeatures;

pub const CLIENT_ID_ANNOTATION: &str = "azure.workload.identity/client-id";
pub const TENANT_ID_ANNOTATION: &str = "azure.workload.identity/tenant-id";
/// The label Azure's webhook selects pods by.
pub const USE_LABEL: &str = "azure.workload.identity/use";
pub const TOKEN_PROVIDER: &str = "org.apache.hadoop.fs.azurebfs.oauth2.WorkloadIdentityTokenProvider";
/// The `aud` of the service-account token Azure's webhook projects into
/// the pod; a federated credential is matched on it (with issuer and
/// subject), so it must list exactly this audience. It is also what
/// `az identity federated-credential create --audiences` defaults to.
pub const AUDIENCE: &str = "api://AzureADTokenExchange";

pub const DRIVER_LABEL_KEY: &str = "spark.kubernetes.driver.label.azure.workload.identity/use";
pub const EXECUTOR_LABEL_KEY: &str = "spark.kubernetes.executor.label.azure.workload.identity/use";
pub const AUTH_TYPE_KEY: &str = "spark.hadoop.fs.azure.account.auth.type";
pub const PROVIDER_KEY: &str = "spark.hadoop.fs.azure.account.oauth.provider.type";
pub const CLIENT_ID_KEY: &str = "spark.hadoop.fs.azure.account.oauth2.client.id";
pub const TENANT_KEY: &str = "spark.hadoop.fs.azure.account.oauth2.msi.tenant";
pub const AUTHORITY_KEY: &str = "spark.hadoop.fs.azure.account.oauth2.msi.authority";
pub const TOKEN_FILE_KEY: &str = "spark.hadoop.fs.azure.account.oauth2.token.file";

/// The webhook's `AZURE_TENANT_ID` (the annotation's, else the cluster's).
const TENANT_FROM_ENV: &str = "${env.AZURE_TENANT_ID}";
/// The webhook's `AZURE_AUTHORITY_HOST`, else Azure's public cloud (also
/// hadoop-azure's own default).
const AUTHORITY_FROM_ENV: &str = "${env.AZURE_AUTHORITY_HOST:-https://login.microsoftonline.com/}";
/// The webhook's `AZURE_FEDERATED_TOKEN_FILE`, else where it mounts it.
const TOKEN_FILE_FROM_ENV: &str =
    "${env.AZURE_FEDERATED_TOKEN_FILE:-/var/run/secrets/azure/tokens/azure-identity-token}";

/// The identity a driver service account is annotated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadIdentity {
    pub namespace: String,
    pub service_account: String,
    pub client_id: String,
    pub tenant_id: Option<String>,
}

/// Why a submission with such an identity is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
    pub hint: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (hint: {})", self.reason, self.hint)
    }
}

impl WorkloadIdentity {
    /// `None` unless the account carries a non-empty client-id annotation.
    pub fn from_annotations(
        namespace: &str,
        service_account: &str,
        annotations: Option<&BTreeMap<String, String>>,
    ) -> Option<WorkloadIdentity> {
        let annotations = annotations?;
        let value = |key: &str| annotations.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
        Some(WorkloadIdentity {
            namespace: namespace.to_string(),
            service_account: service_account.to_string(),
            client_id: value(CLIENT_ID_ANNOTATION)?,
            tenant_id: value(TENANT_ID_ANNOTATION),
        })
    }

    /// Every setting workload identity needs, in a stable order.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            (DRIVER_LABEL_KEY, "true".into()),
            (EXECUTOR_LABEL_KEY, "true".into()),
            (AUTH_TYPE_KEY, "OAuth".into()),
            (PROVIDER_KEY, TOKEN_PROVIDER.into()),
            (CLIENT_ID_KEY, self.client_id.clone()),
            (TENANT_KEY, self.tenant_id.clone().unwrap_or_else(|| TENANT_FROM_ENV.into())),
            (AUTHORITY_KEY, AUTHORITY_FROM_ENV.into()),
            (TOKEN_FILE_KEY, TOKEN_FILE_FROM_ENV.into()),
        ]
    }

    /// The settings the user has not set: theirs always win.
    pub fn settings_to_add(&self, conf: &SparkConf) -> Vec<(String, String)> {
        self.settings().into_iter().filter(|(k, _)| !conf.contains(k)).map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// `WorkloadIdentityTokenProvider` is in hadoop-azure 3.4.1 and later;
    /// Spark 3.5 is built on Hadoop 3.3.4. A user who chose the token
    /// provider themselves has taken Azure's authentication in hand.
    pub fn refusal(&self, features: &LineFeatures, conf: &SparkConf) -> Option<Refusal> {
        if features.workload_identity_provider || conf.contains(PROVIDER_KEY) {
            return None;
        }
        Some(Refusal {
            reason: format!(
                "the driver service account {}/{} uses Azure workload identity ({CLIENT_ID_ANNOTATION}), but \
                 Spark 3.5 is built on Hadoop 3.3.4, whose hadoop-azure has no WorkloadIdentityTokenProvider \
                 (it came with hadoop-azure 3.4.1, which Spark 4.0 and later use)",
                self.namespace, self.service_account
            ),
            hint: format!(
                "use a Spark 4.0+ image; or run as a service account without the annotation \
                 (spark.kubernetes.authenticate.driver.serviceAccountName); or set {PROVIDER_KEY} yourself \
                 to the Azure authentication you provide"
            ),
        })
    }

    /// Where the tenant comes from, for humans.
    pub fn tenant_source(&self) -> String {
        match &self.tenant_id {
            Some(t) => format!("tenant {t}"),
            None => "the tenant the webhook injects (AZURE_TENANT_ID)".into(),
        }
    }

    /// The Azure CLI command that lets this service account's tokens stand
    /// for the managed identity (names kspark cannot know in capitals). The
    /// audience is written out although it is az's default, so that the
    /// command shows everything Azure will match the token on; az's option
    /// is `--audiences` (a list), which an abbreviation may not reach.
    pub fn federated_credential_command(&self, issuer: &str) -> String {
        format!(
            "az identity federated-credential create --name kspark-{ns}-{sa} --identity-name IDENTITY_NAME \
             --resource-group RESOURCE_GROUP --issuer {issuer} --subject system:serviceaccount:{ns}:{sa} \
             --audiences {AUDIENCE}",
            ns = self.namespace,
            sa = self.service_account
        )
    }
}

#[cfg(test)]
mod tests {
    use kspark_config::Source;
    use kspark_config::version::SparkLine;

    use super::*;

    fn identity(tenant: Option<&str>) -> WorkloadIdentity {
        let mut annotations = BTreeMap::from([(CLIENT_ID_ANNOTATION.to_string(), " 1111-client ".to_string())]);
        if let Some(t) = tenant {
            annotations.insert(TENANT_ID_ANNOTATION.into(), t.into());
        }
        WorkloadIdentity::from_annotations("team-a", "spark", Some(&annotations))
            .unwrap_or_else(|| panic!("annotated account not recognised"))
    }

    fn value(settings: &[(String, String)], key: &str) -> Option<String> {
        settings.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn only_a_client_id_makes_an_identity() {
        assert_eq!(WorkloadIdentity::from_annotations("n", "s", None), None);
        let empty = BTreeMap::from([(CLIENT_ID_ANNOTATION.to_string(), " ".to_string())]);
        assert_eq!(WorkloadIdentity::from_annotations("n", "s", Some(&empty)), None);
        let tenant_only = BTreeMap::from([(TENANT_ID_ANNOTATION.to_string(), "t".to_string())]);
        assert_eq!(WorkloadIdentity::from_annotations("n", "s", Some(&tenant_only)), None);
        assert_eq!(identity(None).client_id, "1111-client");
    }

    #[test]
    fn annotation_values_are_literal_the_rest_from_the_webhook_env() {
        let all = identity(Some("2222-tenant")).settings_to_add(&SparkConf::default());
        assert_eq!(all.len(), 8);
        assert_eq!(value(&all, CLIENT_ID_KEY).as_deref(), Some("1111-client"));
        assert_eq!(value(&all, TENANT_KEY).as_deref(), Some("2222-tenant"));
        assert_eq!(value(&all, PROVIDER_KEY).as_deref(), Some(TOKEN_PROVIDER));
        assert_eq!(value(&all, DRIVER_LABEL_KEY).as_deref(), Some("true"));
        assert_eq!(value(&all, EXECUTOR_LABEL_KEY).as_deref(), Some("true"));
        let without_tenant = identity(None).settings_to_add(&SparkConf::default());
        assert_eq!(value(&without_tenant, TENANT_KEY).as_deref(), Some("${env.AZURE_TENANT_ID}"));
    }

    #[test]
    fn user_settings_win() {
        let mut conf = SparkConf::default();
        conf.set(CLIENT_ID_KEY, "mine", Source::ConfFlag);
        conf.set(EXECUTOR_LABEL_KEY, "false", Source::ConfFlag);
        let added = identity(None).settings_to_add(&conf);
        assert_eq!(added.len(), 6);
        assert_eq!(value(&added, CLIENT_ID_KEY), None);
        assert_eq!(value(&added, EXECUTOR_LABEL_KEY), None);
    }

    #[test]
    fn spark_3_5_is_refused_unless_the_user_chose_the_provider() {
        let conf = SparkConf::default();
        let refusal = identity(None)
            .refusal(&LineFeatures::of(SparkLine::V3_5), &conf)
            .map(|r| r.to_string())
            .unwrap_or_default();
        assert!(refusal.contains("Spark 3.5") && refusal.contains("hadoop-azure 3.4.1"), "{refusal}");
        assert!(refusal.contains("Spark 4.0+ image"), "{refusal}");
        for line in [SparkLine::V4_0, SparkLine::V4_1, SparkLine::V4_2, SparkLine::V4_3] {
            assert_eq!(identity(None).refusal(&LineFeatures::of(line), &conf), None);
        }
        let mut chosen = SparkConf::default();
        chosen.set(PROVIDER_KEY, "com.example.Provider", Source::ConfFlag);
        assert_eq!(identity(None).refusal(&LineFeatures::of(SparkLine::V3_5), &chosen), None);
    }

    #[test]
    fn the_federated_credential_names_the_account() {
        let command = identity(None).federated_credential_command("https://issuer.example");
        assert!(command.contains("--issuer https://issuer.example"), "{command}");
        assert!(command.contains("--subject system:serviceaccount:team-a:spark"), "{command}");
        assert!(command.ends_with("--audiences api://AzureADTokenExchange"), "{command}");
    }

    /// Every option is one `az identity federated-credential create` has
    /// (its own spelling: az may refuse an abbreviation).
    #[test]
    fn the_federated_credential_command_uses_only_azs_options() {
        let known = ["--name", "--identity-name", "--resource-group", "--issuer", "--subject", "--audiences"];
        let command = identity(None).federated_credential_command("https://issuer.example");
        let used: Vec<&str> = command.split_whitespace().filter(|w| w.starts_with("--")).collect();
        assert_eq!(used, known, "{command}");
    }
}
