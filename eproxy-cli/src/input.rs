//! Reading what people point the command at: files with a size limit (never an unbounded read),
//! certificates and CRLs as PEM or DER, and trust-anchor directories by role.

use std::io::Read as _;
use std::path::Path;

use eproxy_verifier::InputKind;
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::pem::{decode_all, max_file_bytes};
use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor, TrustAnchors};

use crate::error::CliError;

/// The largest CMS file read: a PoA or contract with its certificates and timestamp.
pub const MAX_CMS_FILE_BYTES: usize = eproxy_verifier::limits::MAX_CMS_BYTES;

/// The bytes of `path`, refusing more than `limit` (`what` names the file in errors).
pub fn read_limited(path: &Path, limit: usize, what: &str) -> Result<Vec<u8>, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::file(path, &format!("read the {what}"), e))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::file(path, &format!("read the {what}"), e))?;
    if bytes.len() > limit {
        return Err(CliError::new(format!(
            "{} is larger than a {what} may be ({limit} bytes)",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The DER structures in a PEM or DER file (`label` is the PEM label).
pub fn read_der_blocks(
    path: &Path,
    label: &str,
    kind: InputKind,
) -> Result<Vec<Vec<u8>>, CliError> {
    let bytes = read_limited(path, max_file_bytes(kind), &kind.to_string())?;
    let blocks = decode_all(&bytes, label, kind)
        .map_err(|e| CliError::new(format!("{}: {e}", path.display())))?;
    if blocks.is_empty() {
        return Err(CliError::new(format!(
            "{} holds no {kind} (no PEM block labelled {label})",
            path.display()
        )));
    }
    Ok(blocks)
}

/// Every certificate in a PEM or DER file, each parsed.
pub fn read_certificates(path: &Path) -> Result<Vec<Certificate>, CliError> {
    read_der_blocks(path, "CERTIFICATE", InputKind::Certificate)?
        .iter()
        .map(|der| {
            Certificate::from_der(der)
                .map_err(|e| CliError::new(format!("{}: {e}", path.display())))
        })
        .collect()
}

/// The one certificate in a PEM or DER file.
pub fn read_certificate(path: &Path) -> Result<Certificate, CliError> {
    let mut certificates = read_certificates(path)?;
    match certificates.len() {
        1 => Ok(certificates.remove(0)),
        n => Err(CliError::new(format!(
            "{} holds {n} certificates where one was expected",
            path.display()
        ))),
    }
}

/// The CRLs in PEM or DER files, as DER.
pub fn read_crls(paths: &[impl AsRef<Path>]) -> Result<Vec<Vec<u8>>, CliError> {
    let mut crls = Vec::new();
    for path in paths {
        crls.extend(read_der_blocks(path.as_ref(), "X509 CRL", InputKind::Crl)?);
    }
    Ok(crls)
}

/// The CRLs in PEM or DER files, parsed, each failure naming its file.
pub fn parse_crls(paths: &[impl AsRef<Path>]) -> Result<Vec<Crl>, CliError> {
    let mut crls = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let ders = read_der_blocks(path, "X509 CRL", InputKind::Crl)?;
        crls.extend(
            Crl::parse_all(&ders).map_err(|(i, e)| {
                CliError::new(format!("{}: CRL {}: {e}", path.display(), i + 1))
            })?,
        );
    }
    Ok(crls)
}

/// The subdirectory of a trust directory holding each role's roots, as `eproxy testkit init`
/// writes them and as an operator lays out real ones.
pub const ROLE_DIRECTORIES: [(&str, AnchorRole); 4] = [
    ("jpki-signing", AnchorRole::JpkiSigning),
    ("jpki-authentication", AnchorRole::JpkiAuthentication),
    (
        "commercial-registration",
        AnchorRole::CommercialRegistration,
    ),
    ("tsa", AnchorRole::TimeStamping),
];

/// The trust anchors under `dir` (see [`read_trust_certificates`]); a malformed anchor
/// certificate is an error naming its file.
pub fn read_trust_dir(dir: &Path) -> Result<TrustAnchors, CliError> {
    trust_anchors(read_trust_certificates(dir)?)
        .map_err(|(file, e)| CliError::new(format!("{}: {e}", file.display())))
}

/// One certificate of a trust directory, not yet parsed.
pub struct TrustFile {
    /// The file it came from.
    pub path: std::path::PathBuf,
    /// The role its directory vouches for.
    pub role: AnchorRole,
    /// The certificate's DER.
    pub der: Vec<u8>,
}

/// The certificates under `dir`: every `.pem`, `.crt`, `.cer` or `.der` file in each role's
/// subdirectory (see [`ROLE_DIRECTORIES`]), and any directly in `dir`, which vouch for no role
/// ([`AnchorRole::Unscoped`]: `eproxy cert check --role any` alone uses them). A missing role
/// directory means no anchor of that role; a directory with no certificate at all is refused,
/// since it could only reject everything.
pub fn read_trust_certificates(dir: &Path) -> Result<Vec<TrustFile>, CliError> {
    let mut found = Vec::new();
    let places = ROLE_DIRECTORIES
        .iter()
        .map(|(name, role)| (dir.join(name), *role))
        .chain(std::iter::once((dir.to_path_buf(), AnchorRole::Unscoped)));
    for (role_dir, role) in places {
        let entries = match std::fs::read_dir(&role_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(CliError::file(&role_dir, "read", e)),
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.is_file()
                    && path
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| matches!(e, "pem" | "crt" | "cer" | "der"))
            })
            .collect();
        files.sort();
        for path in files {
            for der in read_der_blocks(&path, "CERTIFICATE", InputKind::Certificate)? {
                found.push(TrustFile {
                    path: path.clone(),
                    role,
                    der,
                });
            }
        }
    }
    if found.is_empty() {
        let names: Vec<&str> = ROLE_DIRECTORIES.iter().map(|(n, _)| *n).collect();
        return Err(
            CliError::new(format!("{} holds no trust anchors", dir.display())).fix(format!(
                "put root certificates in its subdirectories {} (as `eproxy testkit init` does)",
                names.join(", ")
            )),
        );
    }
    Ok(found)
}

/// The anchors of `files`, or the first file whose certificate does not parse, with why.
pub fn trust_anchors(
    files: Vec<TrustFile>,
) -> Result<TrustAnchors, (std::path::PathBuf, eproxy_verifier::Error)> {
    let mut anchors = TrustAnchors::new();
    for file in files {
        match TrustAnchor::new(file.role, file.der) {
            Ok(anchor) => anchors.add(anchor),
            Err(e) => return Err((file.path, e)),
        }
    }
    Ok(anchors)
}
