//! What kspark's exit status says, in one place, so that scripts can tell
//! a wrong command line from a failed application or a time-out.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// The command failed, or the application failed without an exit code
    /// of its own.
    Failure,
    /// The command line or an input file is wrong; nothing was done (clap's
    /// own usage errors exit 2 too).
    Usage,
    /// The application did not start running in the time given (124, as
    /// `timeout(1)` exits).
    Timeout,
    /// Stopped waiting at Ctrl-C (130, as a shell reports SIGINT).
    Interrupted,
    /// The exit code of the application's driver or local spark-submit.
    Application(i32),
}

impl ExitStatus {
    /// A failed driver's own non-zero exit code, else [`ExitStatus::Failure`].
    pub fn of_failed_driver(exit_code: Option<i32>) -> ExitStatus {
        exit_code.filter(|c| *c != 0).map_or(ExitStatus::Failure, ExitStatus::Application)
    }

    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Timeout => 124,
            ExitStatus::Interrupted => 130,
            // An exit status is a byte; container exit codes already are.
            ExitStatus::Application(code) => code.clamp(0, 255) as u8,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::ExitStatus;

    #[test]
    fn a_driver_code_is_kept_and_a_missing_one_is_a_failure() {
        assert_eq!(ExitStatus::of_failed_driver(Some(137)).code(), 137);
        assert_eq!(ExitStatus::of_failed_driver(Some(0)).code(), 1);
        assert_eq!(ExitStatus::of_failed_driver(None).code(), 1);
        assert_eq!(ExitStatus::Application(300).code(), 255);
    }
}
