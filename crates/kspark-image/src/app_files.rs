//! The application's files (`--app PATH…`): files or folders under the
//! build context (the current directory), copied to /opt/app/<name>.

use std::path::{Component, Path, PathBuf};

use thiserror::Error;

use crate::APP_DIR;

#[derive(Debug, Error)]
pub enum AppFileError {
    #[error("--app {0}: no such file or folder")]
    Missing(String),
    #[error(
        "--app {0}: outside the build context {1}; a Dockerfile can only copy files under it — run kspark from a folder that contains the application"
    )]
    OutsideContext(String, String),
    #[error("--app {0} and --app {1} would both be {2} in the image; rename one of them")]
    SameName(String, String, String),
    #[error("--app {0}: the name is not UTF-8 text; rename it")]
    NotUtf8(String),
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
}

/// One `--app` argument, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFile {
    /// The path as given, for messages.
    pub given: String,
    /// Where kspark reads it (the context joined with the relative path).
    pub source: PathBuf,
    /// Relative to the build context, with `/` (for COPY).
    pub context_path: String,
    /// Where it lands in the image.
    pub image_path: String,
    pub is_dir: bool,
}

/// Resolves `--app` paths against `context`.
pub fn resolve(context: &Path, given: &[PathBuf]) -> Result<Vec<AppFile>, AppFileError> {
    let mut resolved: Vec<AppFile> = Vec::new();
    for path in given {
        let shown = path.display().to_string();
        let absolute = if path.is_absolute() { path.clone() } else { context.join(path) };
        let metadata = std::fs::metadata(&absolute).map_err(|_| AppFileError::Missing(shown.clone()))?;
        let relative = relative_to(context, &absolute)
            .ok_or_else(|| AppFileError::OutsideContext(shown.clone(), context.display().to_string()))?;
        let name = relative.rsplit('/').next().unwrap_or(&relative).to_string();
        let image_path = format!("{APP_DIR}/{name}");
        if let Some(other) = resolved.iter().find(|f| f.image_path == image_path) {
            return Err(AppFileError::SameName(other.given.clone(), shown, image_path));
        }
        resolved.push(AppFile {
            given: shown,
            source: absolute,
            context_path: relative,
            image_path,
            is_dir: metadata.is_dir(),
        });
    }
    Ok(resolved)
}

/// `path` relative to `context` with `/` separators, lexically (`..` may
/// not climb out), or None when it is outside.
fn relative_to(context: &Path, path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let stripped = path.strip_prefix(context).ok()?;
    for component in stripped.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_string()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Every file under an app folder (or the file itself), with its path in
/// the image, sorted so that a layer built from them is reproducible.
pub fn walk(app: &AppFile) -> Result<Vec<(PathBuf, String)>, AppFileError> {
    let mut out = Vec::new();
    if !app.is_dir {
        out.push((app.source.clone(), app.image_path.clone()));
        return Ok(out);
    }
    let mut pending = vec![(app.source.clone(), app.image_path.clone())];
    while let Some((dir, image_dir)) = pending.pop() {
        out.push((dir.clone(), format!("{image_dir}/")));
        let entries = std::fs::read_dir(&dir).map_err(|e| AppFileError::Read(dir.display().to_string(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| AppFileError::Read(dir.display().to_string(), e))?;
            let name = entry.file_name();
            let name = name.to_str().ok_or_else(|| AppFileError::NotUtf8(entry.path().display().to_string()))?;
            let image_path = format!("{image_dir}/{name}");
            let file_type = entry.file_type().map_err(|e| AppFileError::Read(entry.path().display().to_string(), e))?;
            if file_type.is_dir() {
                pending.push((entry.path(), image_path));
            } else {
                out.push((entry.path(), image_path));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_folders_land_in_opt_app() {
        let context = tempfile::tempdir().expect("test input");
        std::fs::create_dir_all(context.path().join("src/lib")).expect("test input");
        std::fs::write(context.path().join("src/lib/util.py"), "x = 1\n").expect("test input");
        std::fs::write(context.path().join("job.py"), "print(1)\n").expect("test input");
        let given = [PathBuf::from("job.py"), PathBuf::from("./src/lib")];
        let apps = resolve(context.path(), &given).expect("test input");
        assert_eq!(apps[0].image_path, "/opt/app/job.py");
        assert_eq!(apps[0].context_path, "job.py");
        assert_eq!(apps[1].image_path, "/opt/app/lib");
        assert_eq!(apps[1].context_path, "src/lib");
        let files: Vec<String> = walk(&apps[1]).expect("test input").into_iter().map(|(_, p)| p).collect();
        assert_eq!(files, ["/opt/app/lib/", "/opt/app/lib/util.py"]);
    }

    #[test]
    fn paths_outside_the_context_or_missing_or_clashing_are_refused() {
        let context = tempfile::tempdir().expect("test input");
        std::fs::create_dir_all(context.path().join("a")).expect("test input");
        std::fs::write(context.path().join("a/job.py"), "").expect("test input");
        std::fs::write(context.path().join("job.py"), "").expect("test input");
        let err = resolve(context.path(), &[PathBuf::from("../x")]).expect_err("must fail");
        assert!(matches!(err, AppFileError::Missing(_) | AppFileError::OutsideContext(..)), "{err}");
        let err = resolve(&context.path().join("a"), &[PathBuf::from("../job.py")]).expect_err("must fail");
        assert!(matches!(err, AppFileError::OutsideContext(..)), "{err}");
        let err = resolve(context.path(), &[PathBuf::from("nope.py")]).expect_err("must fail");
        assert!(err.to_string().contains("nope.py"), "{err}");
        let err =
            resolve(context.path(), &[PathBuf::from("job.py"), PathBuf::from("a/job.py")]).expect_err("must fail");
        assert!(err.to_string().contains("/opt/app/job.py"), "{err}");
    }
}
