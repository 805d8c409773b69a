//! Size limits, checked before any parsing, and bounds on the work path building may do.
//!
//! Each limit is far above what a legitimate input needs and far below what could exhaust memory.

/// A CMS SignedData: content (a PoA envelope is at most 32 KiB), a few certificates, a
/// timestamp token.
pub const MAX_CMS_BYTES: usize = 256 * 1024;
/// One certificate. Real JPKI and commercial-registration certificates are under 2 KiB.
pub const MAX_CERTIFICATE_BYTES: usize = 16 * 1024;
/// One CRL. JPKI publishes large, partitioned CRLs; 32 MiB leaves room for the largest partition.
pub const MAX_CRL_BYTES: usize = 32 * 1024 * 1024;
/// Certificates carried in one CMS SignedData.
pub const MAX_CMS_CERTIFICATES: usize = 16;
/// Certificates in a path, the anchor included.
pub const MAX_PATH_LENGTH: usize = 6;
/// Signature checks one path search may make before giving up; it bounds the work an adversary
/// can cause with many certificates of the same name.
pub const SIGNATURE_BUDGET: usize = 64;
