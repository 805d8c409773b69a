//! iPAddress constraints: an address and a contiguous mask (RFC 5280 4.2.1.10).

/// Whether `mask` is a run of one bits followed only by zero bits.
pub(super) fn is_prefix_mask(mask: &[u8]) -> bool {
    let mut ended = false;
    mask.iter().all(|&octet| {
        let fits = if ended {
            octet == 0
        } else {
            octet.leading_ones() + octet.trailing_zeros() == 8
        };
        ended |= octet != 0xff;
        fits
    })
}

/// Whether an address is within a network and mask: of the network's length (an IPv6 address is
/// never within an IPv4 constraint, nor the reverse) and equal to it under the mask.
pub(super) fn ip_within(address: &[u8], network: &[u8], mask: &[u8]) -> bool {
    address.len() == network.len()
        && address
            .iter()
            .zip(network.iter().zip(mask.iter()))
            .all(|(a, (n, m))| a & m == n & m)
}

#[cfg(test)]
mod tests {
    use crate::name_constraints::test_der::*;

    #[test]
    fn ipv4_constraints_are_a_network_and_mask() {
        let constraints = nc(&[ip(&[192, 0, 2, 0, 255, 255, 255, 0])], &[]);
        assert_eq!(check_san(&constraints, &[ip(&[192, 0, 2, 1])]), Ok(()));
        assert_eq!(check_san(&constraints, &[ip(&[192, 0, 2, 255])]), Ok(()));
        assert_not_permitted(check_san(&constraints, &[ip(&[192, 0, 3, 1])]));
        // An IPv6 address never matches an IPv4 constraint, nor the reverse.
        assert_not_permitted(check_san(
            &constraints,
            &[ip(&[0xc0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
        ));
        let excluded = nc(&[], &[ip(&[10, 0, 0, 0, 255, 0, 0, 0])]);
        assert_excluded(check_san(&excluded, &[ip(&[10, 9, 8, 7])]));
        assert_eq!(check_san(&excluded, &[ip(&[11, 0, 0, 1])]), Ok(()));
        // The zero mask is every IPv4 address.
        assert_excluded(check_san(
            &nc(&[], &[ip(&[0; 8])]),
            &[ip(&[203, 0, 113, 9])],
        ));
    }

    #[test]
    fn ipv6_constraints_are_a_network_and_mask() {
        let mut loopback = [0u8; 32];
        loopback[15] = 1;
        loopback[16..].fill(0xff);
        let constraints = nc(&[ip(&loopback)], &[]);
        let mut one = [0u8; 16];
        one[15] = 1;
        assert_eq!(check_san(&constraints, &[ip(&one)]), Ok(()));
        one[15] = 2;
        assert_not_permitted(check_san(&constraints, &[ip(&one)]));
        assert_not_permitted(check_san(&constraints, &[ip(&[127, 0, 0, 1])]));
        // 2001:db8::/32 excluded.
        let mut documentation = [0u8; 32];
        documentation[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        documentation[16..20].fill(0xff);
        let excluded = nc(&[], &[ip(&documentation)]);
        let mut inside = [0u8; 16];
        inside[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        inside[15] = 5;
        assert_excluded(check_san(&excluded, &[ip(&inside)]));
        inside[3] = 0xb9;
        assert_eq!(check_san(&excluded, &[ip(&inside)]), Ok(()));
    }
}
