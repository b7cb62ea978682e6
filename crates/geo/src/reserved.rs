//! Private, special-purpose and reserved address ranges.
//!
//! These ranges do not identify a place: the same `10.0.0.1` exists in every
//! company. A country for them would be a guess, so [`is_reserved`] lets
//! [`GeoDb`](crate::GeoDb) answer `None`. Other code uses it to tell
//! "internal" addresses from Internet ones.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 ranges that never geolocate, as (network, prefix length). From the
/// IANA IPv4 Special-Purpose Address Registry plus multicast and class E.
const RESERVED_V4: [(u32, u8); 15] = [
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
    (0x0A00_0000, 8),  // 10.0.0.0/8 RFC 1918
    (0x6440_0000, 10), // 100.64.0.0/10 carrier-grade NAT (RFC 6598)
    (0x7F00_0000, 8),  // 127.0.0.0/8 loopback
    (0xA9FE_0000, 16), // 169.254.0.0/16 link-local
    (0xAC10_0000, 12), // 172.16.0.0/12 RFC 1918
    (0xC000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
    (0xC000_0200, 24), // 192.0.2.0/24 TEST-NET-1 documentation
    (0xC058_6300, 24), // 192.88.99.0/24 deprecated 6to4 relay anycast
    (0xC0A8_0000, 16), // 192.168.0.0/16 RFC 1918
    (0xC612_0000, 15), // 198.18.0.0/15 benchmarking
    (0xC633_6400, 24), // 198.51.100.0/24 TEST-NET-2 documentation
    (0xCB00_7100, 24), // 203.0.113.0/24 TEST-NET-3 documentation
    (0xE000_0000, 4),  // 224.0.0.0/4 multicast
    (0xF000_0000, 4),  // 240.0.0.0/4 reserved, incl. 255.255.255.255 broadcast
];

/// IPv6 ranges inside the global unicast block 2000::/3 that never
/// geolocate. Everything outside 2000::/3 is reserved as a whole (see
/// [`is_reserved_v6`]).
const RESERVED_V6_IN_GLOBAL: [(u128, u8); 7] = [
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 32), // 2001::/32 Teredo
    (0x2001_0002_0000_0000_0000_0000_0000_0000, 48), // 2001:2::/48 benchmarking
    (0x2001_0010_0000_0000_0000_0000_0000_0000, 28), // 2001:10::/28 ORCHID (deprecated)
    (0x2001_0020_0000_0000_0000_0000_0000_0000, 28), // 2001:20::/28 ORCHIDv2
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32), // 2001:db8::/32 documentation
    (0x2002_0000_0000_0000_0000_0000_0000_0000, 16), // 2002::/16 6to4
    (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20), // 3fff::/20 documentation (RFC 9637)
];

/// True when `ip` is private, loopback, link-local, multicast, documentation,
/// benchmarking, CGNAT or otherwise reserved, i.e. has no meaningful country.
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are judged by the embedded
/// IPv4 address, so `::ffff:10.0.0.1` is reserved and `::ffff:8.8.8.8` is not.
///
/// IPv6 outside the global unicast block `2000::/3` is reserved wholesale:
/// that covers `::`, `::1`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`,
/// discard `100::/64`, SRv6 SIDs `5f00::/16`, ULA `fc00::/7`, link-local
/// `fe80::/10` and multicast `ff00::/8`. Inside it, Teredo, 6to4, ORCHID,
/// benchmarking and documentation blocks are reserved too: tunnel and overlay
/// addresses say nothing about where a host is.
///
/// Cost: a handful of integer comparisons, no allocation.
#[inline]
pub fn is_reserved(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_reserved_v4(v4),
        IpAddr::V6(v6) => is_reserved_v6(v6),
    }
}

/// IPv4 half of [`is_reserved`].
#[inline]
pub fn is_reserved_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    RESERVED_V4
        .iter()
        .any(|&(net, len)| bits & mask_u32(len) == net)
}

/// IPv6 half of [`is_reserved`]. IPv4-mapped addresses are *not* unwrapped
/// here (they lie outside 2000::/3 and so count as reserved); use
/// [`is_reserved`] to judge them by their IPv4 address.
#[inline]
pub fn is_reserved_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    let global_unicast = bits >> 125 == 0b001;
    !global_unicast
        || RESERVED_V6_IN_GLOBAL
            .iter()
            .any(|&(net, len)| bits & mask_u128(len) == net)
}

/// Network mask with the top `len` bits set (`len` ≤ 32).
const fn mask_u32(len: u8) -> u32 {
    match len {
        0 => 0,
        _ => u32::MAX << (32 - len as u32),
    }
}

/// Network mask with the top `len` bits set (`len` ≤ 128).
const fn mask_u128(len: u8) -> u128 {
    match len {
        0 => 0,
        _ => u128::MAX << (128 - len as u32),
    }
}

/// Every reserved range as a CIDR, for tests and documentation.
pub fn reserved_networks() -> impl Iterator<Item = ipnet::IpNet> {
    let v4 = RESERVED_V4
        .iter()
        .map(|&(net, len)| ipnet::IpNet::V4(ipnet::Ipv4Net::new_assert(Ipv4Addr::from(net), len)));
    let outside_global = [(0u128, 3u8), (0x4000 << 112, 2), (0x8000 << 112, 1)];
    let v6 = outside_global
        .into_iter()
        .chain(RESERVED_V6_IN_GLOBAL)
        .map(|(net, len)| ipnet::IpNet::V6(ipnet::Ipv6Net::new_assert(Ipv6Addr::from(net), len)));
    v4.chain(v6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reserved(s: &str) -> bool {
        is_reserved(s.parse().unwrap())
    }

    #[test]
    fn table_entries_are_proper_networks() {
        for &(net, len) in &RESERVED_V4 {
            assert_eq!(net & !mask_u32(len), 0, "{net:#x}/{len} has host bits");
        }
        for &(net, len) in &RESERVED_V6_IN_GLOBAL {
            assert_eq!(net & !mask_u128(len), 0, "{net:#x}/{len} has host bits");
            assert_eq!(net >> 125, 1, "{net:#x} outside 2000::/3");
        }
    }

    #[test]
    fn first_and_last_address_of_every_range() {
        for net in reserved_networks() {
            assert!(is_reserved(net.network()), "{net} first");
            assert!(is_reserved(net.broadcast()), "{net} last");
        }
    }

    #[test]
    fn named_special_addresses() {
        for s in [
            "10.1.2.3",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "0.0.0.0",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.255",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "2002:808:808::1",
            "2001::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::808:808",
            "::8.8.8.8",
            "3fff::1",
            "5f00::1",
        ] {
            assert!(reserved(s), "{s} should be reserved");
        }
    }

    #[test]
    fn public_addresses_are_not_reserved() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.0",
            "172.15.255.255",
            "192.0.3.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "11.0.0.0",
            "2001:4860:4860::8888",
            "2a00:1450::1",
            "2001:200::1",
            "2001:4:112::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!reserved(s), "{s} should be public");
        }
    }
}
