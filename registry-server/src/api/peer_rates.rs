//! Releases (evidence bundles and listings) asked for from one network address, bounded. Each
//! release is checked and audited with a durable write; a repeat to the same contract is only
//! counted (`repeats.rs`), but a client holding many contracts, or asking without any, could
//! still keep the check pool and the writer busy. So each address has an allowance: a bucket of
//! `burst` releases refilled at `per_second`, taken from before any signature is checked.
//!
//! Addresses are grouped as networks hand them out: an IPv4 address on its own, an IPv6 address
//! by its /64, since one host holds a whole /64. The table of buckets is bounded; while it is
//! full, addresses not in it share one bucket, so that a horde of addresses gets no more than
//! one more address would.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most addresses given a bucket of their own.
const MAX_PEERS: usize = 100_000;

/// Where a request came from, as far as allowances go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Peer {
    /// An IPv4 address, or an IPv6 address's first 64 bits.
    Network(u64),
    /// Unknown, or beyond the table: one bucket shared by all.
    Shared,
}

impl Peer {
    fn of(address: Option<IpAddr>) -> Self {
        match address.map(|a| a.to_canonical()) {
            Some(IpAddr::V4(v4)) => Self::Network(u64::from(u32::from(v4))),
            // The top bit set keeps IPv6 networks apart from IPv4 addresses.
            Some(IpAddr::V6(v6)) => Self::Network((u128::from(v6) >> 64) as u64 | 1 << 63),
            None => Self::Shared,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The allowance of each address.
#[derive(Debug)]
pub struct PeerRates {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<Peer, Bucket>>,
}

impl PeerRates {
    /// `burst` releases at once from one address, refilled at `per_second`; 0 for either means
    /// no bound (the configuration refuses a negative or non-numeric rate; here, anything not a
    /// positive number is taken as 0).
    pub fn new(per_second: f64, burst: u32) -> Self {
        Self {
            per_second: if per_second.is_finite() && per_second > 0.0 {
                per_second
            } else {
                0.0
            },
            burst: f64::from(burst),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one release from the allowance of `address` at `now`; when none is left, how long
    /// until one is.
    pub fn take(&self, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        if self.per_second == 0.0 || self.burst == 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut peer = Peer::of(address);
        if !buckets.contains_key(&peer) && buckets.len() >= MAX_PEERS {
            // Full buckets say nothing an empty table would not.
            buckets.retain(|_, bucket| self.refilled(bucket, now) < self.burst);
            if buckets.len() >= MAX_PEERS {
                peer = Peer::Shared;
            }
        }
        let bucket = buckets.entry(peer).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        bucket.tokens = self.refilled(bucket, now);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }

    /// `bucket`'s tokens at `now`.
    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second).min(self.burst)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    fn v4(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn an_address_gets_its_burst_then_its_rate() {
        let rates = PeerRates::new(2.0, 5);
        let start = Instant::now();
        for _ in 0..5 {
            assert_eq!(rates.take(v4(1), start), Ok(()));
        }
        let wait = rates.take(v4(1), start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Another address is not held up.
        assert_eq!(rates.take(v4(2), start), Ok(()));
        // Half a second later, one more; a second later, two more and no more.
        assert_eq!(
            rates.take(v4(1), start + Duration::from_millis(500)),
            Ok(())
        );
        assert!(
            rates
                .take(v4(1), start + Duration::from_millis(500))
                .is_err()
        );
        let later = start + Duration::from_millis(1_500);
        assert_eq!(rates.take(v4(1), later), Ok(()));
        assert_eq!(rates.take(v4(1), later), Ok(()));
        assert!(rates.take(v4(1), later).is_err());
        // A long pause refills to the burst, not beyond it.
        let much_later = start + Duration::from_secs(3_600);
        for _ in 0..5 {
            assert_eq!(rates.take(v4(1), much_later), Ok(()));
        }
        assert!(rates.take(v4(1), much_later).is_err());
    }

    #[test]
    fn an_ipv6_host_s_addresses_share_its_64_and_a_mapped_ipv4_address_is_that_address() {
        let rates = PeerRates::new(1.0, 1);
        let now = Instant::now();
        let host = |interface: u64| {
            Some(IpAddr::V6(Ipv6Addr::from(
                (0x2001_0db8_0000_0001u128 << 64) | u128::from(interface),
            )))
        };
        assert_eq!(rates.take(host(1), now), Ok(()));
        assert!(rates.take(host(2), now).is_err(), "the same /64");
        let other_network = Some(IpAddr::V6(Ipv6Addr::from(0x2001_0db8_0000_0002u128 << 64)));
        assert_eq!(rates.take(other_network, now), Ok(()));
        assert_eq!(rates.take(v4(7), now), Ok(()));
        let mapped = Some(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped()));
        assert!(rates.take(mapped, now).is_err(), "the same IPv4 address");
    }

    #[test]
    fn addresses_beyond_the_table_share_one_bucket_and_idle_ones_make_room() {
        let rates = PeerRates::new(1.0, 2);
        let now = Instant::now();
        for n in 0..MAX_PEERS as u32 {
            let address = Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)));
            assert_eq!(rates.take(address, now), Ok(()));
        }
        // The table is full and nobody's bucket is full again: newcomers share one bucket.
        let newcomer = |n: u32| Some(IpAddr::V4(Ipv4Addr::from(0xc000_0000 + n)));
        assert_eq!(rates.take(newcomer(1), now), Ok(()));
        assert_eq!(rates.take(newcomer(2), now), Ok(()));
        assert!(
            rates.take(newcomer(3), now).is_err(),
            "the shared bucket is empty"
        );
        // Once the others' buckets have refilled, they are forgotten and a newcomer gets its own.
        let later = now + Duration::from_secs(2);
        assert_eq!(rates.take(newcomer(3), later), Ok(()));
        assert_eq!(rates.take(newcomer(3), later), Ok(()));
        assert!(rates.take(newcomer(3), later).is_err());
        assert!(rates.buckets.lock().unwrap().len() < 10);
    }

    #[test]
    fn zero_or_nonsense_means_no_bound() {
        for rates in [
            PeerRates::new(0.0, 0),
            PeerRates::new(0.0, 5),
            PeerRates::new(f64::NAN, 5),
            PeerRates::new(-1.0, 5),
            PeerRates::new(1.0, 0),
        ] {
            for _ in 0..1_000 {
                assert_eq!(rates.take(v4(1), Instant::now()), Ok(()));
            }
        }
    }

    #[test]
    fn a_fractional_rate_refills_slowly() {
        let rates = PeerRates::new(0.5, 1);
        let start = Instant::now();
        assert_eq!(rates.take(v4(1), start), Ok(()));
        assert_eq!(
            rates.take(v4(1), start + Duration::from_secs(1)),
            Err(Duration::from_secs(1))
        );
        assert_eq!(rates.take(v4(1), start + Duration::from_secs(2)), Ok(()));
    }
}
