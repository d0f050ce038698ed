//! The fake node's own log file (next to the control-plane logs), so that a
//! failed test can see what the node did and which API calls failed.

use std::fmt::Display;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub(crate) struct NodeLog(Arc<Mutex<File>>);

impl NodeLog {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        Ok(Self(Arc::new(Mutex::new(file))))
    }

    pub(crate) fn line(&self, message: impl Display) {
        let mut file = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Logging must never take the node down.
        let _ = writeln!(file, "{} {message}", super::status::now());
    }
}
