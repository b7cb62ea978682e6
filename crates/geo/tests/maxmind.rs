//! The `.mmdb` reader against MaxMind's published test databases, source
//! priority, the reserved filter on top of it, and load errors.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use borderscope_geo::{is_reserved, Asn, CountryCode, GeoDb, GeoError, GeoSource, MmdbSource};
use ipnet::IpNet;
use serde_json::Value;

const COUNTRY_JSON: &str = "geo/maxmind-test/source-data/GeoIP2-Country-Test.json";
const COUNTRY_MMDB: &str = "geo/maxmind-test/GeoIP2-Country-Test.mmdb";
const ASN_JSON: &str = "geo/maxmind-test/source-data/GeoLite2-ASN-Test.json";
const ASN_MMDB: &str = "geo/maxmind-test/GeoLite2-ASN-Test.mmdb";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// `(network, record)` for every entry of a MaxMind source-data file: a
/// JSON array of single-key objects `{ "<cidr>": { ...record... } }`.
/// Some keys have host bits set (`::74.209.24.0/116`); like MaxMind's
/// writer, the network is the masked prefix.
fn source_networks(path: &Path) -> Vec<(IpNet, Value)> {
    let text = std::fs::read_to_string(path).unwrap();
    let Value::Array(entries) = serde_json::from_str(&text).unwrap() else {
        panic!("{} is not a JSON array", path.display());
    };
    let mut networks = Vec::new();
    for entry in entries {
        let Value::Object(map) = entry else {
            panic!("entry in {} is not an object", path.display());
        };
        for (cidr, record) in map {
            let net: IpNet = cidr.parse().unwrap_or_else(|e| panic!("{cidr}: {e}"));
            networks.push((net.trunc(), record));
        }
    }
    networks
}

fn first_and_last(net: &IpNet) -> [IpAddr; 2] {
    [net.network(), net.broadcast()]
}

/// The country MaxMind's record says: `country.iso_code`, else
/// `registered_country.iso_code`.
fn expected_country(record: &Value) -> Option<CountryCode> {
    ["country", "registered_country"]
        .iter()
        .find_map(|key| record[key]["iso_code"].as_str())
        .map(|code| code.parse().unwrap())
}

fn expected_asn(record: &Value) -> Option<Asn> {
    let number = record["autonomous_system_number"].as_u64()?;
    Some(Asn {
        number: u32::try_from(number).unwrap(),
        org: record["autonomous_system_organization"]
            .as_str()
            .map(str::to_owned),
    })
}

#[test]
fn country_test_database_matches_its_source_data() {
    let json = borderscope_testdata::require_shared!(COUNTRY_JSON);
    let mmdb = borderscope_testdata::require_shared!(COUNTRY_MMDB);
    let source = MmdbSource::open(&mmdb).unwrap();
    let db = GeoDb::empty().with_mmdb(&mmdb).unwrap();
    let networks = source_networks(&json);
    let mut checked = 0;
    for (net, record) in &networks {
        let want = expected_country(record);
        for addr in first_and_last(net) {
            let raw = source
                .country(addr)
                .unwrap_or_else(|e| panic!("{addr} in {net}: {e}"));
            assert_eq!(raw, want, "{addr} (first/last of {net})");
            let answer = db.lookup_unfiltered(addr);
            assert_eq!(answer.country, want, "unfiltered {addr}");
            assert_eq!(answer.source.country, want.map(|_| GeoSource::Mmdb(0)));
            let filtered = if is_reserved(addr) { None } else { want };
            assert_eq!(db.country(addr), filtered, "filtered {addr}");
        }
        checked += 1;
    }
    eprintln!("verified {checked} GeoIP2-Country-Test networks");
    assert_eq!(checked, networks.len());
    assert!(
        checked > 300,
        "only {checked} networks in {}",
        json.display()
    );
    assert_eq!(db.lookup_errors(), 0);
}

#[test]
fn asn_test_database_matches_its_source_data() {
    let json = borderscope_testdata::require_shared!(ASN_JSON);
    let mmdb = borderscope_testdata::require_shared!(ASN_MMDB);
    let source = MmdbSource::open(&mmdb).unwrap();
    let db = GeoDb::empty().with_mmdb(&mmdb).unwrap();
    let networks = source_networks(&json);
    let mut checked = 0;
    for (net, record) in &networks {
        let want = expected_asn(record);
        assert!(want.is_some(), "{net} has no autonomous_system_number");
        for addr in first_and_last(net) {
            let raw = source
                .asn(addr)
                .unwrap_or_else(|e| panic!("{addr} in {net}: {e}"));
            assert_eq!(raw, want, "{addr} (first/last of {net})");
            let number = source.asn_number(addr).unwrap();
            assert_eq!(number, want.as_ref().map(|a| a.number));
            assert_eq!(db.lookup_unfiltered(addr).asn, want, "unfiltered {addr}");
            // An ASN database has no countries.
            assert_eq!(source.country(addr).unwrap(), None);
        }
        checked += 1;
    }
    eprintln!("verified {checked} GeoLite2-ASN-Test networks");
    assert_eq!(checked, networks.len());
    assert!(
        checked > 700,
        "only {checked} networks in {}",
        json.display()
    );
    assert_eq!(db.lookup_errors(), 0);
}

#[test]
fn city_and_geolite_country_databases_decode() {
    let city = borderscope_testdata::require_shared!("geo/maxmind-test/GeoIP2-City-Test.mmdb");
    let lite = borderscope_testdata::require_shared!("geo/maxmind-test/GeoLite2-Country-Test.mmdb");
    for path in [city, lite] {
        let source = MmdbSource::open(&path).unwrap();
        let code = source.country(ip("81.2.69.142")).unwrap();
        assert_eq!(
            code.map(|c| c.to_string()).as_deref(),
            Some("GB"),
            "{}",
            path.display()
        );
        assert_eq!(source.country(ip("::ffff:81.2.69.142")).unwrap(), code);
        assert_eq!(source.asn(ip("81.2.69.142")).unwrap(), None);
    }
}

#[test]
fn sources_answer_in_priority_order() {
    let country = borderscope_testdata::require_shared!(COUNTRY_MMDB);
    let asn = borderscope_testdata::require_shared!(ASN_MMDB);
    let db = GeoDb::builtin()
        .with_mmdb(&country)
        .unwrap()
        .with_mmdb(&asn)
        .unwrap();
    assert_eq!(db.mmdb_sources().len(), 2);
    assert_eq!(
        db.source_label(GeoSource::Mmdb(1)),
        asn.display().to_string()
    );

    // In the Country test database: it wins over the built-in table.
    let jp = db.lookup(ip("2001:218::1"));
    assert_eq!(jp.country.map(|c| c.to_string()).as_deref(), Some("JP"));
    assert_eq!(jp.source.country, Some(GeoSource::Mmdb(0)));

    // Not in the Country test database: the built-in table answers the
    // country, the ASN database the ASN.
    let google = db.lookup(ip("1.0.0.1"));
    assert_eq!(google.country.map(|c| c.to_string()).as_deref(), Some("AU"));
    assert_eq!(google.source.country, Some(GeoSource::Builtin));
    let want = Asn {
        number: 15169,
        org: Some("Google Inc.".into()),
    };
    assert_eq!(google.asn, Some(want));
    assert_eq!(google.source.asn, Some(GeoSource::Mmdb(1)));
    assert_eq!(db.asn_number(ip("1.0.0.1")), Some(15169));
    assert_eq!(db.asn_number(ip("::ffff:1.0.0.1")), Some(15169));
}

/// MaxMind's test data holds records in reserved space (e.g. the
/// IPv4-compatible `::81.2.69.142/127`); the raw reader reports them, the
/// filtered `GeoDb` API does not.
#[test]
fn reserved_filter_applies_on_top_of_mmdb_answers() {
    let country = borderscope_testdata::require_shared!(COUNTRY_MMDB);
    let asn = borderscope_testdata::require_shared!(ASN_MMDB);
    let db = GeoDb::builtin()
        .with_mmdb(&country)
        .unwrap()
        .with_mmdb(&asn)
        .unwrap();
    let compat = ip("::81.2.69.142");
    assert!(db.lookup_unfiltered(compat).country.is_some());
    assert_eq!(db.country(compat), None);
    assert_eq!(db.lookup(compat), Default::default());
    for net in borderscope_geo::reserved_networks() {
        for addr in first_and_last(&net) {
            assert_eq!(
                db.lookup(addr),
                Default::default(),
                "{addr} in reserved {net}"
            );
            assert_eq!(db.asn(addr), None);
            assert_eq!(db.asn_number(addr), None);
        }
    }
}

fn scratch_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("borderscope-geo-{name}"));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn missing_file_error_names_the_path() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir/GeoLite2-City.mmdb");
    let err = GeoDb::builtin().with_mmdb(&path).unwrap_err();
    assert!(matches!(err, GeoError::ReadMmdb { .. }), "{err:?}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    let cause = std::error::Error::source(&err).expect("io cause");
    let io = cause.downcast_ref::<std::io::Error>().unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn directory_is_not_a_database() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let err = MmdbSource::open(dir).unwrap_err();
    assert!(matches!(err, GeoError::ReadMmdb { .. }), "{err:?}");
}

#[test]
fn garbage_files_are_rejected_with_the_path() {
    let text = b"1.0.0.0/24\n# not a MaxMind database\n".repeat(100);
    let marker_only = b"\xab\xcd\xefMaxMind.com garbage after the metadata marker".to_vec();
    for (name, bytes) in [
        ("empty.mmdb", Vec::new()),
        ("text.mmdb", text),
        ("marker.mmdb", marker_only),
    ] {
        let path = scratch_file(name, &bytes);
        let err = MmdbSource::open(&path).unwrap_err();
        assert!(
            matches!(err, GeoError::InvalidMmdb { .. }),
            "{name}: {err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&*path.to_string_lossy()), "{msg}");
        assert!(msg.contains("not a valid MaxMind database"), "{msg}");
        assert!(std::error::Error::source(&err).is_some());
    }
}

#[test]
fn truncated_database_is_rejected_or_reads_safely() {
    let mmdb = borderscope_testdata::require_shared!(COUNTRY_MMDB);
    let bytes = std::fs::read(&mmdb).unwrap();
    // Cutting the file anywhere must give an error or a working reader,
    // never a panic, and lookups on what loads must not panic either.
    for cut in (0..bytes.len()).step_by(997) {
        if let Ok(source) = MmdbSource::from_bytes(bytes[..cut].to_vec(), "cut.mmdb") {
            let _ = source.country(ip("2001:218::1"));
            let _ = source.asn(ip("81.2.69.142"));
        }
    }
    // Flipping bytes inside the search tree and data section likewise.
    let mut corrupt = bytes.clone();
    for i in (0..corrupt.len() / 2).step_by(61) {
        corrupt[i] ^= 0x5a;
    }
    if let Ok(source) = MmdbSource::from_bytes(corrupt, "flipped.mmdb") {
        let db = GeoDb::empty().with_mmdb_source(source);
        for addr in ["2001:218::1", "81.2.69.142", "1.0.0.1", "2a02:d500::1"] {
            let _ = db.lookup(ip(addr));
        }
    }
}
