//! AKS kubeconfigs (`az aks get-credentials` + `kubelogin convert-kubeconfig
//! -l MODE`) without kubelogin: kspark reads the kubelogin exec section and
//! gets the Entra ID token itself from a stand-in Entra ID on 127.0.0.1
//! (kspark_testcluster::entra), which hands out a token the real test
//! control plane accepts. kubelogin is never on PATH here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cluster;
use kspark_testcluster::entra::{EntraExpect, EntraStandIn, rsa_client_certificate};
use kspark_testcluster::{ExecPlugin, TestUser, block_on};

const SERVER_ID: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "0b5b3c1a-4c5e-4e4a-9d0a-1f2e3d4c5b6a";
const SECRET: &str = "spn-secret-Q8~never-printed";
const WRONG_TOKEN: &str = "entra-token-the-cluster-refuses";

fn cluster_token() -> String {
    cluster().token(TestUser::Admin).unwrap_or_else(|| panic!("admin has a token")).to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = cluster().run_dir().join("entra").join(kspark_testcluster::unique_name(name));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn expect(extra: impl FnOnce(&mut EntraExpect)) -> EntraExpect {
    let mut e = EntraExpect {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        scope: format!("{SERVER_ID}/.default"),
        ..Default::default()
    };
    extra(&mut e);
    e
}

fn stand_in(dir: &Path, expect: EntraExpect, tokens: Vec<String>, expires_in: u64) -> EntraStandIn {
    EntraStandIn::start(dir, expect, tokens, expires_in).unwrap_or_else(|e| panic!("stand-in Entra ID: {e}"))
}

/// A kubeconfig as `kubelogin convert-kubeconfig -l MODE` writes it, plus
/// `args` and the exec section's `env`.
fn kubeconfig(name: &str, args: &[&str], env: &[(&str, &str)]) -> PathBuf {
    let mut all: Vec<String> = vec!["get-token".into(), "--server-id".into(), SERVER_ID.into()];
    all.extend(args.iter().map(|s| s.to_string()));
    let plugin = ExecPlugin {
        command: "kubelogin".into(),
        args: all,
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        provide_cluster_info: false,
    };
    cluster().write_exec_kubeconfig(name, &plugin).unwrap_or_else(|e| panic!("kubeconfig: {e}"))
}

/// `kspark ARGS` with the stand-in's CA trusted, no Azure variables from
/// the outside, `bin` (if any) first on a PATH that has no kubelogin.
fn kspark(kubeconfig: &Path, entra: &EntraStandIn, bin: Option<&Path>, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kspark"));
    cmd.args(args).env("KUBECONFIG", kubeconfig).env("HOME", kubeconfig.parent().unwrap_or(Path::new("/")));
    cmd.env("SSL_CERT_FILE", entra.ca_file());
    let path = match bin {
        Some(dir) => format!("{}:/usr/bin:/bin", dir.display()),
        None => "/usr/bin:/bin".into(),
    };
    cmd.env("PATH", path);
    for (name, _) in std::env::vars() {
        if name.starts_with("AZURE_")
            || name.starts_with("AAD_")
            || name.starts_with("ARM_")
            || name.starts_with("IDENTITY_")
        {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap_or_else(|e| panic!("cannot run kspark: {e}"))
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Fails if a token or secret shows up anywhere in what kspark printed.
fn assert_no_secrets(out: &Output, secrets: &[&str]) {
    let (stdout, stderr) = text(out);
    let token = cluster_token();
    for secret in secrets.iter().copied().chain([token.as_str(), WRONG_TOKEN]) {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "a secret leaked:\n{stdout}\n{stderr}");
    }
}

fn assert_auth_ok(out: &Output, via: &str) {
    let (stdout, stderr) = text(out);
    assert!(out.status.success(), "kspark auth failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("Entra ID token via {via}")), "{stdout}");
    assert!(stdout.contains("kubelogin not needed"), "{stdout}");
    assert!(stdout.contains("user:     admin"), "{stdout}");
    assert!(stdout.contains("expires:  20"), "{stdout}");
}

#[test]
fn spn_with_a_client_secret_serves_auth_list_and_dry_run() {
    let dir = scratch("spn-secret");
    let entra = stand_in(&dir, expect(|e| e.client_secret = Some(SECRET.into())), vec![cluster_token()], 3600);
    let args = ["--login", "spn", "--client-id", CLIENT, "--tenant-id", TENANT, "--environment", "AzurePublicCloud"];
    let config =
        kubeconfig("entra-spn-secret", &[&args[..], &["--authority-host", entra.authority_host()]].concat(), &[]);
    let env = [("AAD_SERVICE_PRINCIPAL_CLIENT_SECRET", SECRET)];

    let auth = kspark(&config, &entra, None, &env, &["auth"]);
    assert_auth_ok(&auth, "service principal with a client secret");
    assert_no_secrets(&auth, &[SECRET]);

    let list = kspark(&config, &entra, None, &env, &["list", "-A"]);
    assert!(list.status.success(), "{:?}", text(&list));
    assert_no_secrets(&list, &[SECRET]);

    let before = entra.issued();
    let dry_run = kspark(
        &config,
        &entra,
        None,
        &env,
        &[
            "submit",
            "--dry-run",
            "-o",
            "yaml",
            "--master",
            &format!("k8s://{}", cluster().server_url()),
            "--deploy-mode",
            "cluster",
            "--class",
            "org.example.Main",
            "--conf",
            "spark.kubernetes.container.image=apache/spark:4.0.5",
            "local:///opt/app/app.jar",
        ],
    );
    assert!(dry_run.status.success(), "{:?}", text(&dry_run));
    assert_no_secrets(&dry_run, &[SECRET]);
    // A dry run reads the driver's service account (for its workload identity
    // annotation), which takes one token; it asks for nothing else.
    assert!(entra.issued() <= before + 1, "a dry run asks Entra ID at most once: {} tokens", entra.issued() - before);
    assert!(entra.refusals().is_empty(), "{:?}", entra.refusals());
}

#[test]
fn workload_identity_reads_the_webhook_variables() {
    let dir = scratch("wi");
    let federated = "eyJhbGciOiJSUzI1NiJ9.federated-service-account-token.sig";
    let token_file = dir.join("azure-identity-token");
    std::fs::write(&token_file, federated).unwrap_or_else(|e| panic!("{e}"));
    let entra = stand_in(&dir, expect(|e| e.federated_token = Some(federated.into())), vec![cluster_token()], 3600);
    let config = kubeconfig("entra-wi", &["--login", "workloadidentity"], &[]);
    let token_path = token_file.display().to_string();
    let env = [
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_FEDERATED_TOKEN_FILE", token_path.as_str()),
        ("AZURE_AUTHORITY_HOST", entra.authority_host()),
    ];
    let auth = kspark(&config, &entra, None, &env, &["auth"]);
    assert_auth_ok(&auth, "workload identity");
    assert_no_secrets(&auth, &[federated]);
}

#[test]
fn spn_with_a_client_certificate_signs_its_assertion() {
    let dir = scratch("spn-cert");
    let (pem, check) = rsa_client_certificate(&dir).unwrap_or_else(|e| panic!("openssl: {e}"));
    let entra = stand_in(&dir, expect(|e| e.certificate = Some(check)), vec![cluster_token()], 3600);
    let config = kubeconfig(
        "entra-spn-cert",
        &["-l", "spn", "--client-id", CLIENT, "-t", TENANT, "--authority-host", entra.authority_host()],
        &[],
    );
    let pem_path = pem.display().to_string();
    let auth = kspark(&config, &entra, None, &[("AZURE_CLIENT_CERTIFICATE_PATH", pem_path.as_str())], &["auth"]);
    assert_auth_ok(&auth, "service principal with a client certificate");
    assert!(entra.refusals().is_empty(), "{:?}", entra.refusals());
}

#[test]
fn msi_asks_the_managed_identity_endpoint() {
    let dir = scratch("msi");
    let header = "identity-header-secret";
    let entra = stand_in(&dir, expect(|e| e.identity_header = Some(header.into())), vec![cluster_token()], 3600);
    let config = kubeconfig("entra-msi", &["--login", "msi", "--client-id", CLIENT], &[]);
    let env = [("IDENTITY_ENDPOINT", entra.identity_endpoint()), ("IDENTITY_HEADER", header)];
    let auth = kspark(&config, &entra, None, &env, &["auth"]);
    assert_auth_ok(&auth, "managed identity");
    assert_no_secrets(&auth, &[header]);
}

#[test]
fn azurecli_runs_az_with_kubelogins_scope() {
    let dir = scratch("azurecli");
    let entra = stand_in(&dir, expect(|_| {}), vec![], 3600);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
    // A stand-in `az` that answers only the exact request kubelogin's
    // azurecli login makes.
    let expires_on = jiff::Timestamp::now().as_second() + 3600;
    let script = format!(
        "#!/bin/sh\nif [ \"$*\" != \"account get-access-token -o json --scope {SERVER_ID}/.default --tenant {TENANT}\" ]; then echo \"ERROR: unexpected az $*\" >&2; exit 2; fi\n\
         if [ \"$AZURE_CONFIG_DIR\" != /tmp/kspark-az-config ]; then echo \"ERROR: AZURE_CONFIG_DIR=$AZURE_CONFIG_DIR\" >&2; exit 2; fi\n\
         printf '{{\"accessToken\": \"%s\", \"expiresOn\": \"x\", \"expires_on\": {expires_on}, \"tokenType\": \"Bearer\"}}' '{}'\n",
        cluster_token()
    );
    let az = bin.join("az");
    std::fs::write(&az, script).unwrap_or_else(|e| panic!("{e}"));
    Command::new("chmod").arg("+x").arg(&az).status().unwrap_or_else(|e| panic!("{e}"));
    // The exec section's env reaches az, as it would reach kubelogin and its az.
    let config = kubeconfig(
        "entra-azurecli",
        &["--login", "azurecli", "--tenant-id", TENANT],
        &[("AZURE_CONFIG_DIR", "/tmp/kspark-az-config")],
    );
    let auth = kspark(&config, &entra, Some(&bin), &[], &["auth"]);
    assert_auth_ok(&auth, "Azure CLI");
    assert_no_secrets(&auth, &[]);
}

#[test]
fn the_environment_overrides_the_kubeconfig_as_in_kubelogin() {
    let dir = scratch("env");
    let entra = stand_in(&dir, expect(|e| e.client_secret = Some(SECRET.into())), vec![cluster_token()], 3600);
    // devicecode in the args, but AAD_LOGIN_METHOD (from the exec env) says
    // spn; the flag's secret loses to AZURE_CLIENT_SECRET.
    let config = kubeconfig(
        "entra-env",
        &[
            "--login",
            "devicecode",
            "--client-id",
            CLIENT,
            "--client-secret",
            "flag-secret",
            "--authority-host",
            entra.authority_host(),
        ],
        &[("AAD_LOGIN_METHOD", "spn"), ("AZURE_TENANT_ID", TENANT)],
    );
    let auth = kspark(&config, &entra, None, &[("AZURE_CLIENT_SECRET", SECRET)], &["auth"]);
    assert_auth_ok(&auth, "service principal with a client secret");
    assert_no_secrets(&auth, &[SECRET, "flag-secret"]);
}

#[test]
fn a_missing_secret_is_named_and_a_refusal_shows_its_aadsts_code() {
    let dir = scratch("errors");
    let entra = stand_in(&dir, expect(|e| e.client_secret = Some(SECRET.into())), vec![cluster_token()], 3600);
    let config = kubeconfig(
        "entra-errors",
        &["-l", "spn", "--client-id", CLIENT, "-t", TENANT, "--authority-host", entra.authority_host()],
        &[],
    );
    let missing = kspark(&config, &entra, None, &[], &["auth"]);
    let (_, stderr) = text(&missing);
    assert!(!missing.status.success());
    assert!(
        stderr.contains("kubelogin --login spn needs a client secret: set AAD_SERVICE_PRINCIPAL_CLIENT_SECRET"),
        "{stderr}"
    );

    let wrong = "wrong-secret-not-to-be-printed";
    let refused = kspark(&config, &entra, None, &[("AAD_SERVICE_PRINCIPAL_CLIENT_SECRET", wrong)], &["auth"]);
    let (_, stderr) = text(&refused);
    assert!(!refused.status.success());
    assert!(stderr.contains("AADSTS7000215"), "{stderr}");
    assert!(stderr.contains("Entra ID refused the token request"), "{stderr}");
    assert_no_secrets(&refused, &[wrong, SECRET]);
}

#[test]
fn a_refused_token_is_replaced_once() {
    let dir = scratch("401");
    let tokens = vec![WRONG_TOKEN.to_string(), cluster_token()];
    let entra = stand_in(&dir, expect(|e| e.client_secret = Some(SECRET.into())), tokens, 3600);
    let config = kubeconfig(
        "entra-401",
        &["-l", "spn", "--client-id", CLIENT, "-t", TENANT, "--authority-host", entra.authority_host()],
        &[],
    );
    let auth = kspark(&config, &entra, None, &[("AAD_SERVICE_PRINCIPAL_CLIENT_SECRET", SECRET)], &["auth"]);
    assert_auth_ok(&auth, "service principal with a client secret");
    assert_eq!(entra.issued(), 2, "the first token was refused (401) and replaced once");
    assert_no_secrets(&auth, &[SECRET]);
}

/// Environment variables the refresh check runs under (set by its parent).
const CHILD_KUBECONFIG: &str = "KSPARK_ENTRA_TEST_KUBECONFIG";

#[test]
fn short_lived_tokens_are_refreshed_before_expiry() {
    let dir = scratch("refresh");
    let entra = stand_in(&dir, expect(|e| e.client_secret = Some(SECRET.into())), vec![cluster_token()], 4);
    let config = kubeconfig(
        "entra-refresh",
        &["-l", "spn", "--client-id", CLIENT, "-t", TENANT, "--authority-host", entra.authority_host()],
        &[("AAD_SERVICE_PRINCIPAL_CLIENT_SECRET", SECRET)],
    );
    // The client lives in a child (this test binary again) that can be given
    // SSL_CERT_FILE, which a test cannot set for itself.
    let out = Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")))
        .args(["--exact", &child_test_name("long_lived_client_keeps_working"), "--ignored", "--nocapture"])
        .env(CHILD_KUBECONFIG, &config)
        .env("SSL_CERT_FILE", entra.ca_file())
        .env("KSPARK_CONTROL_PLANE_BIN", std::env::var_os("KSPARK_CONTROL_PLANE_BIN").unwrap_or_default())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    // Tokens live 4 s and are replaced at half-life: ~6 s of use needs 3+.
    assert!(entra.issued() >= 3, "only {} tokens fetched in 6 s of 4-second tokens", entra.issued());
    assert!(entra.refusals().is_empty(), "{:?}", entra.refusals());
}

/// `test`'s name as the test binary knows it: with this module's path,
/// less the binary's own name.
fn child_test_name(test: &str) -> String {
    match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::{test}"),
        None => test.to_string(),
    }
}

/// Run by `short_lived_tokens_are_refreshed_before_expiry` only.
#[test]
#[ignore = "run by short_lived_tokens_are_refreshed_before_expiry"]
fn long_lived_client_keeps_working() {
    let Some(config) = std::env::var_os(CHILD_KUBECONFIG) else { return };
    block_on(async move {
        let opts = kspark_kube::ConnectOptions { kubeconfig: Some(config.into()), ..Default::default() };
        let conn = kspark_kube::connect(&opts).await.unwrap_or_else(|e| panic!("connect: {e}"));
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(6) {
            kspark_kube::identity::whoami(&conn.client).await.unwrap_or_else(|e| panic!("whoami: {e}"));
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        let fetched = match &conn.entra {
            Some(tokens) => tokens.fetched().await,
            None => panic!("not an Entra connection: {}", conn.method),
        };
        assert!(fetched >= 3, "{fetched} tokens fetched");
    });
}

#[test]
fn devicecode_still_runs_kubelogin() {
    let dir = scratch("devicecode");
    let entra = stand_in(&dir, expect(|_| {}), vec![], 3600);
    let config = kubeconfig("entra-devicecode", &["--login", "devicecode", "--tenant-id", TENANT], &[]);

    let missing = kspark(&config, &entra, None, &[], &["auth"]);
    let (_, stderr) = text(&missing);
    assert!(!missing.status.success());
    assert!(stderr.contains("`kubelogin` failed: not found on PATH"), "{stderr}");

    // A stand-in kubelogin that answers only the device-code request.
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in \"get-token --server-id {SERVER_ID} --login devicecode --tenant-id {TENANT}\") ;; *) echo \"unexpected: $*\" >&2; exit 2;; esac\n\
         printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\"}}}}' '{}'\n",
        cluster_token()
    );
    let kubelogin = bin.join("kubelogin");
    std::fs::write(&kubelogin, script).unwrap_or_else(|e| panic!("{e}"));
    Command::new("chmod").arg("+x").arg(&kubelogin).status().unwrap_or_else(|e| panic!("{e}"));
    let auth = kspark(&config, &entra, Some(&bin), &[], &["auth"]);
    let (stdout, stderr) = text(&auth);
    assert!(auth.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("method:   exec plugin kubelogin"), "{stdout}");
    assert_eq!(entra.issued(), 0);
    assert_no_secrets(&auth, &[]);
}

/// `kspark operator run` on an AKS kubeconfig: its client outlives many
/// 4-second tokens and still submits a SparkApplication to COMPLETED.
#[test]
fn the_operator_refreshes_its_entra_tokens() {
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
    let admin_config = cluster().kubeconfig(TestUser::Admin);
    let crds = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["operator", "install", "--crds-only", "--kubeconfig"])
        .arg(&admin_config)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(crds.status.success(), "{:?}", text(&crds));
    let ns = kspark_testcluster::unique_name("entra-op");
    block_on(cluster().create_tenant_like_seed(&ns, "alice")).unwrap_or_else(|e| panic!("{ns}: {e}"));

    let dir = scratch("operator");
    let entra = stand_in(&dir, expect(|e| e.client_secret = Some(SECRET.into())), vec![cluster_token()], 4);
    let config = kubeconfig(
        "entra-operator",
        &["-l", "spn", "--client-id", CLIENT, "-t", TENANT, "--authority-host", entra.authority_host()],
        &[("AAD_SERVICE_PRINCIPAL_CLIENT_SECRET", SECRET)],
    );
    let mut operator = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["operator", "run", "--namespace", &ns, "--kubeconfig"])
        .arg(&config)
        .env("SSL_CERT_FILE", entra.ca_file())
        .env("PATH", "/usr/bin:/bin")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("kspark operator run: {e}"));
    // Outlive the first tokens before giving the operator work.
    std::thread::sleep(std::time::Duration::from_secs(6));

    let gvk = GroupVersionKind::gvk("sparkoperator.k8s.io", "v1beta2", "SparkApplication");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "sparkapplications");
    let app: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": "entra-pi"},
        "spec": {
            "type": "Scala", "mode": "cluster", "image": "apache/spark:4.0.5",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "sparkVersion": "4.0.5",
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark",
                       "annotations": {"kspark.test/outcome": "succeed", "kspark.test/run-millis": "300"}},
            "executor": {"instances": 1, "cores": 1, "memory": "512m"}
        }
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let state = block_on(async {
        let client = cluster().admin_client().await.unwrap_or_else(|e| panic!("{e}"));
        let apps: kube::Api<DynamicObject> = kube::Api::namespaced_with(client, &ns, &resource);
        apps.create(&PostParams::default(), &app).await.unwrap_or_else(|e| panic!("create: {e}"));
        let started = std::time::Instant::now();
        loop {
            let current = apps.get("entra-pi").await.unwrap_or_else(|e| panic!("get: {e}"));
            let state = current.data["status"]["applicationState"]["state"].as_str().unwrap_or("").to_string();
            if state == "COMPLETED" || started.elapsed() > std::time::Duration::from_secs(60) {
                break state;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    });
    let _ = operator.kill();
    let _ = operator.wait();
    assert_eq!(state, "COMPLETED");
    assert!(entra.issued() >= 2, "{} token(s): the operator never refreshed", entra.issued());
    assert!(entra.refusals().is_empty(), "{:?}", entra.refusals());
}
