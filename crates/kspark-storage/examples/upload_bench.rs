//! Times uploads of one file through kspark-storage (what `kspark submit`
//! does for each local file), then deletes the object again.
//!
//!   cargo run -p kspark-storage --example upload_bench -- FILE UPLOAD_PATH [RUNS]
//!
//! Credentials come from the environment as for `kspark submit`; see
//! scripts/bench-upload.sh, which runs this against Azurite.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use kspark_storage::{EnvVars, FileUpload, UploadTarget};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: upload_bench FILE UPLOAD_PATH [RUNS]";
    let file = PathBuf::from(args.next().ok_or(usage)?);
    let upload_path = args.next().ok_or(usage)?;
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let env: EnvVars = std::env::vars().collect();
    let target = UploadTarget::open(&upload_path, &BTreeMap::new(), &env)?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut seconds = Vec::new();
    for run in 1..=runs {
        let object = format!("spark-upload-bench-{run}/{name}");
        let upload = FileUpload { source: file.clone(), target: format!("{upload_path}/{object}"), object };
        let started = Instant::now();
        let uploaded = target.upload_all(std::slice::from_ref(&upload)).await?;
        let elapsed = started.elapsed().as_secs_f64();
        let mib = uploaded.bytes as f64 / (1024.0 * 1024.0);
        println!("run {run}: {mib:.1} MiB in {elapsed:.3} s ({:.1} MiB/s)", mib / elapsed);
        seconds.push(elapsed);
        uploaded.delete().await?;
    }
    seconds.sort_by(f64::total_cmp);
    println!("median: {:.3} s over {runs} runs", seconds[seconds.len() / 2]);
    Ok(())
}
