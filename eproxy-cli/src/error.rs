//! Errors for people: what was wrong and, where there is one, what to do about it. Never a
//! debug dump: every message is written for the person at the terminal.

use std::fmt;
use std::path::Path;

/// The exit status of a usage, input or network error (clap uses it for usage errors too).
pub const USAGE_OR_INPUT: u8 = 2;

/// Why a command could not do its job.
#[derive(Debug)]
pub struct CliError {
    what: String,
    fix: Option<String>,
}

impl CliError {
    /// An error saying `what` went wrong.
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            fix: None,
        }
    }

    /// The same error, with what to do about it.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// A file at `path` could not be read or written.
    pub fn file(path: &Path, doing: &str, error: impl fmt::Display) -> Self {
        Self::new(format!("cannot {doing} {}: {error}", path.display()))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  what to do: {fix}")?;
        }
        Ok(())
    }
}
