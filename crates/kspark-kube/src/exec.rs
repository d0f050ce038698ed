//! Runs a kubeconfig exec credential plugin (kubelogin on AKS) once, the
//! way client-go does, so kspark knows the token's expiry up front and the
//! plugin is not run several times per client.

use std::process::{Command, Stdio};

use jiff::Timestamp;
use kube::config::{ExecConfig, ExecInteractiveMode};
use serde::Deserialize;

use crate::error::ConnectError;

#[derive(Debug, Deserialize)]
struct ExecCredential {
    status: Option<ExecStatus>,
}

#[derive(Debug, Deserialize)]
struct ExecStatus {
    #[serde(rename = "expirationTimestamp")]
    expiration_timestamp: Option<String>,
    token: Option<String>,
    #[serde(rename = "clientCertificateData")]
    client_certificate_data: Option<String>,
    #[serde(rename = "clientKeyData")]
    client_key_data: Option<String>,
}

/// What a plugin returned.
pub struct ExecOutput {
    pub token: Option<String>,
    pub client_cert_pem: Option<String>,
    pub client_key_pem: Option<String>,
    pub expires_at: Option<Timestamp>,
}

pub fn run(exec: &ExecConfig) -> Result<ExecOutput, ConnectError> {
    let command = exec.command.clone().ok_or_else(|| ConnectError::Exec {
        command: "(none)".into(),
        reason: "the kubeconfig's exec section has no command".into(),
    })?;
    let output = build(exec, &command).output().map_err(|e| ConnectError::Exec {
        command: command.clone(),
        reason: match (e.kind(), &exec.install_hint) {
            (std::io::ErrorKind::NotFound, Some(hint)) => {
                format!("not found on PATH. {}", hint.trim())
            }
            (std::io::ErrorKind::NotFound, None) => {
                "not found on PATH (AKS kubeconfigs need kubelogin: https://aka.ms/kubelogin)".into()
            }
            _ => e.to_string(),
        },
    })?;
    if !output.status.success() {
        return Err(ConnectError::Exec {
            command,
            reason: format!("exited with {}: {}", output.status, String::from_utf8_lossy(&output.stderr).trim()),
        });
    }
    parse(&command, &output.stdout)
}

fn build(exec: &ExecConfig, command: &str) -> Command {
    let mut cmd = Command::new(command);
    cmd.args(exec.args.iter().flatten());
    for pair in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) {
            cmd.env(name, value);
        }
    }
    for name in exec.drop_env.iter().flatten() {
        cmd.env_remove(name);
    }
    let interactive = exec.interactive_mode != Some(ExecInteractiveMode::Never);
    let info = serde_json::json!({
        "apiVersion": exec.api_version.clone().unwrap_or_else(|| "client.authentication.k8s.io/v1".into()),
        "kind": "ExecCredential",
        "spec": {"interactive": interactive},
    });
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string());
    cmd.stdin(if interactive { Stdio::inherit() } else { Stdio::null() });
    cmd.stderr(if interactive { Stdio::inherit() } else { Stdio::piped() });
    cmd
}

fn parse(command: &str, stdout: &[u8]) -> Result<ExecOutput, ConnectError> {
    let bad = |reason: String| ConnectError::Exec { command: command.to_string(), reason };
    let credential: ExecCredential =
        serde_saphyr::from_slice(stdout).map_err(|e| bad(format!("printed no ExecCredential: {e}")))?;
    let status = credential.status.ok_or_else(|| bad("its ExecCredential has no status".into()))?;
    let expires_at = status
        .expiration_timestamp
        .as_deref()
        .map(|t| t.parse::<Timestamp>().map_err(|e| bad(format!("bad expirationTimestamp {t}: {e}"))))
        .transpose()?;
    Ok(ExecOutput {
        token: status.token.map(|t| t.trim_end().to_string()),
        client_cert_pem: status.client_certificate_data,
        client_key_pem: status.client_key_data,
        expires_at,
    })
}
