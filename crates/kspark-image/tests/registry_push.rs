//! `image build --push` against real OCI registries: the CNCF distribution
//! registry (testcluster/build-registry.sh, from the Go module proxy) on
//! 127.0.0.1, in memory, with htpasswd Basic auth for the credential test.
//! A small synthetic multi-arch base image is pushed first (the official
//! image's registry is not reachable from tests); the result is pulled back
//! and its manifest, config and new layer are checked.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kspark_config::SparkVersion;
use kspark_image::app_files;
use kspark_image::azure_jars::line_for;
use kspark_image::build::{BuildError, Platform, PushRequest, Pushed, push};
use kspark_image::credentials::{self, Credential};
use kspark_image::layer::{self, Layer};
use kspark_image::maven::{self, sha256_hex};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::{Value, json};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// A registry process, stopped on drop.
struct Registry {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn registry_binary() -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testcluster/build-registry.sh");
    let out = Command::new(script).stderr(Stdio::inherit()).output().expect("testcluster/build-registry.sh runs");
    assert!(out.status.success(), "testcluster/build-registry.sh failed");
    String::from_utf8(out.stdout).expect("a path").trim().to_string()
}

/// Starts a registry on 127.0.0.1, in memory; with `htpasswd` (user,
/// password) it asks for Basic auth.
async fn start_registry(binary: &str, htpasswd: Option<(&str, &str)>) -> Registry {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let address = format!("127.0.0.1:{port}");
    let mut config =
        format!("version: 0.1\nlog:\n  level: error\nstorage:\n  inmemory: {{}}\nhttp:\n  addr: {address}\n");
    if let Some((user, password)) = htpasswd {
        let hash = bcrypt::hash(password, 4).expect("bcrypt");
        let file = dir.path().join("htpasswd");
        std::fs::write(&file, format!("{user}:{hash}\n")).expect("write htpasswd");
        config += &format!("auth:\n  htpasswd:\n    realm: kspark-test\n    path: {}\n", file.display());
    }
    let config_file = dir.path().join("config.yml");
    std::fs::write(&config_file, config).expect("write config");
    let child = Command::new(binary)
        .arg("serve")
        .arg(&config_file)
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the registry starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(&address).await.is_err() {
        assert!(Instant::now() < deadline, "the registry did not listen on {address}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Registry { child, address, _dir: dir }
}

fn client() -> Client {
    kspark_image::install_crypto_provider();
    Client::new(ClientConfig {
        protocol: ClientProtocol::Http,
        platform_resolver: None,
        use_monolithic_push: true,
        ..Default::default()
    })
}

fn reference(text: &str) -> Reference {
    text.parse().expect("a reference")
}

fn gz_tar(files: &[(&str, &[u8])]) -> (Vec<u8>, String) {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o755);
        tar.append_data(&mut header, path, *content).expect("tar");
    }
    let raw = tar.into_inner().expect("tar");
    let diff_id = format!("sha256:{}", sha256_hex(&raw));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &raw).expect("gzip");
    (gz.finish().expect("gzip"), diff_id)
}

fn digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// What the synthetic base is made of, per architecture.
struct BaseImage {
    layer_digest: String,
    diff_id: String,
    config: Value,
}

/// Pushes a two-platform (amd64, arm64) base image like apache/spark's
/// layout: one layer with /opt/entrypoint.sh and a jar, a config with
/// env, entrypoint, user and working dir.
async fn push_base(client: &Client, image: &Reference) -> Vec<(String, BaseImage)> {
    let mut entries = Vec::new();
    let mut bases = Vec::new();
    for arch in ["amd64", "arm64"] {
        let script = format!("#!/bin/sh\necho {arch}\n");
        let (layer, diff_id) =
            gz_tar(&[("opt/entrypoint.sh", script.as_bytes()), ("opt/spark/jars/spark-core.jar", b"core")]);
        let config = json!({
            "architecture": arch, "os": "linux",
            "config": {
                "Env": ["PATH=/usr/bin:/bin", "SPARK_HOME=/opt/spark"],
                "Entrypoint": ["/opt/entrypoint.sh"],
                "User": "spark",
                "WorkingDir": "/opt/spark/work-dir"
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "synthetic base"}]
        });
        let config_bytes = serde_json::to_vec(&config).expect("json");
        client.push_blob(image, layer.clone(), &digest(&layer)).await.expect("push base layer");
        client.push_blob(image, config_bytes.clone(), &digest(&config_bytes)).await.expect("push base config");
        let manifest = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config_bytes), "size": config_bytes.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(&layer), "size": layer.len()}]
        });
        let manifest_bytes = serde_json::to_vec(&manifest).expect("json");
        let by_digest =
            Reference::with_digest(image.registry().into(), image.repository().into(), digest(&manifest_bytes));
        client
            .push_manifest_raw(&by_digest, manifest_bytes.clone(), OCI_MANIFEST.parse().expect("header"))
            .await
            .expect("push base manifest");
        entries.push(json!({
            "mediaType": OCI_MANIFEST, "digest": digest(&manifest_bytes), "size": manifest_bytes.len(),
            "platform": {"os": "linux", "architecture": arch}
        }));
        bases.push((arch.to_string(), BaseImage { layer_digest: digest(&layer), diff_id, config }));
    }
    let index =
        serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})).expect("json");
    client.push_manifest_raw(image, index, OCI_INDEX.parse().expect("header")).await.expect("push base index");
    bases
}

async fn pull_json(client: &Client, image: &Reference, digest: &str) -> Value {
    let mut out = Vec::new();
    client.pull_blob(image, digest, &mut out).await.expect("pull blob");
    serde_json::from_slice(&out).expect("json blob")
}

/// The jars and the app the tests put in the image (the jars are the
/// table's for Spark 4.0, downloaded from Maven Central and checked).
async fn new_layer(context: &std::path::Path) -> (Layer, Vec<(String, String)>) {
    std::fs::write(context.join("job.py"), "print('hello')\n").expect("write");
    let line = line_for(SparkVersion::new(4, 0, 5)).expect("line");
    let jars = maven::download_all(&line.jars, None).await.expect("jars from Maven Central");
    let apps = app_files::resolve(context, &["job.py".into()]).expect("app");
    let pins = line.jars.iter().map(|j| (j.file_name(), j.sha256.clone())).collect();
    (layer::build(&jars, &apps).expect("layer"), pins)
}

fn request<'a>(
    base: &'a str,
    target: &'a str,
    platform: &str,
    plain_http: Vec<String>,
    layer: &'a Layer,
) -> PushRequest<'a> {
    PushRequest {
        base,
        target,
        platform: Platform::parse(platform).expect("platform"),
        base_credential: Credential::Anonymous,
        target_credential: Credential::Anonymous,
        plain_http,
        layer,
        created_by: "kspark image build (test)".into(),
    }
}

/// Pulls the pushed image back and checks manifest, config and layer.
async fn check_pushed(
    client: &Client,
    pushed: &Pushed,
    target: &str,
    base: &BaseImage,
    layer: &Layer,
    pins: &[(String, String)],
) {
    let target = reference(target);
    let (manifest_bytes, manifest_digest) =
        client.pull_manifest_raw(&target, &RegistryAuth::Anonymous, &[OCI_MANIFEST]).await.expect("pull manifest");
    assert_eq!(manifest_digest, pushed.manifest_digest);
    let manifest: Value = serde_json::from_slice(&manifest_bytes).expect("json");
    assert_eq!(manifest["mediaType"], OCI_MANIFEST);
    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2, "{manifest}");
    assert_eq!(layers[0]["digest"], base.layer_digest.as_str(), "the base layer comes first, unchanged");
    assert_eq!(layers[1]["digest"], layer.digest.as_str());
    assert_eq!(layers[1]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
    let mut base_blob = Vec::new();
    client
        .pull_blob(&target, base.layer_digest.as_str(), &mut base_blob)
        .await
        .expect("the base layer is in the target");
    assert_eq!(digest(&base_blob), base.layer_digest);

    let config = pull_json(client, &target, manifest["config"]["digest"].as_str().expect("config digest")).await;
    assert_eq!(config["config"], base.config["config"], "env, entrypoint, user and working dir are the base's");
    assert_eq!(config["architecture"], base.config["architecture"]);
    assert_eq!(config["rootfs"]["diff_ids"], json!([base.diff_id, layer.diff_id]));
    assert_eq!(config["history"].as_array().map(Vec::len), Some(2));

    let mut blob = Vec::new();
    client.pull_blob(&target, layer.digest.as_str(), &mut blob).await.expect("pull layer");
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&blob[..]).read_to_end(&mut tar_bytes).expect("gunzip");
    assert_eq!(digest(&tar_bytes), layer.diff_id);
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut seen = std::collections::BTreeMap::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").display().to_string();
        let mode = entry.header().mode().expect("mode");
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read");
        seen.insert(path, (sha256_hex(&content), content, mode));
    }
    for (name, sha256) in pins {
        let (actual, _, mode) = &seen[&format!("opt/spark/jars/{name}")];
        assert_eq!(actual, sha256, "{name} in the image is the pinned jar");
        assert_eq!(*mode, 0o644);
    }
    assert_eq!(seen["opt/app/job.py"].1, b"print('hello')\n");
    assert_eq!(seen.len(), pins.len() + 2, "jars, /opt/app/ and job.py only: {:?}", seen.keys());
}

#[tokio::test]
async fn build_pushes_base_layers_plus_one_layer_with_jars_and_app() {
    let binary = registry_binary();
    let (source, other) = (start_registry(&binary, None).await, start_registry(&binary, None).await);
    let client = client();
    let base_ref = format!("{}/apache/spark:4.0.5-test", source.address);
    let bases = push_base(&client, &reference(&base_ref)).await;
    let context = tempfile::tempdir().expect("temp dir");
    let (layer, pins) = new_layer(context.path()).await;
    let plain_http = vec![source.address.clone(), other.address.clone()];

    // Another registry: the base layer is copied.
    let target = format!("{}/spark-azure:4.0.5", other.address);
    let pushed = push(request(&base_ref, &target, "linux/amd64", plain_http.clone(), &layer)).await.expect("push");
    assert_eq!((pushed.base_layers, pushed.copied, pushed.mounted), (1, 1, 0), "{pushed:?}");
    check_pushed(&client, &pushed, &target, &bases[0].1, &layer, &pins).await;

    // The same registry, another repository: the base layer is mounted.
    let target = format!("{}/team/spark-azure:arm", source.address);
    let pushed = push(request(&base_ref, &target, "linux/arm64", plain_http.clone(), &layer)).await.expect("push");
    assert_eq!((pushed.copied, pushed.mounted), (0, 1), "{pushed:?}");
    check_pushed(&client, &pushed, &target, &bases[1].1, &layer, &pins).await;

    // Pushing again finds everything in place.
    let pushed_again =
        push(request(&base_ref, &target, "linux/arm64", plain_http.clone(), &layer)).await.expect("push");
    assert_eq!((pushed_again.already_there, pushed_again.manifest_digest), (1, pushed.manifest_digest));

    // A platform the base lacks is refused, naming those it has.
    let err = push(request(&base_ref, &target, "linux/s390x", plain_http, &layer)).await.expect_err("no s390x");
    assert!(matches!(err, BuildError::NoPlatform { .. }), "{err}");
    assert!(err.to_string().contains("linux/amd64, linux/arm64"), "{err}");
}

#[tokio::test]
async fn docker_config_credentials_log_in_and_never_show_in_errors() {
    let registry = start_registry(&registry_binary(), Some(("alice", "s3cret-pass"))).await;
    let address = registry.address.clone();
    let docker = tempfile::tempdir().expect("temp dir");
    let config = docker.path().join("config.json");
    let write_config = |auth: &str| {
        std::fs::write(&config, format!(r#"{{"auths":{{"http://{address}/":{{"auth":"{auth}"}}}}}}"#)).expect("write")
    };
    // The base goes in with the registry's credentials.
    let base = format!("{address}/apache/spark:4.0.5");
    let kspark_client = client();
    let basic = RegistryAuth::Basic("alice".into(), "s3cret-pass".into());
    kspark_client.auth(&reference(&base), &basic, oci_client::RegistryOperation::Push).await.expect("log in");
    push_base(&kspark_client, &reference(&base)).await;
    let layer = layer::build(&[], &[]).expect("layer");
    let target = format!("{address}/spark-azure:1");

    // base64("alice:wrong-pass"): refused, and neither password is shown.
    write_config("YWxpY2U6d3JvbmctcGFzcw==");
    let wrong = credentials::lookup(&address, None, Some(&config)).expect("lookup");
    let mut req = request(&base, &target, "linux/amd64", vec![address.clone()], &layer);
    req.base_credential = wrong.clone();
    req.target_credential = wrong;
    let err = push(req).await.expect_err("a wrong password is refused");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-pass") && !shown.contains("YWxpY2U6d3JvbmctcGFzcw=="), "{shown}");

    // base64("alice:s3cret-pass"): the push goes through.
    write_config("YWxpY2U6czNjcmV0LXBhc3M=");
    let right = credentials::lookup(&address, None, Some(&config)).expect("lookup");
    let mut req = request(&base, &target, "linux/amd64", vec![address.clone()], &layer);
    req.base_credential = right.clone();
    req.target_credential = right;
    let pushed = push(req).await.expect("push with the Docker config's credentials");
    assert_eq!(pushed.mounted + pushed.already_there, 1, "{pushed:?}");
}
