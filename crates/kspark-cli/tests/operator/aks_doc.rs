//! docs/guide/src/aks.md stays true: every shell block not tagged `azure-only` is run,
//! as written, with bash against the test control plane (administrator's
//! sections as admin, user's sections as alice, the tenant's only user); no
//! Azure tool (`az`, `kubectl`, `kubelogin`, `helm`) appears outside an
//! Azure-only block; and the Bicep parameters and outputs the doc uses exist
//! in deploy/aks/main.bicep (there is no Bicep compiler here, so that file is
//! checked for structure only).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::cluster;
use k8s_openapi::api::core::v1::{Node, Pod, ServiceAccount};
use kspark_testcluster::{TestUser, block_on};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;

/// Values for what the doc's Azure-only blocks set.
const CLIENT_ID: &str = "0d6c1f2e-aaaa-bbbb-cccc-123456789abc";
const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const ACR_NAME: &str = "sparkacr123";
const STORAGE: &str = "sparkdata123";
/// The tenant the doc creates.
const NAMESPACE: &str = "team-a";
/// Commands that need Azure (or a cluster kspark's tests do not give them).
const AZURE_TOOLS: [&str; 4] = ["az", "kubectl", "kubelogin", "helm"];
/// kspark commands the doc must keep running against the test control plane.
const REQUIRED: [&str; 9] = [
    "kspark tenant create",
    "kspark doctor",
    "kspark image dockerfile",
    "kspark submit --master",
    "kspark logs -f",
    "kspark status",
    "kspark operator install",
    "kspark submit --as-resource",
    "kspark wait",
];

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fenced shell block of the doc.
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    azure_only: bool,
    /// The `## ` section it is in.
    section: String,
    body: String,
}

impl Block {
    /// The user whose kubeconfig runs it: alice in the user's sections.
    fn runner(&self) -> TestUser {
        if self.section.contains("(user") { TestUser::Alice } else { TestUser::Admin }
    }
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut section = String::new();
    // The block being read, and whether it is a shell block.
    let mut open: Option<(Block, bool)> = None;
    for (index, line) in doc.lines().enumerate() {
        if let Some((block, _)) = open.as_mut() {
            if line.trim_end() == "```" {
                blocks.extend(open.take().filter(|(_, shell)| *shell).map(|(block, _)| block));
            } else {
                block.body.push_str(line);
                block.body.push('\n');
            }
        } else if let Some(info) = line.strip_prefix("```") {
            let words: Vec<&str> = info.split_whitespace().collect();
            if words.first() == Some(&"sh") {
                let azure_only = words.contains(&"azure-only");
                open =
                    Some((Block { line: index + 1, azure_only, section: section.clone(), body: String::new() }, true));
            } else if !words.is_empty() {
                assert!(
                    ["text", "yaml", "python"].contains(&words[0]),
                    "docs/guide/src/aks.md:{}: code block of kind {:?}: shell blocks are ```sh (tested) or ```sh azure-only",
                    index + 1,
                    words[0]
                );
                open = Some((
                    Block { line: index + 1, azure_only: true, section: String::new(), body: String::new() },
                    false,
                ));
            }
        } else if let Some(title) = line.strip_prefix("## ") {
            section = title.to_string();
        }
    }
    assert!(open.is_none(), "docs/guide/src/aks.md: a code block is not closed");
    blocks
}

/// The block's commands: continuation lines joined, comments and heredoc
/// bodies left out.
fn commands(body: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    let mut heredoc_end: Option<String> = None;
    for line in body.lines() {
        if let Some(end) = &heredoc_end {
            if line.trim() == end {
                heredoc_end = None;
            }
            continue;
        }
        let code = line.split(" # ").next().unwrap_or_default().trim();
        if code.starts_with('#') || code.is_empty() {
            continue;
        }
        if let Some((_, tag)) = code.split_once("<<") {
            heredoc_end = Some(tag.trim().trim_matches(['\'', '"']).to_string());
        }
        match code.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(code);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

/// Programs a command runs: its first word and those after `$(`, `|`, `&&`.
fn programs(command: &str) -> Vec<String> {
    let spaced = command.replace("$(", " ; ").replace("&&", " ; ").replace(['|', '('], " ; ");
    spaced
        .split(';')
        .filter_map(|part| part.split_whitespace().find(|word| !word.contains('=')))
        .map(str::to_string)
        .collect()
}

#[test]
fn azure_tools_appear_only_in_azure_only_blocks() {
    let doc = read("docs/guide/src/aks.md");
    let blocks = blocks(&doc);
    let mut tested = String::new();
    for block in &blocks {
        if block.azure_only {
            assert!(
                block.body.starts_with("# azure-only\n"),
                "docs/guide/src/aks.md:{}: an azure-only block starts with the comment `# azure-only`",
                block.line
            );
            continue;
        }
        for command in commands(&block.body) {
            for program in programs(&command) {
                assert!(
                    !AZURE_TOOLS.contains(&program.as_str()),
                    "docs/guide/src/aks.md:{}: `{command}` needs Azure: move it to a ```sh azure-only block",
                    block.line
                );
                assert!(
                    program == "kspark" || program == "cat",
                    "docs/guide/src/aks.md:{}: `{program}` is neither kspark nor cat: the test does not know it runs",
                    block.line
                );
            }
            tested.push_str(&command);
            tested.push('\n');
        }
    }
    for required in REQUIRED {
        assert!(tested.contains(required), "docs/guide/src/aks.md no longer runs `{required}` in a tested block");
    }
    // Outside code blocks nothing is run, so only the blocks count; but an
    // Azure-only block must say which tool it needs.
    for block in blocks.iter().filter(|b| b.azure_only) {
        let uses_azure =
            commands(&block.body).iter().flat_map(|c| programs(c)).any(|p| AZURE_TOOLS.contains(&p.as_str()));
        assert!(uses_azure, "docs/guide/src/aks.md:{}: an azure-only block without an Azure command", block.line);
    }
}

/// `param NAME …` or `output NAME …` names of the Bicep file.
fn declared(bicep: &str, keyword: &str) -> BTreeSet<String> {
    bicep
        .lines()
        .filter_map(|line| line.strip_prefix(keyword)?.strip_prefix(' '))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Parameters without a default value: every deployment must pass them.
fn required_params(bicep: &str) -> BTreeSet<String> {
    bicep
        .lines()
        .filter_map(|line| line.strip_prefix("param "))
        .filter(|rest| !rest.contains('='))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_bicep_template_has_what_the_doc_passes_and_reads() {
    let bicep = read("deploy/aks/main.bicep");
    let params = declared(&bicep, "param");
    let outputs = declared(&bicep, "output");
    let opens = bicep.matches(['{', '[', '(']).count();
    let closes = bicep.matches(['}', ']', ')']).count();
    assert_eq!(opens, closes, "deploy/aks/main.bicep: unbalanced brackets");
    for must in ["oidcIssuerUrl", "sparkIdentityClientId"] {
        assert!(outputs.contains(must), "deploy/aks/main.bicep has no output {must}: {outputs:?}");
    }
    for setting in [
        "enableRBAC: true",
        "managed: true",
        "enableAzureRBAC: false",
        "oidcIssuerProfile",
        "workloadIdentity",
        "isHnsEnabled: true",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe", // Storage Blob Data Contributor
        "7f951dda-4ed3-4680-a7ca-43fe172d538d", // AcrPull
    ] {
        assert!(bicep.contains(setting), "deploy/aks/main.bicep lost {setting}");
    }

    let doc = read("docs/guide/src/aks.md");
    let deployments: Vec<String> = blocks(&doc)
        .iter()
        .flat_map(|b| commands(&b.body))
        .filter(|c| c.contains("--template-file deploy/aks/main.bicep"))
        .collect();
    assert!(!deployments.is_empty(), "docs/guide/src/aks.md deploys deploy/aks/main.bicep nowhere");
    for deployment in &deployments {
        let (_, passed) =
            deployment.split_once("--parameters").unwrap_or_else(|| panic!("no --parameters: {deployment}"));
        let names: BTreeSet<String> = passed
            .split_whitespace()
            .take_while(|word| !word.starts_with("--"))
            .filter_map(|word| word.split_once('=').map(|(name, _)| name.to_string()))
            .collect();
        for name in &names {
            assert!(
                params.contains(name),
                "docs/guide/src/aks.md passes {name}, which deploy/aks/main.bicep does not declare"
            );
        }
        for name in required_params(&bicep) {
            assert!(names.contains(&name), "docs/guide/src/aks.md does not pass the required parameter {name}");
        }
    }
    for (_, rest) in
        doc.match_indices("properties.outputs.").map(|(i, _)| doc.split_at(i + "properties.outputs.".len()))
    {
        let name = rest.split('.').next().unwrap_or_default();
        assert!(outputs.contains(name), "docs/guide/src/aks.md reads output {name}, which deploy/aks/main.bicep lacks");
    }
    for section in ["sparkVmSize", "systemVmSize", "sparkMinCount", "sparkMaxCount", "location"] {
        assert!(params.contains(section), "deploy/aks/main.bicep has no parameter {section}");
    }
}

fn kspark_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_kspark")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `kspark operator run` for the tenant: what the installed Deployment does
/// on AKS (the simulated node plays pods but runs no program). Killed when dropped.
struct Operator(Child);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn operator() -> Operator {
    let child = Command::new(env!("CARGO_BIN_EXE_kspark"))
        .args(["operator", "run", "--namespace", NAMESPACE])
        .env("KUBECONFIG", cluster().kubeconfig(TestUser::Admin))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("kspark operator run: {e}"));
    Operator(child)
}

/// AKS labels each node with its pool's name; the doc selects the Spark pool.
fn label_node_as_spark_pool() {
    let nodes: Api<Node> = Api::all(block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("{e}")));
    let patch = json!({"metadata": {"labels": {"agentpool": "spark"}}});
    block_on(nodes.patch(cluster().fake_node_name(), &PatchParams::default(), &Patch::Merge(&patch)))
        .unwrap_or_else(|e| panic!("label node: {e}"));
}

fn run_block(block: &Block, dir: &Path) -> Output {
    let path = format!("{}:{}", kspark_dir().display(), std::env::var("PATH").unwrap_or_default());
    Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block.body])
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env("KUBECONFIG", cluster().kubeconfig(block.runner()))
        .env("CLIENT_ID", CLIENT_ID)
        .env("TENANT_ID", TENANT_ID)
        .env("USER_OBJECT_ID", TestUser::Alice.username())
        .env("ACR_NAME", ACR_NAME)
        .env("STORAGE", STORAGE)
        .env("AKS_SERVER", cluster().server_url())
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"))
}

#[test]
fn the_doc_runs_against_the_test_control_plane() {
    label_node_as_spark_pool();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let doc = read("docs/guide/src/aks.md");
    let mut transcript = String::new();
    let mut _operator = None;
    for block in blocks(&doc).iter().filter(|b| !b.azure_only) {
        if block.body.contains("kspark operator install") {
            _operator = Some(operator());
        }
        let out = run_block(block, dir.path());
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "docs/guide/src/aks.md:{} (as {:?}) failed ({}):\n{}\n--- output ---\n{text}",
            block.line,
            block.runner(),
            out.status,
            block.body
        );
        transcript.push_str(&text);
    }
    eprintln!("{transcript}");

    // What each step is there for actually happened.
    let federation = format!(
        "az identity federated-credential create --name kspark-{NAMESPACE}-spark --identity-name IDENTITY_NAME \
         --resource-group RESOURCE_GROUP --issuer https://kubernetes.default.svc.cluster.local \
         --subject system:serviceaccount:{NAMESPACE}:spark --audiences api://AzureADTokenExchange"
    );
    assert!(transcript.contains(&federation), "doctor printed no {federation}:\n{transcript}");
    // `logs -f` and `status` found the job by its --name, and it ended well.
    assert!(transcript.contains("spark-kubernetes-driver exited 0"), "{transcript}");
    assert!(
        transcript.contains(&format!("{NAMESPACE}:wordcount-")) && transcript.contains("Succeeded"),
        "{transcript}"
    );
    assert!(transcript.contains("team-a:wordcount-nightly completed"), "{transcript}");
    assert!(transcript.contains("Azure workload identity from service account team-a/spark"), "{transcript}");
    let dockerfile =
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap_or_else(|e| panic!("Dockerfile: {e}"));
    assert!(dockerfile.contains("hadoop-azure-3.4.1.jar") && dockerfile.contains("wordcount.py"), "{dockerfile}");

    let admin = block_on(cluster().admin_client()).unwrap_or_else(|e| panic!("{e}"));
    let accounts: Api<ServiceAccount> = Api::namespaced(admin.clone(), NAMESPACE);
    let account = block_on(accounts.get("spark")).unwrap_or_else(|e| panic!("spark: {e}"));
    let annotations = account.metadata.annotations.unwrap_or_default();
    assert_eq!(annotations.get("azure.workload.identity/client-id").map(String::as_str), Some(CLIENT_ID));
    let pods: Api<Pod> = Api::namespaced(admin, NAMESPACE);
    let drivers = block_on(pods.list(&ListParams::default().labels("spark-role=driver")))
        .unwrap_or_else(|e| panic!("list: {e}"))
        .items;
    assert_eq!(drivers.len(), 2, "the submitted job and the SparkApplication's driver");
    for driver in drivers {
        let labels = driver.metadata.labels.unwrap_or_default();
        assert_eq!(labels.get("azure.workload.identity/use").map(String::as_str), Some("true"), "{labels:?}");
        let selector = driver.spec.and_then(|s| s.node_selector).unwrap_or_default();
        assert_eq!(selector.get("agentpool").map(String::as_str), Some("spark"));
    }
}
