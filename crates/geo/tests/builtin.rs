//! The embedded registry country table.

use std::net::IpAddr;
use std::path::Path;

use borderscope_geo::builtin::{self, builtin_table};
use borderscope_geo::{reserved_networks, CountryCode, GeoDb, GeoSource, RangeTable};
use ipnet::IpNet;

const RIR: &str = "geo/rir-country";

fn country(db: &GeoDb, addr: &str) -> Option<String> {
    db.country(addr.parse().unwrap()).map(|c| c.to_string())
}

#[test]
fn embedded_file_is_small_and_decodes() {
    const {
        assert!(
            builtin::EMBEDDED_SIZE < 2_000_000,
            "embedded table over 2 MB"
        )
    };
    let table = builtin::decode_embedded().expect("embedded table decodes");
    let (v4, v6) = table.segment_counts();
    assert!(
        v4 > 100_000 && v6 > 50_000,
        "{v4} IPv4 / {v6} IPv6 segments"
    );
}

#[test]
fn well_known_addresses() {
    let db = GeoDb::builtin();
    for (addr, want) in [
        ("8.8.8.8", "US"),
        ("9.9.9.9", "US"),
        ("1.1.1.1", "AU"),
        ("193.0.6.139", "NL"),
        ("200.160.2.3", "BR"),
        ("196.216.2.1", "MU"),
        ("202.12.27.33", "JP"),
        ("81.2.69.142", "GB"),
        ("::ffff:8.8.8.8", "US"),
        ("2001:4860:4860::8888", "US"),
        ("2001:67c:2e8::1", "NL"),
        ("2001:12ff::1", "BR"),
        ("2a00:1450:4001::1", "IE"),
        ("2001:4:112::1", "US"),
    ] {
        assert_eq!(country(&db, addr).as_deref(), Some(want), "{addr}");
        assert_eq!(
            db.lookup(addr.parse().unwrap()).source.country,
            Some(GeoSource::Builtin)
        );
    }
}

#[test]
fn every_reserved_range_answers_none() {
    let db = GeoDb::builtin();
    for net in reserved_networks() {
        for addr in [net.network(), middle(&net), net.broadcast()] {
            assert_eq!(db.country(addr), None, "{addr} in {net}");
            assert_eq!(db.lookup(addr), Default::default(), "{addr} in {net}");
        }
    }
    for addr in [
        "10.0.0.1",
        "192.168.1.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "::ffff:172.16.0.1",
    ] {
        assert_eq!(country(&db, addr), None, "{addr}");
    }
}

fn middle(net: &IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) => {
            let (lo, hi) = (u32::from(n.network()), u32::from(n.broadcast()));
            IpAddr::V4((lo + (hi - lo) / 2).into())
        }
        IpNet::V6(n) => {
            let (lo, hi) = (u128::from(n.network()), u128::from(n.broadcast()));
            IpAddr::V6((lo + (hi - lo) / 2).into())
        }
    }
}

/// One address of the first prefix of a few countries' files, read from
/// the shared copy of the source.
#[test]
fn addresses_from_shared_country_files() {
    let root = borderscope_testdata::require_shared!(RIR);
    let db = GeoDb::builtin();
    for cc in ["de", "jp", "br", "za", "in", "fr", "ru", "au", "ca", "cn"] {
        for family in ["ipv4", "ipv6"] {
            let prefixes =
                read_prefixes(&root.join(format!("country/{cc}/{family}-aggregated.txt")));
            let net = prefixes
                .first()
                .unwrap_or_else(|| panic!("{cc} {family} file is empty"));
            let got = db
                .country(middle(net))
                .map(|c| c.to_string().to_lowercase());
            assert_eq!(got.as_deref(), Some(cc), "{net}");
        }
    }
}

/// The committed file is what the generator makes from the shared source:
/// rebuilt through the library, and every prefix of every country file
/// checked at its first and last address with a parser written here.
#[test]
fn builtin_matches_shared_source() {
    let root = borderscope_testdata::require_shared!(RIR);
    let mut builder = RangeTable::builder();
    builder.insert_ipverse_dir(&root).unwrap();
    let (rebuilt, stats) = builder.build_with_stats();
    assert!(
        rebuilt == *builtin_table(),
        "embedded table differs from {}; regenerate it (see crates/geo/data/README.md)",
        root.display()
    );

    let mut checked = 0;
    for dir in std::fs::read_dir(root.join("country")).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let want: CountryCode = name.parse().unwrap();
        for family in ["ipv4", "ipv6"] {
            for net in read_prefixes(&dir.join(format!("{family}-aggregated.txt"))) {
                assert_eq!(
                    builtin_table().get(net.network()),
                    Some(want),
                    "{net} ({name})"
                );
                assert_eq!(
                    builtin_table().get(net.broadcast()),
                    Some(want),
                    "{net} ({name})"
                );
                checked += 1;
            }
        }
    }
    eprintln!("verified {checked} registry prefixes against the embedded table");
    assert_eq!(checked, stats.prefixes);
    assert!(checked > 200_000, "only {checked} prefixes");
}

/// The prefixes of one source file; an absent file (some countries have no
/// IPv6) has none.
fn read_prefixes(path: &Path) -> Vec<IpNet> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.parse()
                .unwrap_or_else(|e| panic!("{}: {l}: {e}", path.display()))
        })
        .collect()
}

#[test]
fn a_countrys_ranges_geolocate_to_it_at_both_ends() {
    let db = GeoDb::builtin();
    let cn = CountryCode::parse("CN").unwrap();
    let ranges = builtin_table().v4_ranges(cn);
    assert!(ranges.len() > 1_000, "{} CN ranges", ranges.len());
    let size: u64 = ranges
        .iter()
        .map(|r| u64::from(u32::from(*r.end()) - u32::from(*r.start())) + 1)
        .sum();
    // China holds about 340 million IPv4 addresses.
    assert!((300_000_000..400_000_000).contains(&size), "{size}");
    for r in ranges.iter().step_by(97) {
        for ip in [*r.start(), *r.end()] {
            assert_eq!(db.country(IpAddr::V4(ip)), Some(cn), "{ip}");
        }
    }
    assert!(!builtin_table().v6_ranges(cn).is_empty());
}
