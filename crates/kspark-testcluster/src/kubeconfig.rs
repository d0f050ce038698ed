//! Kubeconfig files for the test users, the control-plane components and
//! special cases (exec credential plugin, wrong CA).
//!
//! Credentials and the CA are embedded (`*-data` fields) so that a file can
//! be copied or handed to another tool without its neighbours.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::fsutil;

/// How a kubeconfig's user authenticates.
#[derive(Debug, Clone)]
pub enum KubeconfigCredential {
    /// A bearer token.
    Token(String),
    /// A client certificate and its key, PEM.
    ClientCert { cert_pem: String, key_pem: String },
    /// An exec credential plugin (`client.authentication.k8s.io/v1`).
    Exec(ExecPlugin),
}

/// An exec credential plugin as kubectl and kube-rs run it.
#[derive(Debug, Clone, Default)]
pub struct ExecPlugin {
    /// The program (absolute path, or a name looked up on PATH).
    pub command: PathBuf,
    pub args: Vec<String>,
    /// Extra environment variables for the plugin.
    pub env: Vec<(String, String)>,
    /// Ask the client to pass the cluster's details in
    /// `KUBERNETES_EXEC_INFO` (`provideClusterInfo`).
    pub provide_cluster_info: bool,
}

/// Where the API server is and which CA its certificate chains to.
#[derive(Debug, Clone)]
pub(crate) struct ClusterEndpoint {
    pub server: String,
    pub ca_pem: String,
}

/// The kubeconfig document for one user, context named `name`.
pub(crate) fn render(name: &str, cluster: &ClusterEndpoint, credential: &KubeconfigCredential) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": "kspark-test",
            "cluster": {
                "server": cluster.server,
                "certificate-authority-data": b64(&cluster.ca_pem),
            },
        }],
        "users": [{ "name": name, "user": user_entry(credential) }],
        "contexts": [{
            "name": name,
            "context": { "cluster": "kspark-test", "user": name, "namespace": "default" },
        }],
        "current-context": name,
        "preferences": {},
    })
}

fn user_entry(credential: &KubeconfigCredential) -> Value {
    match credential {
        KubeconfigCredential::Token(token) => json!({ "token": token }),
        KubeconfigCredential::ClientCert { cert_pem, key_pem } => json!({
            "client-certificate-data": b64(cert_pem),
            "client-key-data": b64(key_pem),
        }),
        KubeconfigCredential::Exec(plugin) => json!({ "exec": exec_entry(plugin) }),
    }
}

fn exec_entry(plugin: &ExecPlugin) -> Value {
    let env: Vec<Value> = plugin.env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
    json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": plugin.command.to_string_lossy(),
        "args": plugin.args,
        "env": env,
        "interactiveMode": "Never",
        "provideClusterInfo": plugin.provide_cluster_info,
    })
}

/// Renders and writes a kubeconfig (YAML) readable only by its owner.
pub(crate) fn write(
    path: &Path,
    name: &str,
    cluster: &ClusterEndpoint,
    credential: &KubeconfigCredential,
) -> Result<PathBuf> {
    let doc = render(name, cluster, credential);
    // Plain scalars: some kubeconfig readers mishandle folded (`>-`) base64.
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    let yaml = serde_saphyr::to_string_with_options(&doc, options)
        .map_err(|e| Error::Kubeconfig { path: path.to_path_buf(), message: e.to_string() })?;
    fsutil::write_private(path, yaml.as_bytes())?;
    Ok(path.to_path_buf())
}

fn b64(text: &str) -> String {
    STANDARD.encode(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::config::Kubeconfig;

    fn endpoint() -> ClusterEndpoint {
        ClusterEndpoint {
            server: "https://127.0.0.1:6443".into(),
            ca_pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into(),
        }
    }

    #[test]
    fn kube_rs_reads_back_a_token_kubeconfig() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("kspark-kc-test-{}", std::process::id()));
        fsutil::create_dir_all(&dir)?;
        let path =
            write(&dir.join("alice.kubeconfig"), "alice", &endpoint(), &KubeconfigCredential::Token("t0k".into()))?;
        let kc = Kubeconfig::read_from(&path)?;
        assert_eq!(kc.current_context.as_deref(), Some("alice"));
        let cluster = kc.clusters[0].cluster.as_ref().ok_or("no cluster")?;
        assert_eq!(cluster.server.as_deref(), Some("https://127.0.0.1:6443"));
        assert_eq!(cluster.certificate_authority_data.as_deref(), Some(b64(&endpoint().ca_pem).as_str()));
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn exec_entry_uses_v1_and_never_prompts() {
        let plugin = ExecPlugin {
            command: "/bin/echo".into(),
            args: vec!["hi".into()],
            env: vec![("A".into(), "b".into())],
            provide_cluster_info: true,
        };
        let doc = render("x", &endpoint(), &KubeconfigCredential::Exec(plugin));
        let exec = &doc["users"][0]["user"]["exec"];
        assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1");
        assert_eq!(exec["interactiveMode"], "Never");
        assert_eq!(exec["env"][0]["name"], "A");
        assert_eq!(exec["provideClusterInfo"], true);
    }
}
