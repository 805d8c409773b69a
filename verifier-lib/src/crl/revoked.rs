//! The revoked certificates of one CRL, indexed by serial number once, when the CRL is parsed.
//!
//! JPKI's CRLs list hundreds of thousands of certificates and every path check asks one of
//! them about one serial: a scan per question would make each request cost the whole list.
//! The serials sit one after another in one buffer and the entries, sorted by serial, point
//! into it, so a lookup is a binary search and a 500,000-entry list costs two allocations.

use eproxy_policy::UnixTime;
use x509_cert::ext::pkix::crl::CrlReason;

/// The longest serial number indexed. RFC 5280 4.1.2.2 allows 20 octets (21 with the sign
/// octet); anything much longer is not a certificate's serial.
pub(super) const MAX_SERIAL_OCTETS: usize = 64;

/// One entry: where its serial lies in [`RevokedSerials::serials`], and what the CRL says.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: u32,
    len: u8,
    reason: Option<CrlReason>,
    revoked_at: UnixTime,
}

/// What a CRL says of one revoked serial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Revocation {
    /// revocationDate.
    pub revoked_at: UnixTime,
    /// reasonCode, if the entry states one.
    pub reason: Option<CrlReason>,
}

/// The entries of one CRL, sorted by serial number.
#[derive(Clone, Debug, Default)]
pub(super) struct RevokedSerials {
    /// Every serial's INTEGER content octets, one after another.
    serials: Vec<u8>,
    /// Sorted by serial, then by revocation time.
    entries: Vec<Entry>,
}

/// Why an entry cannot be indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IndexError {
    /// The serial is longer than [`MAX_SERIAL_OCTETS`].
    SerialTooLong,
}

impl RevokedSerials {
    /// An empty index with room for `entries` entries.
    pub fn with_capacity(entries: usize) -> Self {
        Self {
            serials: Vec::with_capacity(entries.saturating_mul(20)),
            entries: Vec::with_capacity(entries),
        }
    }

    /// Adds one entry. (The CRL itself is at most
    /// [`MAX_CRL_BYTES`](crate::limits::MAX_CRL_BYTES), so offsets fit in 32 bits.)
    pub fn push(&mut self, serial: &[u8], revocation: Revocation) -> Result<(), IndexError> {
        let len = u8::try_from(serial.len())
            .ok()
            .filter(|&len| usize::from(len) <= MAX_SERIAL_OCTETS)
            .ok_or(IndexError::SerialTooLong)?;
        let start = u32::try_from(self.serials.len()).map_err(|_| IndexError::SerialTooLong)?;
        self.serials.extend_from_slice(serial);
        self.entries.push(Entry {
            start,
            len,
            reason: revocation.reason,
            revoked_at: revocation.revoked_at,
        });
        Ok(())
    }

    /// Sorts the entries; lookups are valid from here on.
    pub fn sorted(mut self) -> Self {
        let serials = &self.serials;
        self.entries.sort_unstable_by(|a, b| {
            serial_of(serials, a)
                .cmp(serial_of(serials, b))
                .then(a.revoked_at.cmp(&b.revoked_at))
        });
        self.entries.shrink_to_fit();
        self.serials.shrink_to_fit();
        self
    }

    /// The earliest revocation of `serial` (the INTEGER's content octets) on the list, if any:
    /// a CRL listing one serial twice is read as its earlier revocation.
    pub fn earliest(&self, serial: &[u8]) -> Option<Revocation> {
        let first = self
            .entries
            .partition_point(|entry| serial_of(&self.serials, entry) < serial);
        self.entries
            .get(first)
            .filter(|entry| serial_of(&self.serials, entry) == serial)
            .map(|entry| Revocation {
                revoked_at: entry.revoked_at,
                reason: entry.reason,
            })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

fn serial_of<'s>(serials: &'s [u8], entry: &Entry) -> &'s [u8] {
    let start = entry.start as usize;
    &serials[start..start + usize::from(entry.len)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revocation(at: i64) -> Revocation {
        Revocation {
            revoked_at: UnixTime::from_seconds(at),
            reason: None,
        }
    }

    fn index(entries: &[(&[u8], i64)]) -> RevokedSerials {
        let mut index = RevokedSerials::with_capacity(entries.len());
        for (serial, at) in entries {
            index.push(serial, revocation(*at)).unwrap();
        }
        index.sorted()
    }

    #[test]
    fn every_listed_serial_is_found_and_no_other() {
        // Serials of different lengths sharing prefixes, pushed out of order.
        let listed: Vec<Vec<u8>> = (0u32..2_000)
            .map(|i| {
                let bytes = i.wrapping_mul(2_654_435_761).to_be_bytes();
                bytes[..1 + (i as usize % 4)].to_vec()
            })
            .collect();
        let mut index = RevokedSerials::with_capacity(listed.len());
        for (i, serial) in listed.iter().enumerate() {
            index.push(serial, revocation(i as i64)).unwrap();
        }
        let index = index.sorted();
        for serial in &listed {
            let found = index.earliest(serial).unwrap();
            let first = listed.iter().position(|s| s == serial).unwrap();
            assert_eq!(found.revoked_at, UnixTime::from_seconds(first as i64));
        }
        for absent in [&[][..], &[0x00, 0x00, 0x00, 0x00, 0x00], &[0xff; 21]] {
            assert!(!listed.iter().any(|s| s == absent));
            assert_eq!(index.earliest(absent), None);
        }
    }

    #[test]
    fn a_prefix_or_extension_of_a_listed_serial_is_another_serial() {
        let index = index(&[(&[1, 2, 3], 10), (&[1, 2], 20), (&[1, 3], 30)]);
        assert_eq!(index.earliest(&[1, 2]), Some(revocation(20)));
        assert_eq!(index.earliest(&[1, 2, 3]), Some(revocation(10)));
        assert_eq!(index.earliest(&[1]), None);
        assert_eq!(index.earliest(&[1, 2, 3, 4]), None);
        assert_eq!(index.earliest(&[1, 2, 4]), None);
    }

    #[test]
    fn a_serial_listed_twice_reads_as_its_earlier_revocation() {
        let index = index(&[(&[7], 500), (&[3], 100), (&[7], 200), (&[7], 900)]);
        assert_eq!(index.earliest(&[7]), Some(revocation(200)));
        assert_eq!(index.earliest(&[3]), Some(revocation(100)));
        assert_eq!(index.len(), 4);
    }

    #[test]
    fn a_serial_longer_than_any_certificate_s_is_refused() {
        let mut index = RevokedSerials::with_capacity(1);
        assert_eq!(
            index.push(&[1; MAX_SERIAL_OCTETS + 1], revocation(0)),
            Err(IndexError::SerialTooLong)
        );
        index.push(&[1; MAX_SERIAL_OCTETS], revocation(0)).unwrap();
        assert!(index.sorted().earliest(&[1; MAX_SERIAL_OCTETS]).is_some());
    }
}
