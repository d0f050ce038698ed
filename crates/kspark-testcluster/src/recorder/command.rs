//! Running a submission client against a fresh recorder: the Rust form of
//! "start the stand-in, point --master at it, keep what was sent".

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::RecorderError;
use super::request_log::{RecordedRequest, read_log};
use super::server::{Recorder, RecorderOptions};

/// An argument equal to this is replaced by the recorder's master URL.
pub const MASTER_PLACEHOLDER: &str = "@MASTER@";

/// What a recorded run left behind.
#[derive(Debug)]
pub struct RecordedRun {
    /// The client's exit code (-1 when killed by a signal).
    pub exit_code: i32,
    /// The requests, one JSON object per line.
    pub log: PathBuf,
    /// The client's stdout and stderr (`<log>.log`).
    pub output: PathBuf,
}

impl RecordedRun {
    /// The client's stdout and stderr; empty when the file cannot be read.
    pub fn output_text(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// The requests the client sent.
    pub fn requests(&self) -> Result<Vec<RecordedRequest>, RecorderError> {
        read_log(&self.log)
    }
}

/// Runs `argv` (program first) against a new recorder writing `log`
/// (truncated first); the client's output goes to `<log>.log`. `configure`
/// sets the child's environment and working directory.
pub fn record_command(
    log: &Path,
    options: RecorderOptions,
    argv: &[OsString],
    configure: impl FnOnce(&mut Command),
) -> Result<RecordedRun, RecorderError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(RecorderError::Start("no command to record".into()));
    };
    File::create(log).map_err(|e| RecorderError::io(format!("creating {}", log.display()), e))?;
    let output = output_path(log);
    let out = File::create(&output).map_err(|e| RecorderError::io(format!("creating {}", output.display()), e))?;
    let err = out.try_clone().map_err(|e| RecorderError::io("duplicating the output file", e))?;
    let recorder = Recorder::start(log, options)?;
    let master = OsString::from(recorder.master_url());
    let mut command = Command::new(program);
    command.args(args.iter().map(|a| if a == MASTER_PLACEHOLDER { &master } else { a }));
    command.stdin(Stdio::null()).stdout(out).stderr(err);
    configure(&mut command);
    let status =
        command.status().map_err(|e| RecorderError::io(format!("running {}", Path::new(program).display()), e))?;
    drop(recorder);
    Ok(RecordedRun { exit_code: status.code().unwrap_or(-1), log: log.to_path_buf(), output })
}

fn output_path(log: &Path) -> PathBuf {
    let mut name = log.as_os_str().to_os_string();
    name.push(".log");
    PathBuf::from(name)
}
