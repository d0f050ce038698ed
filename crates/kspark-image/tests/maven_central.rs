//! Checks data/azure-jars.toml against Maven Central (reachable here and in
//! CI): each line's Hadoop version is the one its Spark release names, every
//! runtime dependency of hadoop-azure's POM is either pinned at the POM's
//! version or listed as already in the Spark image, nothing else is pinned,
//! and each pin is the SHA-256 of the artifact Maven Central serves (whose
//! own .sha1 is checked too). Cached Spark distributions
//! (scripts/fetch-spark.sh) are checked for the Hadoop client jar and for
//! the jars `in_spark` relies on.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kspark_image::azure_jars::{MAVEN_CENTRAL, PinnedJar, SparkLine, lines};
use kspark_image::maven::sha256_hex;

const TRIES: u32 = 4;

fn client() -> reqwest::Client {
    kspark_image::install_crypto_provider();
    reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("test input")
}

/// GET with a few retries: a passing network fault must not fail the test.
async fn get(client: &reqwest::Client, url: &str) -> Vec<u8> {
    let mut last = String::new();
    for attempt in 0..TRIES {
        match client.get(url).send().await.and_then(|r| r.error_for_status()) {
            Ok(response) => match response.bytes().await {
                Ok(body) => return body.to_vec(),
                Err(e) => last = e.to_string(),
            },
            // A 404 is an answer, not a fault: no retry.
            Err(e) if e.status() == Some(reqwest::StatusCode::NOT_FOUND) => panic!("{url}: not found on Maven Central"),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_secs(2 << attempt)).await;
    }
    panic!("{url}: {last}")
}

fn path(group: &str, artifact: &str, version: &str, ext: &str) -> String {
    format!("{MAVEN_CENTRAL}/{}/{artifact}/{version}/{artifact}-{version}.{ext}", group.replace('.', "/"))
}

/// A dependency as a POM declares it.
#[derive(Debug)]
struct Declared {
    group: String,
    artifact: String,
    version: Option<String>,
    /// None when the POM leaves it to dependencyManagement (then compile).
    scope: Option<String>,
    optional: bool,
    exclusions: BTreeSet<String>,
}

impl Declared {
    fn key(&self) -> String {
        format!("{}:{}", self.group, self.artifact)
    }
    /// What a consumer gets at run time (compile and runtime scopes).
    fn at_runtime(&self) -> bool {
        !self.optional && matches!(self.scope.as_deref().unwrap_or("compile"), "compile" | "runtime")
    }
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn text(node: roxmltree::Node, name: &str) -> Option<String> {
    child(node, name).and_then(|c| c.text()).map(|t| t.trim().to_string())
}

/// The POM's own properties plus project.version.
fn properties(doc: &roxmltree::Document) -> BTreeMap<String, String> {
    let project = doc.root_element();
    let mut props: BTreeMap<String, String> = child(project, "properties")
        .map(|p| {
            p.children()
                .filter(|c| c.is_element())
                .map(|c| (c.tag_name().name().to_string(), c.text().unwrap_or("").trim().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let version = text(project, "version").or_else(|| child(project, "parent").and_then(|p| text(p, "version")));
    if let Some(v) = version {
        props.insert("project.version".into(), v);
    }
    props
}

fn resolve(value: &str, props: &BTreeMap<String, String>) -> String {
    let mut value = value.to_string();
    for _ in 0..5 {
        let Some(start) = value.find("${") else { break };
        let Some(end) = value[start..].find('}') else { break };
        let name = value[start + 2..start + end].to_string();
        let Some(replacement) = props.get(&name) else { break };
        value.replace_range(start..start + end + 1, replacement);
    }
    value
}

fn dependencies(node: Option<roxmltree::Node>, props: &BTreeMap<String, String>) -> Vec<Declared> {
    let Some(node) = node else { return Vec::new() };
    node.children()
        .filter(|c| c.has_tag_name("dependency"))
        .map(|d| Declared {
            group: text(d, "groupId").unwrap_or_default(),
            artifact: text(d, "artifactId").unwrap_or_default(),
            version: text(d, "version").map(|v| resolve(&v, props)),
            scope: text(d, "scope"),
            optional: text(d, "optional").as_deref() == Some("true"),
            exclusions: child(d, "exclusions")
                .map(|e| {
                    e.children()
                        .filter(|x| x.has_tag_name("exclusion"))
                        .map(|x| {
                            format!(
                                "{}:{}",
                                text(x, "groupId").unwrap_or_default(),
                                text(x, "artifactId").unwrap_or_default()
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The runtime dependencies of `group:artifact:version`, versions filled in
/// from the parent's dependencyManagement when the POM leaves them out.
async fn runtime_dependencies(client: &reqwest::Client, group: &str, artifact: &str, version: &str) -> Vec<Declared> {
    let pom = String::from_utf8(get(client, &path(group, artifact, version, "pom")).await).expect("test input");
    let doc = roxmltree::Document::parse(&pom).expect("test input");
    let project = doc.root_element();
    let mut props = properties(&doc);
    let mut managed: BTreeMap<String, Declared> = BTreeMap::new();
    if let Some(parent) = child(project, "parent") {
        let (pg, pa, pv) = (
            text(parent, "groupId").expect("test input"),
            text(parent, "artifactId").expect("test input"),
            text(parent, "version").expect("test input"),
        );
        let parent_pom = String::from_utf8(get(client, &path(&pg, &pa, &pv, "pom")).await).expect("test input");
        let parent_doc = roxmltree::Document::parse(&parent_pom).expect("test input");
        let mut parent_props = properties(&parent_doc);
        parent_props.extend(props.clone());
        props = parent_props;
        let management =
            child(parent_doc.root_element(), "dependencyManagement").and_then(|m| child(m, "dependencies"));
        for d in dependencies(management, &props) {
            managed.insert(d.key(), d);
        }
    }
    let mut declared = dependencies(child(project, "dependencies"), &props);
    for d in &mut declared {
        if let Some(m) = managed.get(&d.key()) {
            d.version = d.version.take().or_else(|| m.version.clone());
            d.scope = d.scope.take().or_else(|| m.scope.clone());
        }
    }
    declared.into_iter().filter(Declared::at_runtime).collect()
}

fn pinned_key(jar: &PinnedJar) -> String {
    format!("{}:{}", jar.coordinate.group_id, jar.coordinate.artifact_id)
}

/// Walks hadoop-azure's runtime dependencies (through the pinned jars,
/// honouring exclusions) and checks each against the line.
async fn check_dependencies(client: &reqwest::Client, line: &SparkLine) {
    let pinned: BTreeMap<String, &PinnedJar> = line.jars.iter().map(|j| (pinned_key(j), j)).collect();
    let mut reached: BTreeSet<String> = BTreeSet::from(["org.apache.hadoop:hadoop-azure".to_string()]);
    let mut in_spark_used: BTreeSet<String> = BTreeSet::new();
    let mut pending = vec![("org.apache.hadoop:hadoop-azure".to_string(), BTreeSet::new())];
    while let Some((key, excluded)) = pending.pop() {
        let jar = pinned[&key];
        let c = &jar.coordinate;
        for dep in runtime_dependencies(client, &c.group_id, &c.artifact_id, &c.version).await {
            if excluded.contains(&dep.key()) || excluded.contains(&format!("{}:*", dep.group)) {
                continue;
            }
            if line.in_spark.contains(&dep.key()) {
                in_spark_used.insert(dep.key());
                continue;
            }
            let Some(pin) = pinned.get(&dep.key()) else {
                panic!(
                    "Spark {}.x: {} needs {} {:?} at run time; pin it or list it in in_spark",
                    line.spark,
                    c,
                    dep.key(),
                    dep.version
                );
            };
            assert_eq!(
                Some(&pin.coordinate.version),
                dep.version.as_ref(),
                "Spark {}.x: {} asks {} at another version",
                line.spark,
                c,
                dep.key()
            );
            if reached.insert(dep.key()) {
                let mut excluded = excluded.clone();
                excluded.extend(dep.exclusions.iter().cloned());
                pending.push((dep.key(), excluded));
            }
        }
    }
    let pinned_keys: BTreeSet<String> = pinned.keys().cloned().collect();
    assert_eq!(reached, pinned_keys, "Spark {}.x: a pinned jar is no runtime dependency of hadoop-azure", line.spark);
    let in_spark: BTreeSet<String> = line.in_spark.iter().cloned().collect();
    assert_eq!(in_spark_used, in_spark, "Spark {}.x: in_spark lists what nothing needs", line.spark);
}

async fn check_hadoop_of_release(client: &reqwest::Client, line: &SparkLine) {
    let Some(release) = &line.maven_release else {
        return;
    };
    assert!(release.starts_with(&format!("{}.", line.spark)), "{release} is not of Spark {}.x", line.spark);
    let artifact = format!("spark-parent_{}", line.scala);
    let pom =
        String::from_utf8(get(client, &path("org.apache.spark", &artifact, release, "pom")).await).expect("test input");
    let doc = roxmltree::Document::parse(&pom).expect("test input");
    let hadoop =
        doc.descendants().find(|n| n.has_tag_name("hadoop.version") && n.text().is_some()).and_then(|n| n.text());
    assert_eq!(hadoop, Some(line.hadoop.as_str()), "Spark {release} names another Hadoop than the table's");
}

/// `checked` holds the jars already downloaded (lines share many).
async fn check_pins(client: &reqwest::Client, line: &SparkLine, checked: &mut BTreeSet<String>) {
    for jar in &line.jars {
        if !checked.insert(format!("{} {}", jar.coordinate, jar.sha256)) {
            continue;
        }
        let url = jar.url(MAVEN_CENTRAL);
        let content = get(client, &url).await;
        assert_eq!(sha256_hex(&content), jar.sha256, "{url}: the pinned sha256 is not the artifact's");
        let published_sha1 = String::from_utf8(get(client, &format!("{url}.sha1")).await).expect("test input");
        let sha1: String = sha1_hex(&content);
        assert_eq!(
            published_sha1.split_whitespace().next(),
            Some(sha1.as_str()),
            "{url}: the download is not Maven Central's artifact"
        );
    }
}

fn sha1_hex(data: &[u8]) -> String {
    // sha2 has no SHA-1; Maven Central's .sha1 is checked with the
    // system's sha1sum rather than another hashing crate.
    let mut child = std::process::Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha1sum (coreutils) runs");
    use std::io::Write;
    child.stdin.take().expect("test input").write_all(data).expect("test input");
    let out = child.wait_with_output().expect("test input");
    String::from_utf8(out.stdout).expect("test input").split_whitespace().next().unwrap_or_default().to_string()
}

/// The Spark distributions scripts/fetch-spark.sh has cached: the Hadoop
/// client is the table's version, and each in_spark entry is there.
fn check_cached_distributions(line: &SparkLine) -> Vec<String> {
    let cache = std::env::var("KSPARK_CACHE")
        .unwrap_or_else(|_| format!("{}/.cache/kspark", std::env::var("HOME").unwrap_or_default()));
    let mut checked = Vec::new();
    for version in kspark_config::version::SUPPORTED {
        if format!("{}.{}", version.major, version.minor) != line.spark {
            continue;
        }
        let jars = std::path::Path::new(&cache).join(format!("spark/{version}/deps/jars"));
        let Ok(entries) = std::fs::read_dir(&jars) else { continue };
        let names: Vec<String> =
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert!(
            names.contains(&format!("hadoop-client-api-{}.jar", line.hadoop)),
            "Spark {version} does not ship Hadoop {}",
            line.hadoop
        );
        for key in &line.in_spark {
            let artifact = key.rsplit(':').next().unwrap_or(key);
            // hadoop-common and its shaded guava are inside the shaded client jars.
            let wanted = match artifact {
                "hadoop-common" | "hadoop-shaded-guava" => "hadoop-client-runtime-",
                other => other,
            };
            assert!(
                names.iter().any(|n| n.starts_with(&format!("{wanted}-")) || n.starts_with(wanted)),
                "Spark {version} lacks {key}"
            );
        }
        for jar in &line.jars {
            assert!(!names.contains(&jar.file_name()), "Spark {version} already ships {}", jar.file_name());
        }
        checked.push(version.to_string());
    }
    checked
}

#[tokio::test]
async fn the_azure_jar_table_matches_maven_central() {
    let client = client();
    let mut checked_jars = BTreeSet::new();
    for line in lines().expect("test input") {
        check_hadoop_of_release(&client, &line).await;
        check_dependencies(&client, &line).await;
        check_pins(&client, &line, &mut checked_jars).await;
        let distributions = check_cached_distributions(&line);
        println!(
            "Spark {}.x → Hadoop {}: {} jars pinned; cached distributions checked: {distributions:?}",
            line.spark,
            line.hadoop,
            line.jars.len()
        );
    }
}
