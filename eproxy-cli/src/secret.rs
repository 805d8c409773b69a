//! Passwords and PINs: never on the command line (where `ps` and shell history would keep them).
//! In order: the file given with `--password-file` / `--pin-file`, then the environment
//! (`EPROXY_PASSWORD` / `EPROXY_PIN`), then a prompt on the terminal without echo.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use crate::error::CliError;
use crate::input::read_limited;

/// The longest password or PIN file read.
const MAX_SECRET_FILE_BYTES: usize = 4096;

/// Where one secret comes from.
#[derive(Clone, Debug)]
pub struct SecretSource {
    /// A file holding it (one line; a final newline is not part of it).
    pub file: Option<PathBuf>,
    /// The environment variable consulted next.
    pub variable: &'static str,
    /// What it is, for prompts and errors ("password", "PIN").
    pub what: &'static str,
    /// The option naming a file, for errors.
    pub option: &'static str,
}

impl SecretSource {
    /// A PKCS#12 or key-file password.
    pub fn password(file: Option<PathBuf>) -> Self {
        Self {
            file,
            variable: "EPROXY_PASSWORD",
            what: "password",
            option: "--password-file",
        }
    }

    /// A token PIN.
    pub fn pin(file: Option<PathBuf>) -> Self {
        Self {
            file,
            variable: "EPROXY_PIN",
            what: "PIN",
            option: "--pin-file",
        }
    }

    /// The secret, for unlocking `target` (named in the prompt).
    pub fn read(&self, target: &str) -> Result<String, CliError> {
        if let Some(file) = &self.file {
            let bytes = read_limited(file, MAX_SECRET_FILE_BYTES, self.what)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| CliError::new(format!("{} is not UTF-8 text", file.display())))?;
            let line = text.strip_suffix('\n').unwrap_or(&text);
            return Ok(line.strip_suffix('\r').unwrap_or(line).to_owned());
        }
        if let Ok(value) = std::env::var(self.variable) {
            return Ok(value);
        }
        if !std::io::stdin().is_terminal() {
            return Err(CliError::new(format!(
                "{target} needs a {} and there is no terminal to ask on",
                self.what
            ))
            .fix(format!(
                "give {} FILE or set {}",
                self.option, self.variable
            )));
        }
        rpassword::prompt_password(format!("{} for {target}: ", self.what))
            .map_err(|e| CliError::new(format!("cannot read the {}: {e}", self.what)))
    }
}

impl Default for SecretSource {
    fn default() -> Self {
        Self::password(None)
    }
}
