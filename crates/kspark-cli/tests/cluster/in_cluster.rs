//! kspark inside a pod: no kubeconfig, only `KUBERNETES_SERVICE_HOST`/`PORT`
//! and the service account's token, CA and namespace files — here written by
//! the test from a real TokenRequest of the test control plane into a
//! directory named by `KSPARK_SERVICEACCOUNT_DIR`, then rotated the way the
//! kubelet rotates projected tokens.

use std::path::Path;
use std::process::{Command, Output};

use crate::{admin, cluster, text};
use k8s_openapi::api::authentication::v1::{BoundObjectReference, SelfSubjectReview, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Pod, Secret, ServiceAccount};
use kspark_testcluster::{TestUser, block_on};
use kube::api::{DeleteParams, ListParams, ObjectMeta, PostParams};
use kube::{Api, Client};

/// The API server's port, for `KUBERNETES_SERVICE_PORT`.
fn port() -> String {
    cluster().server_url().rsplit(':').next().unwrap_or_default().trim_end_matches('/').to_string()
}

/// A token for `account`, bound to a Secret of its own so that deleting the
/// Secret revokes exactly this token.
fn bound_token(ns: &str, account: &str, secret: &str) -> String {
    let secrets: Api<Secret> = Api::namespaced(admin(), ns);
    let meta = ObjectMeta { name: Some(secret.into()), ..Default::default() };
    let created = block_on(secrets.create(&PostParams::default(), &Secret { metadata: meta, ..Default::default() }))
        .unwrap_or_else(|e| panic!("secret {secret}: {e}"));
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: Vec::new(),
            expiration_seconds: Some(3600),
            bound_object_ref: Some(BoundObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Secret".into()),
                name: Some(secret.into()),
                uid: created.metadata.uid,
            }),
        },
        ..Default::default()
    };
    let accounts: Api<ServiceAccount> = Api::namespaced(admin(), ns);
    let issued = block_on(accounts.create_token_request(account, &PostParams::default(), &request))
        .unwrap_or_else(|e| panic!("token request for {account}: {e}"));
    issued.status.map(|s| s.token).unwrap_or_default()
}

/// Replaces the token file in one step, as the kubelet does (it swaps a
/// symlink); a reader never sees half a token.
fn rotate(dir: &Path, token: &str) {
    let next = dir.join(".token.next");
    std::fs::write(&next, token).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&next, dir.join("token")).unwrap_or_else(|e| panic!("{e}"));
}

/// kspark as a pod runs it: no kubeconfig anywhere, the service account's
/// files in `dir`.
fn kspark_in_pod(dir: &Path, args: &[&str]) -> Output {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap_or_else(|e| panic!("{e}"));
    Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", &home)
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port())
        .env("KSPARK_SERVICEACCOUNT_DIR", dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

/// Whether the API server accepts `token` (a SelfSubjectReview, which any
/// authenticated identity may make).
fn accepted(token: &str) -> bool {
    let kubeconfig = kube::config::Kubeconfig::read_from(cluster().kubeconfig(TestUser::Alice))
        .unwrap_or_else(|e| panic!("kubeconfig: {e}"));
    let mut config = block_on(kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()))
        .unwrap_or_else(|e| panic!("config: {e}"));
    config.auth_info = kube::config::AuthInfo { token: Some(token.to_string().into()), ..Default::default() };
    block_on(async {
        // The client's buffer task needs the runtime, so it is built inside it.
        let client = Client::try_from(config).unwrap_or_else(|e| panic!("client: {e}"));
        let api: Api<SelfSubjectReview> = Api::all(client);
        api.create(&PostParams::default(), &SelfSubjectReview::default()).await.is_ok()
    })
}

#[test]
fn the_service_account_token_is_used_and_reread_when_it_rotates() {
    let ns = format!("incluster-{}", std::process::id() % 100_000);
    let account = "submitter";
    let user = format!("system:serviceaccount:{ns}:{account}");
    block_on(cluster().create_tenant_like_seed(&ns, &user)).unwrap_or_else(|e| panic!("tenant {ns}: {e}"));
    let accounts: Api<ServiceAccount> = Api::namespaced(admin(), &ns);
    let meta = ObjectMeta { name: Some(account.into()), ..Default::default() };
    block_on(accounts.create(&PostParams::default(), &ServiceAccount { metadata: meta, ..Default::default() }))
        .unwrap_or_else(|e| panic!("service account: {e}"));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = bound_token(&ns, account, "first-token");
    rotate(dir.path(), &first);
    std::fs::write(dir.path().join("ca.crt"), cluster().ca_cert_pem()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("namespace"), &ns).unwrap_or_else(|e| panic!("{e}"));

    // `kspark auth`: the server sees the pod's service account.
    let out = kspark_in_pod(dir.path(), &["auth", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let auth: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(auth["user"], user.as_str(), "{auth}");
    assert!(auth["method"].as_str().is_some_and(|m| m.starts_with("in-cluster service account")), "{auth}");
    assert_eq!(auth["valid"], true, "{auth}");
    assert!(!text(&out).contains(&first), "the token leaked into `kspark auth`");

    // `kspark submit --no-wait`: created with the service account's rights.
    let master = format!("k8s://{}", cluster().server_url());
    let submit = |extra: &[&str]| {
        let mut args = vec![
            "submit",
            "--master",
            &master,
            "--deploy-mode",
            "cluster",
            "--no-wait",
            "--name",
            "incluster",
            "--class",
            "org.example.Main",
            "--conf",
            "spark.kubernetes.container.image=apache/spark:4.0.5",
            "--conf",
            "spark.kubernetes.authenticate.driver.serviceAccountName=spark",
            "--skip-preflight",
        ];
        args.extend_from_slice(extra);
        args.push("local:///opt/app/app.jar");
        kspark_in_pod(dir.path(), &args)
    };
    let ns_conf = format!("spark.kubernetes.namespace={ns}");
    let out = submit(&["--conf", &ns_conf]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("submitted incluster"), "{}", text(&out));
    let pods: Api<Pod> = Api::namespaced(admin(), &ns);
    let listed = block_on(pods.list(&ListParams::default())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.items.len(), 1, "one driver pod in {ns}");

    // Without spark.kubernetes.namespace Spark submits to `default`; the
    // preamble names the service account's namespace it did not use.
    let out = kspark_in_pod(
        dir.path(),
        &[
            "submit",
            "--dry-run",
            "--master",
            &master,
            "--deploy-mode",
            "cluster",
            "--conf",
            "spark.kubernetes.container.image=apache/spark:4.0.5",
            "local:///opt/app/job.py",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("namespace default (") && stderr.contains(&format!("`{ns}` of the in-cluster")),
        "{stderr}"
    );

    // Rotation: the kubelet writes a new token and the old one stops
    // working; the next requests must carry the new one.
    let second = bound_token(&ns, account, "second-token");
    rotate(dir.path(), &second);
    let secrets: Api<Secret> = Api::namespaced(admin(), &ns);
    block_on(secrets.delete("first-token", &DeleteParams::default())).unwrap_or_else(|e| panic!("{e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while accepted(&first) {
        assert!(std::time::Instant::now() < deadline, "the API server still accepts the revoked first token");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(accepted(&second));

    let out = kspark_in_pod(dir.path(), &["auth", "-o", "json"]);
    assert!(out.status.success(), "after rotation: {}", text(&out));
    let auth: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(auth["user"], user.as_str(), "{auth}");
    let out = kspark_in_pod(dir.path(), &["auth", "token"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), second, "`kspark auth token` prints the rotated token");
    let out = submit(&["--conf", &ns_conf]);
    assert!(out.status.success(), "submitting after rotation: {}", text(&out));
    let listed = block_on(pods.list(&ListParams::default())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.items.len(), 2, "a second driver pod in {ns}");
}

#[test]
fn a_missing_token_file_is_not_a_pod_and_a_broken_ca_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // No token: not in a pod, so no cluster to talk to (and no panic).
    let out = kspark_in_pod(dir.path(), &["auth"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no cluster to talk to"), "{}", text(&out));
    // A token but a CA that is not PEM: the file is named.
    rotate(dir.path(), "not-a-real-token");
    std::fs::write(dir.path().join("ca.crt"), "garbage").unwrap_or_else(|e| panic!("{e}"));
    let out = kspark_in_pod(dir.path(), &["auth"]);
    assert!(!out.status.success());
    let log = text(&out);
    assert!(log.contains("in-cluster service account ca.crt") && log.contains("ca.crt"), "{log}");
    assert!(!log.contains("not-a-real-token"), "the token leaked: {log}");
}
