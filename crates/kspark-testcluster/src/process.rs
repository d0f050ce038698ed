//! Control-plane processes: started so that they die with the test process,
//! logged to files, killed by PID in reverse order.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits,
//! not the process. Test harnesses run each test on a short-lived thread, so
//! children are forked from one long-lived "keeper" thread that lives as
//! long as the cluster (for [`crate::TestCluster::shared`]: until the process
//! exits, however it exits).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::fsutil;

/// Lines of a log quoted in error messages.
pub(crate) const LOG_TAIL_LINES: usize = 30;

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct ProcessSpec {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub log: PathBuf,
    pub cwd: PathBuf,
}

/// A running (or exited) control-plane process.
#[derive(Debug)]
pub(crate) struct ManagedProcess {
    pub name: String,
    pub pid: u32,
    pub log: PathBuf,
    child: Mutex<Child>,
}

/// A point-in-time view of one process, for reports.
#[derive(Debug, Clone)]
pub struct ProcessInfo {
    pub name: String,
    pub pid: u32,
    /// Resident set size in KiB, if the process still runs.
    pub rss_kib: Option<u64>,
    pub log: PathBuf,
}

type SpawnRequest = (ProcessSpec, mpsc::Sender<Result<Child>>);

/// The thread that forks every child, and the children it forked.
#[derive(Debug)]
pub(crate) struct ProcessGroup {
    requests: Mutex<Option<mpsc::Sender<SpawnRequest>>>,
    keeper: Mutex<Option<JoinHandle<()>>>,
    processes: Mutex<Vec<ManagedProcess>>,
}

impl ProcessGroup {
    pub(crate) fn new() -> Result<Self> {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        let keeper = std::thread::Builder::new()
            .name("kspark-testcluster-keeper".into())
            .spawn(move || {
                for (spec, reply) in rx {
                    // The requester may have given up; nothing to do then.
                    let _ = reply.send(spawn(&spec));
                }
            })
            .map_err(|e| Error::io("starting the process keeper thread", e))?;
        Ok(Self { requests: Mutex::new(Some(tx)), keeper: Mutex::new(Some(keeper)), processes: Mutex::new(Vec::new()) })
    }

    /// Starts `spec` from the keeper thread and records it.
    pub(crate) fn start(&self, spec: ProcessSpec) -> Result<u32> {
        let (reply_tx, reply_rx) = mpsc::channel();
        let keeper_gone = || Error::Spawn {
            name: spec.name.clone(),
            program: spec.program.clone(),
            source: std::io::Error::other("the process keeper thread has stopped"),
        };
        {
            let requests = lock(&self.requests);
            let tx = requests.as_ref().ok_or_else(keeper_gone)?;
            tx.send((spec.clone(), reply_tx)).map_err(|_| keeper_gone())?;
        }
        let child = reply_rx.recv().map_err(|_| keeper_gone())??;
        let pid = child.id();
        lock(&self.processes).push(ManagedProcess { name: spec.name, pid, log: spec.log, child: Mutex::new(child) });
        Ok(pid)
    }

    /// Errors if the named process has exited, quoting its log.
    pub(crate) fn ensure_running(&self, name: &str) -> Result<()> {
        let processes = lock(&self.processes);
        let Some(process) = processes.iter().find(|p| p.name == name) else {
            return Ok(());
        };
        match process.exit_status() {
            Some(status) => Err(Error::ProcessExited {
                name: process.name.clone(),
                status,
                log: process.log.clone(),
                tail: fsutil::tail(&process.log, LOG_TAIL_LINES),
            }),
            None => Ok(()),
        }
    }

    /// Errors if any process has exited.
    pub(crate) fn ensure_all_running(&self) -> Result<()> {
        let names: Vec<String> = lock(&self.processes).iter().map(|p| p.name.clone()).collect();
        names.iter().try_for_each(|n| self.ensure_running(n))
    }

    pub(crate) fn log_of(&self, name: &str) -> Option<PathBuf> {
        lock(&self.processes).iter().find(|p| p.name == name).map(|p| p.log.clone())
    }

    pub(crate) fn infos(&self) -> Vec<ProcessInfo> {
        lock(&self.processes)
            .iter()
            .map(|p| ProcessInfo {
                name: p.name.clone(),
                pid: p.pid,
                rss_kib: p.exit_status().is_none().then(|| rss_kib(p.pid)).flatten(),
                log: p.log.clone(),
            })
            .collect()
    }

    /// Whether the named process was started and has not exited.
    pub(crate) fn is_running(&self, name: &str) -> bool {
        lock(&self.processes).iter().any(|p| p.name == name && p.exit_status().is_none())
    }

    /// Kills the named process (by its PID) and forgets it.
    pub(crate) fn stop_named(&self, name: &str) {
        let mut processes = lock(&self.processes);
        if let Some(index) = processes.iter().position(|p| p.name == name) {
            processes.remove(index).kill_and_wait();
        }
    }

    /// Kills every process, newest first, waits for each, then lets the
    /// keeper thread end. Safe to call more than once.
    pub(crate) fn stop_all(&self) {
        let mut processes = std::mem::take(&mut *lock(&self.processes));
        while let Some(process) = processes.pop() {
            process.kill_and_wait();
        }
        lock(&self.requests).take();
        if let Some(keeper) = lock(&self.keeper).take() {
            // A panicked keeper has nothing left to clean up.
            let _ = keeper.join();
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.stop_all();
    }
}

impl ManagedProcess {
    fn exit_status(&self) -> Option<ExitStatus> {
        lock(&self.child).try_wait().ok().flatten()
    }

    fn kill_and_wait(&self) {
        let mut child = lock(&self.child);
        // Errors mean the process is already gone, which is the goal.
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A poisoned lock only means another thread panicked mid-update; the data
/// (handles, PIDs) is still what we need for cleanup.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn spawn(spec: &ProcessSpec) -> Result<Child> {
    let log = open_log(&spec.log)?;
    let log_err = log.try_clone().map_err(|e| Error::io(format!("duplicating {}", spec.log.display()), e))?;
    let mut command = Command::new(&spec.program);
    command.args(&spec.args).current_dir(&spec.cwd).stdin(Stdio::null()).stdout(log).stderr(log_err);
    die_with_parent(&mut command);
    command.spawn().map_err(|source| Error::Spawn { name: spec.name.clone(), program: spec.program.clone(), source })
}

fn open_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("opening log {}", path.display()), e))
}

/// Makes the kernel SIGKILL the child when the forking thread dies, so no
/// etcd or apiserver outlives a panicking, killed or forgotten test process.
#[allow(unsafe_code)]
pub(crate) fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    // SAFETY: the closure runs between fork and exec and only makes the
    // async-signal-safe calls prctl(2) and getppid(2); it allocates nothing.
    // `unsafe` is needed because pre_exec cannot check that.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect: then no
            // signal will ever come, so refuse to run at all.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// VmRSS of a process from /proc, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper(dir: &Path, name: &str) -> ProcessSpec {
        ProcessSpec {
            name: name.into(),
            program: "sleep".into(),
            args: vec!["30".into()],
            log: dir.join(format!("{name}.log")),
            cwd: dir.to_path_buf(),
        }
    }

    #[test]
    fn starts_reports_and_kills_children() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("kspark-proc-test-{}", std::process::id()));
        fsutil::create_dir_all(&dir)?;
        let group = ProcessGroup::new()?;
        let pid = group.start(sleeper(&dir, "a"))?;
        group.ensure_all_running()?;
        assert!(group.infos()[0].rss_kib.is_some());
        group.stop_all();
        assert!(!Path::new(&format!("/proc/{pid}/cmdline")).exists() || zombie_free(pid));
        assert!(group.start(sleeper(&dir, "b")).is_err(), "stopped group refuses new children");
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    fn zombie_free(pid: u32) -> bool {
        // The PID may have been reused by an unrelated process; it is not
        // our sleeper if it is not `sleep`.
        std::fs::read_to_string(format!("/proc/{pid}/comm")).map_or(true, |c| c.trim() != "sleep")
    }

    #[test]
    fn an_exited_process_is_reported_with_its_log() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("kspark-proc-test2-{}", std::process::id()));
        fsutil::create_dir_all(&dir)?;
        let group = ProcessGroup::new()?;
        let mut spec = sleeper(&dir, "bad");
        spec.program = "sh".into();
        spec.args = vec!["-c".into(), "echo something broke; exit 3".into()];
        group.start(spec)?;
        std::thread::sleep(std::time::Duration::from_millis(300));
        let err = group.ensure_running("bad");
        match err {
            Err(Error::ProcessExited { tail, .. }) => assert!(tail.contains("something broke")),
            other => panic!("expected ProcessExited, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
