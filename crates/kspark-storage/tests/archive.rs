//! Archives in a directory (`file://`): streamed writes of any size, reads,
//! listings, and what a missing file says. Azure is covered end to end by
//! kspark-cli's tests/log_archive.rs (Azurite).

use std::collections::BTreeMap;

use kspark_storage::{Archive, StorageError};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"))
}

#[test]
fn streamed_logs_land_byte_for_byte_below_their_directory() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let prefix = format!("file://{}/logs/", root.path().display());
    let archive = Archive::open(&prefix, &BTreeMap::new(), &BTreeMap::new()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(archive.uri(), format!("file://{}/logs", root.path().display()), "no trailing slash");
    let dir = archive.child("ns/app/sub-1");
    assert_eq!(dir.uri_of("driver.log"), format!("file://{}/logs/ns/app/sub-1/driver.log", root.path().display()));
    // More than one 8 MiB part, read in 64 KiB pieces.
    let big: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| b"abcdefghij\n"[(i % 11) as usize]).collect();
    runtime().block_on(async {
        let written = dir.put_stream("driver.log", futures::io::Cursor::new(big.clone())).await;
        assert_eq!(written.ok(), Some(big.len() as u64));
        dir.put_stream("executor-1.log", futures::io::Cursor::new(b"hi\n".to_vec()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dir.get("driver.log").await.ok(), Some(big.clone()));
        let names = archive.child("ns/app").list().await.unwrap_or_else(|e| panic!("{e}"));
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["sub-1/driver.log".to_string(), "sub-1/executor-1.log".to_string()]);
        match dir.get("executor-9.log").await {
            Err(e @ StorageError::NotArchived { .. }) => assert!(e.to_string().contains("executor-9.log"), "{e}"),
            other => panic!("a missing file: {:?}", other.map(|b| b.len())),
        }
        assert_eq!(archive.child("ns/none").list().await.ok(), Some(Vec::new()), "an empty directory lists nothing");
    });
    let on_disk = std::fs::read(root.path().join("logs/ns/app/sub-1/driver.log")).unwrap_or_default();
    assert_eq!(on_disk.len(), big.len());
}
