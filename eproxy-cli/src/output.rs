//! What commands leave behind: files written whole or not at all (a temporary file in the same
//! directory, synced, then renamed over the target), and JSON on standard output for `--json`.

use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::error::CliError;

/// Writes `bytes` to `path` atomically: a reader sees the old file or the new one, never a
/// half-written one, and a failure leaves the old file as it was. `private` files (keys,
/// PKCS#12) are readable by their owner only.
pub fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let fail = |error: std::io::Error| CliError::file(path, "write", error);
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    if !private {
        set_mode(file.as_file(), 0o644).map_err(fail)?;
    }
    file.write_all(bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Writes a command's output file atomically, saying so on standard error when it replaces one.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let replacing = path.exists();
    write_atomically(path, bytes, false)?;
    if replacing {
        eprintln!("replaced the existing {}", path.display());
    }
    Ok(())
}

/// A new temporary file is private (0600); a public output gets the usual mode.
#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Prints `value` as one JSON document on standard output.
pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(format!("cannot render the JSON output: {e}")))?;
    println!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_whole_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.p7s");
        std::fs::write(&path, b"old").unwrap();
        write_atomically(&path, b"new contents", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn private_outputs_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let mode = |name: &str, private| {
            let path = dir.path().join(name);
            write_atomically(&path, b"x", private).unwrap();
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode("key.pem", true), 0o600);
        assert_eq!(mode("poa.p7s", false), 0o644);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no such directory/out.p7s");
        let error = write_atomically(&missing, b"new", false).unwrap_err();
        assert!(error.to_string().contains("cannot write"), "{error}");
        assert!(!missing.exists());
    }
}
