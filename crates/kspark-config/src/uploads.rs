//! Which resources spark-submit uploads through
//! `spark.kubernetes.file.upload.path`, where they go, and how the URIs it
//! sends are rewritten — as Spark's Kubernetes client does it (recorded in
//! golden/cases/upload-*): every local entry (`file:` URI or bare path) of
//! `spark.jars`, `spark.files`, `spark.archives` and `spark.submit.pyFiles`,
//! and a local primary resource, goes to `UPLOAD_PATH/spark-upload-UUID/NAME`
//! with one UUID per file. Pure: no uploading here, only a look at the local
//! files to refuse missing ones before anything is sent.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::conf::Source;
use crate::submission::{AppKind, Submission};

pub const UPLOAD_PATH_KEY: &str = "spark.kubernetes.file.upload.path";

/// The list settings whose local entries Spark uploads, in Spark's order.
pub const UPLOADED_KEYS: [&str; 4] = ["spark.jars", "spark.files", "spark.archives", "spark.submit.pyFiles"];

/// The upload path schemes kspark can write to.
pub const SUPPORTED_SCHEMES: [&str; 8] = ["file", "abfss", "abfs", "wasbs", "wasb", "s3a", "gs", "s3"];

/// What the primary resource of a Java application becomes when it is a
/// local jar (Spark ships it through `spark.jars` instead).
const NO_RESOURCE: &str = "spark-internal";

/// One local file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUpload {
    /// The file on this machine.
    pub source: PathBuf,
    /// Where it goes below the upload path: `spark-upload-UUID/NAME`.
    pub object: String,
    /// The URI the driver gets, as Spark writes it.
    pub target: String,
    /// Which setting named it (`spark.jars`, …, or `the primary resource`).
    pub origin: String,
    /// The entry as the user wrote it.
    pub entry: String,
}

/// Every upload of one submission, below one upload path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadPlan {
    pub upload_path: String,
    pub uploads: Vec<PlannedUpload>,
}

impl UploadPlan {
    pub fn is_empty(&self) -> bool {
        self.uploads.is_empty()
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum UploadPlanError {
    #[error(
        "{origin} `{entry}` is a file on this machine, which Spark uploads through {UPLOAD_PATH_KEY}, and that is not set; hint: set --conf {UPLOAD_PATH_KEY}=abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH (or file://, wasbs://, s3a://, gs://), or put the file in the image (local:///path)"
    )]
    NoUploadPath { origin: String, entry: String },
    #[error(
        "{UPLOAD_PATH_KEY}={path} (from {origin}): kspark cannot upload to `{scheme}:` URIs; hint: use one of abfss://, abfs://, wasbs://, s3a://, gs:// or file:///shared/volume"
    )]
    UnsupportedScheme { path: String, scheme: String, origin: Source },
    #[error(
        "{UPLOAD_PATH_KEY}={path} (from {origin}) is not a URI; hint: give scheme and location, e.g. abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/spark-uploads"
    )]
    NotAUri { path: String, origin: Source },
    #[error("{origin} `{entry}`: no such file {}; hint: check the path (relative paths start at the current directory)", path.display())]
    MissingFile { origin: String, entry: String, path: PathBuf },
    #[error("{origin} `{entry}`: {} is not a regular file; hint: Spark uploads single files (zip a directory and pass it with --archives)", path.display())]
    NotAFile { origin: String, entry: String, path: PathBuf },
    #[error("{origin} `{entry}` is not a usable file URI; hint: write file:///absolute/path or a plain path")]
    BadFileUri { origin: String, entry: String },
}

/// Plans the uploads of `submission` and rewrites its URIs to where the
/// files will be. `new_dir_id` gives the UUID of each `spark-upload-UUID`
/// directory. Refuses, before anything is uploaded, a local file without
/// an upload path, an upload path kspark cannot write to, and missing files.
pub fn plan(
    submission: &mut Submission,
    cwd: &Path,
    new_dir_id: &mut dyn FnMut() -> String,
) -> Result<UploadPlan, UploadPlanError> {
    let mut planner = Planner { cwd, upload_path: None, submission_conf: submission, uploads: Vec::new(), new_dir_id };
    for key in UPLOADED_KEYS {
        planner.rewrite_key(key)?;
    }
    planner.rewrite_primary()?;
    let upload_path = planner.upload_path.unwrap_or_default();
    Ok(UploadPlan { upload_path, uploads: planner.uploads })
}

struct Planner<'a> {
    cwd: &'a Path,
    upload_path: Option<String>,
    submission_conf: &'a mut Submission,
    uploads: Vec<PlannedUpload>,
    new_dir_id: &'a mut dyn FnMut() -> String,
}

impl Planner<'_> {
    /// Spark writes the uploaded entries first, then the others in their order.
    fn rewrite_key(&mut self, key: &str) -> Result<(), UploadPlanError> {
        let value = self.submission_conf.conf.get(key).unwrap_or_default().to_string();
        let entries: Vec<&str> = value.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
        if !entries.iter().any(|e| is_local(e)) {
            return Ok(());
        }
        let mut uploaded = Vec::new();
        for entry in entries.iter().filter(|e| is_local(e)) {
            let target = self.add(key, entry)?;
            uploaded.push(if key == "spark.archives" { archive_uri(&target, fragment(entry)) } else { target });
        }
        uploaded.extend(entries.iter().filter(|e| !is_local(e)).map(|e| e.to_string()));
        self.submission_conf.conf.set(key, uploaded.join(","), Source::Derived);
        Ok(())
    }

    /// A local Python or R file is uploaded; a local jar is already in
    /// `spark.jars`, and the driver is told `spark-internal`.
    fn rewrite_primary(&mut self) -> Result<(), UploadPlanError> {
        let primary = self.submission_conf.primary_resource.clone();
        if primary == NO_RESOURCE || !is_local(&primary) {
            return Ok(());
        }
        self.submission_conf.primary_resource = match self.submission_conf.kind {
            AppKind::Java => NO_RESOURCE.to_string(),
            AppKind::Python | AppKind::R => self.add("the primary resource", &primary)?,
        };
        Ok(())
    }

    fn add(&mut self, origin: &str, entry: &str) -> Result<String, UploadPlanError> {
        let upload_path = self.upload_path(origin, entry)?;
        let source = local_path(entry, self.cwd)
            .ok_or_else(|| UploadPlanError::BadFileUri { origin: origin.into(), entry: entry.into() })?;
        let source = check_file(source, origin, entry)?;
        let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let object = format!("spark-upload-{}/{name}", (self.new_dir_id)());
        let target = format!("{upload_path}/{object}");
        self.uploads.push(PlannedUpload {
            source,
            object,
            target: target.clone(),
            origin: origin.into(),
            entry: entry.into(),
        });
        Ok(target)
    }

    fn upload_path(&mut self, origin: &str, entry: &str) -> Result<String, UploadPlanError> {
        if let Some(path) = &self.upload_path {
            return Ok(path.clone());
        }
        let conf = &self.submission_conf.conf;
        let Some(setting) = conf.setting(UPLOAD_PATH_KEY) else {
            return Err(UploadPlanError::NoUploadPath { origin: origin.into(), entry: entry.into() });
        };
        check_upload_path(&setting.value, &setting.source)?;
        self.upload_path = Some(setting.value.clone());
        Ok(setting.value.clone())
    }
}

/// The upload path must be a URI with a scheme kspark can write to.
pub fn check_upload_path(path: &str, source: &Source) -> Result<(), UploadPlanError> {
    let Some(scheme) = scheme(path) else {
        return Err(UploadPlanError::NotAUri { path: path.into(), origin: source.clone() });
    };
    if !SUPPORTED_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
        return Err(UploadPlanError::UnsupportedScheme {
            path: path.into(),
            scheme: scheme.into(),
            origin: source.clone(),
        });
    }
    Ok(())
}

/// The scheme of a URI as `java.net.URI` finds it: letters, digits, `+-.`
/// before the first `:`, starting with a letter, before any `/?#`.
pub fn scheme(entry: &str) -> Option<&str> {
    let end = entry.find([':', '/', '?', '#'])?;
    let candidate = &entry[..end];
    let valid = entry[end..].starts_with(':')
        && candidate.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && candidate.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(candidate)
}

/// A bare path or a `file:` URI: a file on this machine.
pub fn is_local(entry: &str) -> bool {
    match scheme(entry) {
        None => !entry.trim().is_empty(),
        Some(s) => s.eq_ignore_ascii_case("file"),
    }
}

fn fragment(entry: &str) -> Option<&str> {
    entry.split_once('#').map(|(_, f)| f)
}

/// The file a local entry names, without its `#fragment`.
fn local_path(entry: &str, cwd: &Path) -> Option<PathBuf> {
    let without_fragment = entry.split('#').next().unwrap_or(entry);
    let path = match scheme(without_fragment) {
        None => without_fragment.to_string(),
        Some(_) => {
            let rest = &without_fragment[5..];
            let path = match rest.strip_prefix("//") {
                // file://host/path: the authority is not part of the path.
                Some(authority_and_path) => &authority_and_path[authority_and_path.find('/')?..],
                None => rest,
            };
            if !path.starts_with('/') {
                return None;
            }
            percent_decode(path)
        }
    };
    Some(cwd.join(path))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Spark names the object after the canonical file (symbolic links resolved).
fn check_file(path: PathBuf, origin: &str, entry: &str) -> Result<PathBuf, UploadPlanError> {
    let missing = || UploadPlanError::MissingFile { origin: origin.into(), entry: entry.into(), path: path.clone() };
    let canonical = std::fs::canonicalize(&path).map_err(|_| missing())?;
    if !canonical.is_file() {
        return Err(UploadPlanError::NotAFile { origin: origin.into(), entry: entry.into(), path });
    }
    Ok(canonical)
}

/// Spark rebuilds an uploaded archive's URI with `UriBuilder` to put the
/// `#alias` back; that drops an empty authority (`file:///x` → `file:/x`).
fn archive_uri(target: &str, fragment: Option<&str>) -> String {
    let normalized = match scheme(target) {
        Some(s) if target[s.len()..].starts_with(":///") => format!("{s}:{}", &target[s.len() + 3..]),
        _ => target.to_string(),
    };
    match fragment {
        Some(f) => format!("{normalized}#{f}"),
        None => normalized,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::SparkConf;
    use crate::master::Master;

    fn submission(primary: &str, kind: AppKind, conf: &[(&str, &str)]) -> Submission {
        let mut c = SparkConf::new();
        for (k, v) in conf {
            c.set(*k, *v, Source::ConfFlag);
        }
        Submission {
            master: Master::Kubernetes { api_url: "https://k".into() },
            conf: c,
            primary_resource: primary.into(),
            kind,
            main_class: "Main".into(),
            app_args: vec![],
            proxy_user: None,
            notes: vec![],
            packages: None,
        }
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("id{n}")
        }
    }

    fn fixture_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        for name in ["a.jar", "b.py", "env.tar.gz", "app.py", "app.jar"] {
            std::fs::write(dir.path().join(name), name).unwrap_or_else(|e| panic!("write: {e}"));
        }
        dir
    }

    #[test]
    fn schemes_follow_java_uri() {
        assert_eq!(scheme("abfss://c@a.dfs.core.windows.net/x"), Some("abfss"));
        assert_eq!(scheme("file:/x"), Some("file"));
        assert_eq!(scheme("dir/x:y.jar"), None);
        assert_eq!(scheme("x.jar#a:b"), None);
        assert_eq!(scheme("1x:y"), None);
        assert!(is_local("deps.zip") && is_local("file:///x") && !is_local("local:///x") && !is_local("https://h/x"));
    }

    #[test]
    fn uploaded_entries_come_first_and_archives_keep_their_alias() {
        let dir = fixture_dir();
        let conf = [
            (UPLOAD_PATH_KEY, "file:///up"),
            ("spark.jars", "local:///opt/x.jar, a.jar"),
            ("spark.archives", "local:///o.zip#o,env.tar.gz#environment,env.tar.gz"),
            ("spark.files", "https://h/f.csv"),
        ];
        let mut sub = submission("local:///app.py", AppKind::Python, &conf);
        let plan = plan(&mut sub, dir.path(), &mut ids()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sub.conf.get("spark.jars"), Some("file:///up/spark-upload-id1/a.jar,local:///opt/x.jar"));
        assert_eq!(
            sub.conf.get("spark.archives"),
            Some(
                "file:/up/spark-upload-id2/env.tar.gz#environment,file:/up/spark-upload-id3/env.tar.gz,local:///o.zip#o"
            )
        );
        assert_eq!(sub.conf.get("spark.files"), Some("https://h/f.csv"));
        assert_eq!(sub.primary_resource, "local:///app.py");
        let objects: Vec<&str> = plan.uploads.iter().map(|u| u.object.as_str()).collect();
        assert_eq!(objects, ["spark-upload-id1/a.jar", "spark-upload-id2/env.tar.gz", "spark-upload-id3/env.tar.gz"]);
        assert_eq!(plan.uploads[1].origin, "spark.archives");
    }

    #[test]
    fn primary_python_is_uploaded_and_a_java_jar_becomes_spark_internal() {
        let dir = fixture_dir();
        let abs = format!("file://{}", dir.path().join("app.py").display());
        let mut py = submission(&abs, AppKind::Python, &[(UPLOAD_PATH_KEY, "abfss://c@acct.dfs.core.windows.net/u")]);
        let plan_py = plan(&mut py, Path::new("/"), &mut ids()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(py.primary_resource, "abfss://c@acct.dfs.core.windows.net/u/spark-upload-id1/app.py");
        assert_eq!(plan_py.uploads.len(), 1);

        let conf = [(UPLOAD_PATH_KEY, "s3a://b/u/"), ("spark.jars", "app.jar")];
        let mut java = submission("app.jar", AppKind::Java, &conf);
        let plan_java = plan(&mut java, dir.path(), &mut ids()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(java.primary_resource, "spark-internal");
        assert_eq!(java.conf.get("spark.jars"), Some("s3a://b/u//spark-upload-id1/app.jar"));
        assert_eq!(plan_java.uploads.len(), 1);
    }

    #[test]
    fn refusals_name_the_entry_and_the_key() {
        let dir = fixture_dir();
        let mut sub = submission("local:///a.py", AppKind::Python, &[("spark.submit.pyFiles", "b.py")]);
        let err = plan(&mut sub, dir.path(), &mut ids()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("spark.submit.pyFiles `b.py`") && err.contains(UPLOAD_PATH_KEY), "{err}");

        let conf = [(UPLOAD_PATH_KEY, "hdfs://nn/u"), ("spark.files", "b.py")];
        let mut sub = submission("local:///a.py", AppKind::Python, &conf);
        let err = plan(&mut sub, dir.path(), &mut ids()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("hdfs:") && err.contains("--conf"), "{err}");

        let conf = [(UPLOAD_PATH_KEY, "file:///u"), ("spark.files", "missing.txt")];
        let mut sub = submission("local:///a.py", AppKind::Python, &conf);
        let err = plan(&mut sub, dir.path(), &mut ids()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("spark.files `missing.txt`") && err.contains("no such file"), "{err}");

        let conf = [(UPLOAD_PATH_KEY, "file:///u"), ("spark.files", "file:relative.txt")];
        let mut sub = submission("local:///a.py", AppKind::Python, &conf);
        assert!(matches!(plan(&mut sub, dir.path(), &mut ids()), Err(UploadPlanError::BadFileUri { .. })));
    }

    #[test]
    fn nothing_local_means_nothing_planned_and_nothing_rewritten() {
        let conf = [("spark.submit.pyFiles", ""), ("spark.jars", "local:///a.jar ,https://h/b.jar")];
        let mut sub = submission("local:///a.py", AppKind::Python, &conf);
        let before = sub.clone();
        let plan = plan(&mut sub, Path::new("/"), &mut ids()).unwrap_or_else(|e| panic!("{e}"));
        assert!(plan.is_empty());
        assert_eq!(sub, before);
    }

    #[test]
    fn file_uris_decode_and_skip_the_authority() {
        assert_eq!(local_path("file://host/a%20b.jar#x", Path::new("/c")), Some(PathBuf::from("/a b.jar")));
        assert_eq!(local_path("lib/a.jar", Path::new("/c")), Some(PathBuf::from("/c/lib/a.jar")));
        assert_eq!(local_path("file:rel.jar", Path::new("/c")), None);
    }
}
