//! What commands leave behind: files written whole or not at all (a temporary file in the same
//! directory, synced, then renamed over the target), and JSON on standard output for `--json`.

use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::error::CliError;

/// Writes `bytes` to `path` atomically: a reader sees the old file or the new one, never a
/// half-written one, and a failure leaves the old file as it was.
///
/// The file is readable by its owner only (mode 0600, the temporary file's own), whatever the
/// umask: PoAs, signed contracts and evidence bundles carry the delegatee's JPKI signing
/// certificate, and with it a person's name, address and date of birth. To share one, the user
/// sends it or widens its mode deliberately.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let fail = |error: std::io::Error| CliError::file(path, "write", error);
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Writes a command's output file atomically, saying so on standard error when it replaces one.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let replacing = path.exists();
    write_atomically(path, bytes)?;
    if replacing {
        eprintln!("replaced the existing {}", path.display());
    }
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
        write_atomically(&path, b"new contents").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_the_owners_alone_even_when_they_replace_a_readable_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let fresh = dir.path().join("evidence.bin");
        write_output(&fresh, b"x").unwrap();
        assert_eq!(mode(&fresh), 0o600);
        let replaced = dir.path().join("poa.p7s");
        std::fs::write(&replaced, b"old").unwrap();
        std::fs::set_permissions(&replaced, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_output(&replaced, b"new").unwrap();
        assert_eq!(mode(&replaced), 0o600);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no such directory/out.p7s");
        let error = write_atomically(&missing, b"new").unwrap_err();
        assert!(error.to_string().contains("cannot write"), "{error}");
        assert!(!missing.exists());
    }
}
