//! Addresses drawn from a country's real registry delegations.
//!
//! A [`Pool`] is a set of IPv4 ranges with their sizes summed, so a draw is
//! uniform over the addresses, not over the ranges. The ranges come from
//! the geo crate's built-in registry table, which is also what the store's
//! `ip_country` answers from when no MaxMind database is given: an address
//! drawn for a country geolocates back to it.

use std::net::Ipv4Addr;

use anyhow::{bail, Result};
use borderscope_geo::builtin::builtin_table;
use borderscope_geo::{is_reserved_v4, CountryCode};

use crate::rng::Rng;

/// IPv4 ranges to draw addresses from.
#[derive(Debug, Clone)]
pub struct Pool {
    /// First address of each range.
    starts: Vec<u32>,
    /// Addresses in ranges `0..=i`.
    ends: Vec<u64>,
}

impl Pool {
    /// Every IPv4 address the registries delegated to `country`.
    pub fn country(country: CountryCode) -> Result<Pool> {
        let ranges = builtin_table().v4_ranges(country);
        let pool = Pool::from_ranges(
            ranges
                .iter()
                .map(|r| (u32::from(*r.start()), u32::from(*r.end()))),
        );
        if pool.size() < 4096 {
            bail!(
                "the registry delegations give {country} only {} IPv4 addresses; pick a country with more",
                pool.size()
            );
        }
        Ok(pool)
    }

    /// A pool of inclusive `(first, last)` ranges.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> Pool {
        let mut pool = Pool {
            starts: Vec::new(),
            ends: Vec::new(),
        };
        let mut total = 0u64;
        for (s, e) in ranges {
            if e < s {
                continue;
            }
            total += u64::from(e - s) + 1;
            pool.starts.push(s);
            pool.ends.push(total);
        }
        pool
    }

    /// Number of addresses.
    pub fn size(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// The address at position `n` of the pool.
    fn nth(&self, n: u64) -> Ipv4Addr {
        let i = self.ends.partition_point(|&end| end <= n);
        let before = if i == 0 { 0 } else { self.ends[i - 1] };
        Ipv4Addr::from(self.starts[i] + (n - before) as u32)
    }

    /// A uniformly drawn host address: never a reserved one, nor one ending
    /// in .0 or .255, which hosts rarely hold.
    pub fn draw(&self, rng: &mut Rng) -> Ipv4Addr {
        loop {
            let ip = self.nth(rng.below(self.size()));
            let last = ip.octets()[3];
            if last != 0 && last != 255 && !is_reserved_v4(ip) {
                return ip;
            }
        }
    }

    /// `n` blocks of `2^bits` addresses inside the pool (aligned, each wholly
    /// inside one range): the networks a sensor monitors, the address plan
    /// of one provider.
    pub fn blocks(&self, rng: &mut Rng, n: usize, bits: u32) -> Pool {
        let size = 1u32 << bits;
        let mut blocks = Vec::new();
        let mut tries = 0;
        while blocks.len() < n && tries < 100_000 {
            tries += 1;
            let ip = u32::from(self.nth(rng.below(self.size())));
            let start = ip & !(size - 1);
            let end = start | (size - 1);
            let inside = self.contains(start) && self.contains(end) && self.same_range(start, end);
            if inside && !blocks.iter().any(|&(s, _)| s == start) {
                blocks.push((start, end));
            }
        }
        blocks.sort_unstable();
        Pool::from_ranges(blocks)
    }

    fn range_of(&self, ip: u32) -> Option<usize> {
        let i = self.starts.partition_point(|&s| s <= ip).checked_sub(1)?;
        let len = self.ends[i] - if i == 0 { 0 } else { self.ends[i - 1] };
        (u64::from(ip - self.starts[i]) < len).then_some(i)
    }

    pub fn contains(&self, ip: u32) -> bool {
        self.range_of(ip).is_some()
    }

    fn same_range(&self, a: u32, b: u32) -> bool {
        self.range_of(a).is_some() && self.range_of(a) == self.range_of(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use borderscope_geo::GeoDb;
    use std::net::IpAddr;

    fn cc(s: &str) -> CountryCode {
        CountryCode::parse(s).unwrap()
    }

    #[test]
    fn drawn_addresses_geolocate_to_their_country() {
        let geo = GeoDb::builtin();
        let mut rng = Rng::new(3);
        for c in ["CN", "US", "RU", "DE", "BR"] {
            let pool = Pool::country(cc(c)).unwrap();
            for _ in 0..500 {
                let ip = pool.draw(&mut rng);
                assert_eq!(geo.country(IpAddr::V4(ip)), Some(cc(c)), "{ip}");
                assert!(!matches!(ip.octets()[3], 0 | 255));
            }
        }
    }

    #[test]
    fn draws_are_uniform_over_addresses_not_ranges() {
        // One range of 10 addresses and one of 1000: about 1% of draws
        // land in the small one.
        let pool = Pool::from_ranges([(0x0101_0101, 0x0101_010a), (0x0202_0000, 0x0202_03e7)]);
        assert_eq!(pool.size(), 1010);
        let mut rng = Rng::new(9);
        let small = (0..20_000)
            .filter(|_| pool.draw(&mut rng) < Ipv4Addr::new(2, 0, 0, 0))
            .count();
        assert!((100..320).contains(&small), "{small}");
    }

    #[test]
    fn blocks_lie_inside_the_pool() {
        let pool = Pool::country(cc("CN")).unwrap();
        let mut rng = Rng::new(5);
        let blocks = pool.blocks(&mut rng, 6, 12);
        assert_eq!(blocks.size(), 6 * 4096);
        for _ in 0..200 {
            let ip = blocks.draw(&mut rng);
            assert!(pool.contains(u32::from(ip)));
        }
    }

    #[test]
    fn a_country_without_addresses_is_an_error() {
        assert!(Pool::country(cc("ZZ")).is_err());
    }
}
