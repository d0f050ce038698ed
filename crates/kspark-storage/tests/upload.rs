//! Uploads against real stores: a directory (`file://`) and Azurite, the
//! Azure Storage emulator (`abfss://`, `wasbs://`), started by the harness.

use std::collections::BTreeMap;
use std::path::Path;

use kspark_storage::{EnvVars, FileUpload, UploadTarget};
use kspark_testcluster::azurite::Azurite;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

fn upload(source: &Path, object: &str, base: &str) -> FileUpload {
    FileUpload { source: source.to_path_buf(), object: object.into(), target: format!("{base}/{object}") }
}

fn no_env() -> EnvVars {
    // Nothing from the test runner's environment leaks into the store.
    BTreeMap::from([("PATH".to_string(), "/nonexistent".to_string())])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"))
}

#[test]
fn file_uploads_land_byte_for_byte_and_delete_leaves_the_root() {
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let base = format!("file://{}", root.path().display());
    let jar = write(local.path(), "a.jar", b"jar bytes");
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let archive = write(local.path(), "env.tar.gz", &big);
    let target = UploadTarget::open(&base, &BTreeMap::new(), &no_env()).unwrap_or_else(|e| panic!("{e}"));
    let files = [upload(&jar, "spark-upload-1/a.jar", &base), upload(&archive, "spark-upload-2/env.tar.gz", &base)];
    runtime().block_on(async {
        let uploaded = target.upload_all(&files).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(uploaded.bytes, 9 + big.len() as u64);
        assert_eq!(std::fs::read(root.path().join("spark-upload-1/a.jar")).ok(), Some(b"jar bytes".to_vec()));
        assert_eq!(std::fs::read(root.path().join("spark-upload-2/env.tar.gz")).ok(), Some(big.clone()));
        assert_eq!(
            target.list().await.ok(),
            Some(vec!["spark-upload-1/a.jar".into(), "spark-upload-2/env.tar.gz".into()])
        );
        uploaded.delete().await.unwrap_or_else(|e| panic!("{e}"));
    });
    assert!(root.path().is_dir(), "the upload root stays");
    let left: Vec<_> = std::fs::read_dir(root.path()).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(left.is_empty(), "upload directories are removed: {left:?}");
}

#[test]
fn a_failed_upload_deletes_the_others_and_names_the_file() {
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let base = format!("file://{}", root.path().display());
    let good = write(local.path(), "good.jar", b"good");
    let bad = write(local.path(), "bad.jar", b"bad");
    // A plain file where the upload directory should be: that put fails.
    write(root.path(), "spark-upload-blocked", b"in the way");
    let target = UploadTarget::open(&base, &BTreeMap::new(), &no_env()).unwrap_or_else(|e| panic!("{e}"));
    let files = [upload(&good, "spark-upload-ok/good.jar", &base), upload(&bad, "spark-upload-blocked/bad.jar", &base)];
    let err = runtime().block_on(target.upload_all(&files)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("bad.jar") && err.contains("spark-upload-blocked/bad.jar"), "{err}");
    assert!(!root.path().join("spark-upload-ok").exists(), "the good upload was deleted again");
}

#[test]
fn azure_uploads_to_azurite_with_abfss_and_wasbs() {
    let azurite = Azurite::start().unwrap_or_else(|e| panic!("{e}"));
    azurite.create_container("spark").unwrap_or_else(|e| panic!("{e}"));
    let env: EnvVars = azurite.client_env().into_iter().collect();
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let jar = write(local.path(), "app.jar", &big);
    let py = write(local.path(), "helpers.py", b"def f():\n    return 1\n");
    let rt = runtime();
    for base in [
        "abfss://spark@devstoreaccount1.dfs.core.windows.net/uploads",
        "wasbs://spark@devstoreaccount1.blob.core.windows.net/other/prefix",
    ] {
        let target = UploadTarget::open(base, &BTreeMap::new(), &env).unwrap_or_else(|e| panic!("{e}"));
        let files = [upload(&jar, "spark-upload-a/app.jar", base), upload(&py, "spark-upload-b/helpers.py", base)];
        rt.block_on(async {
            let uploaded = target.upload_all(&files).await.unwrap_or_else(|e| panic!("{base}: {e}"));
            assert_eq!(target.get("spark-upload-a/app.jar").await.ok(), Some(big.clone()), "{base}");
            assert_eq!(target.get("spark-upload-b/helpers.py").await.ok(), Some(b"def f():\n    return 1\n".to_vec()));
            assert_eq!(target.list().await.ok().map(|l| l.len()), Some(2), "{base}");
            uploaded.delete().await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(target.list().await.ok(), Some(vec![]), "{base}: deleted");
        });
    }
}

#[test]
fn azure_refusals_name_the_file_and_hide_the_key() {
    let azurite = Azurite::start().unwrap_or_else(|e| panic!("{e}"));
    let mut env: EnvVars = azurite.client_env().into_iter().collect();
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jar = write(local.path(), "app.jar", b"x");
    let rt = runtime();
    // No such container.
    let base = "abfss://missing@devstoreaccount1.dfs.core.windows.net/u";
    let target = UploadTarget::open(base, &BTreeMap::new(), &env).unwrap_or_else(|e| panic!("{e}"));
    let err = rt.block_on(target.upload_all(&[upload(&jar, "spark-upload-a/app.jar", base)])).err();
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("app.jar") && text.contains(base) && text.contains("container exists"), "{text}");
    // A wrong key: refused by the emulator, and the key is not shown.
    azurite.create_container("spark").unwrap_or_else(|e| panic!("{e}"));
    let wrong = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk=";
    env.insert("AZURE_STORAGE_ACCOUNT_KEY".into(), wrong.into());
    let base = "abfss://spark@devstoreaccount1.dfs.core.windows.net/u";
    let target = UploadTarget::open(base, &BTreeMap::new(), &env).unwrap_or_else(|e| panic!("{e}"));
    let err = rt.block_on(target.upload_all(&[upload(&jar, "spark-upload-a/app.jar", base)])).err();
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("app.jar") && !text.contains(wrong), "{text}");
    // Spark's Hadoop setting for the account's key is used too (here: wrong, so refused).
    env.remove("AZURE_STORAGE_ACCOUNT_KEY");
    let hadoop =
        BTreeMap::from([("fs.azure.account.key.devstoreaccount1.dfs.core.windows.net".to_string(), wrong.to_string())]);
    let target = UploadTarget::open(base, &hadoop, &env).unwrap_or_else(|e| panic!("{e}"));
    let err = rt.block_on(target.upload_all(&[upload(&jar, "spark-upload-b/app.jar", base)])).err();
    assert!(err.is_some(), "the wrong key from spark.hadoop.fs.azure.account.key.HOST must be used");
    let target = UploadTarget::open(base, &BTreeMap::new(), &env).unwrap_or_else(|e| panic!("{e}"));
    let uploaded = rt.block_on(target.upload_all(&[upload(&jar, "spark-upload-c/app.jar", base)]));
    assert!(uploaded.is_ok(), "without it the emulator's own key works: {:?}", uploaded.err());
}
