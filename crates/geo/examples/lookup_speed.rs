//! Rough per-lookup cost, to notice regressions in the per-row hot path.
//!
//! ```text
//! cargo run --release -p borderscope-geo --example lookup_speed -- [FILE.mmdb ...]
//! ```
//!
//! Looks up pseudo-random IPv4 and IPv6 addresses (public and reserved
//! mixed) against the built-in table plus any `.mmdb` files given.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use borderscope_geo::GeoDb;

const LOOKUPS: usize = 2_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut db = GeoDb::builtin();
    for path in std::env::args_os().skip(1) {
        db = db.with_mmdb(path)?;
    }
    let v4 = addresses(|x| IpAddr::V4(Ipv4Addr::from(x as u32)));
    // Mostly inside 2000::/3 so that lookups reach the tables.
    let v6 = addresses(|x| {
        IpAddr::V6(Ipv6Addr::from(
            (0x2000u128 << 112) | (u128::from(x) << 64 >> 3),
        ))
    });
    let warm = Instant::now();
    black_box(db.country(v4[0]));
    println!(
        "first lookup (decodes the built-in table): {:?}",
        warm.elapsed()
    );
    time("country, IPv4", &v4, |ip| db.country(ip).is_some());
    time("country, IPv6", &v6, |ip| db.country(ip).is_some());
    time("asn_number, IPv4", &v4, |ip| db.asn_number(ip).is_some());
    Ok(())
}

/// `LOOKUPS` addresses from a xorshift generator (deterministic, no deps).
fn addresses(make: impl Fn(u64) -> IpAddr) -> Vec<IpAddr> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..LOOKUPS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            make(state)
        })
        .collect()
}

fn time(label: &str, ips: &[IpAddr], lookup: impl Fn(IpAddr) -> bool) {
    let start = Instant::now();
    let found = ips.iter().filter(|&&ip| lookup(black_box(ip))).count();
    let per = start.elapsed() / ips.len() as u32;
    println!(
        "{label:>18}: {per:?} per lookup, {found} of {} answered",
        ips.len()
    );
}
