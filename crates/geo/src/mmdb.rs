//! [`MmdbSource`]: one MaxMind-format (`.mmdb`) database file.
//!
//! GeoIP2/GeoLite2, DB-IP and IPinfo all ship this format, with different
//! record layouts. The decoders here read only the few fields needed, as
//! `&str` borrowed from the database buffer, so a lookup allocates nothing.

use std::fmt;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{MaxMindDbError, Reader};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::{Asn, CountryCode, GeoError};

/// A loaded `.mmdb` file, queried *without* the reserved-range filter.
///
/// Its methods return exactly what the file says. That is what a
/// conformance test against MaxMind's test databases needs (they
/// deliberately hold entries for reserved and test ranges), and what
/// [`GeoDb`](crate::GeoDb) builds on; `GeoDb` adds the reserved filter,
/// source priority and the built-in fallback.
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
pub struct MmdbSource {
    reader: Reader<Vec<u8>>,
    path: PathBuf,
    has_ipv6: bool,
}

impl fmt::Debug for MmdbSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MmdbSource")
            .field("path", &self.path)
            .field("database_type", &self.database_type())
            .finish_non_exhaustive()
    }
}

impl MmdbSource {
    /// Reads and validates the database at `path` (loaded fully into memory).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, GeoError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| GeoError::ReadMmdb {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(bytes, path)
    }

    /// Uses an in-memory database; `label` stands in for the path in errors.
    pub fn from_bytes(bytes: Vec<u8>, label: impl Into<PathBuf>) -> Result<Self, GeoError> {
        let path = label.into();
        match Reader::from_source(bytes) {
            Ok(reader) => Ok(Self {
                has_ipv6: reader.metadata().ip_version == 6,
                reader,
                path,
            }),
            Err(source) => Err(GeoError::InvalidMmdb { path, source }),
        }
    }

    /// The file this was loaded from (or the label given to `from_bytes`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database's self-declared type, e.g. `"GeoLite2-ASN"`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Country of `ip` as recorded in this file: `country.iso_code`, else a
    /// flat `country_code` or two-letter `country` string (IPinfo), else
    /// `registered_country.iso_code`. `Ok(None)` when the file has no record
    /// or the record has no usable code.
    #[inline]
    pub fn country(&self, ip: IpAddr) -> Result<Option<CountryCode>, GeoError> {
        let record = self.record::<CountryRecord<'_>>(ip)?;
        Ok(record.and_then(|r| r.code()))
    }

    /// Autonomous system of `ip`: `autonomous_system_number` and
    /// `autonomous_system_organization` (MaxMind, DB-IP), or `asn` ("AS123")
    /// and `as_name` (IPinfo).
    pub fn asn(&self, ip: IpAddr) -> Result<Option<Asn>, GeoError> {
        self.with_asn(ip, |number, org| Asn {
            number,
            org: org.map(str::to_owned),
        })
    }

    /// Just the AS number, without allocating for the organisation name.
    #[inline]
    pub fn asn_number(&self, ip: IpAddr) -> Result<Option<u32>, GeoError> {
        self.with_asn(ip, |number, _| number)
    }

    /// Decodes the ASN fields and hands the borrowed organisation to `build`.
    #[inline]
    fn with_asn<T>(
        &self,
        ip: IpAddr,
        build: impl FnOnce(u32, Option<&str>) -> T,
    ) -> Result<Option<T>, GeoError> {
        let Some(record) = self.record::<AsnRecord<'_>>(ip)? else {
            return Ok(None);
        };
        Ok(record.number().map(|n| build(n, record.org())))
    }

    /// Looks `ip` up and decodes its record as `T`, borrowing from the file.
    #[inline]
    fn record<'a, T: Deserialize<'a>>(&'a self, ip: IpAddr) -> Result<Option<T>, GeoError> {
        let ip = ip.to_canonical();
        // An IPv4-only file cannot hold IPv6 answers; the reader would return
        // an error for it, which is not one.
        if ip.is_ipv6() && !self.has_ipv6 {
            return Ok(None);
        }
        self.reader
            .lookup(ip)
            .and_then(|found| found.decode::<T>())
            .map_err(|source| self.lookup_error(ip, source))
    }

    #[cold]
    fn lookup_error(&self, ip: IpAddr, source: MaxMindDbError) -> GeoError {
        GeoError::MmdbLookup {
            path: self.path.clone(),
            ip,
            source,
        }
    }
}

/// The country-bearing fields of GeoIP2 Country/City, DB-IP and IPinfo
/// records; everything else in the record is skipped unread.
#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    country: Option<CountryField<'a>>,
    #[serde(borrow)]
    registered_country: Option<CountryField<'a>>,
    #[serde(borrow)]
    country_code: Option<&'a str>,
}

impl CountryRecord<'_> {
    /// Where the user is (`country`) beats where the block is registered.
    fn code(&self) -> Option<CountryCode> {
        let field = |f: &Option<CountryField<'_>>| f.as_ref().and_then(CountryField::code);
        field(&self.country)
            .or_else(|| self.country_code.and_then(CountryCode::parse))
            .or_else(|| field(&self.registered_country))
    }
}

/// `country` is a map with `iso_code` in MaxMind-style records but a plain
/// string in IPinfo ones (a code in some products, a country name in
/// others; names simply fail [`CountryCode::parse`]).
struct CountryField<'a>(Option<&'a str>);

impl CountryField<'_> {
    fn code(&self) -> Option<CountryCode> {
        self.0.and_then(CountryCode::parse)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for CountryField<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CountryFieldVisitor(PhantomData))
    }
}

struct CountryFieldVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for CountryFieldVisitor<'a> {
    type Value = CountryField<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a country code string or a map with an iso_code")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(CountryField(Some(v)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut iso_code = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "iso_code" {
                iso_code = Some(map.next_value::<&'de str>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(CountryField(iso_code))
    }
}

/// ASN fields of GeoLite2-ASN / DB-IP (`autonomous_system_*`) and IPinfo
/// (`asn`, `as_name`) records.
#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<AsnNumber>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
    asn: Option<AsnNumber>,
    #[serde(borrow)]
    as_name: Option<&'a str>,
}

impl<'a> AsnRecord<'a> {
    fn number(&self) -> Option<u32> {
        let number = |n: &Option<AsnNumber>| n.as_ref().and_then(|n| n.0);
        number(&self.autonomous_system_number).or_else(|| number(&self.asn))
    }

    /// Empty names (seen in some exports) mean "unknown".
    fn org(&self) -> Option<&'a str> {
        self.autonomous_system_organization
            .or(self.as_name)
            .filter(|name| !name.is_empty())
    }
}

/// An AS number stored as any unsigned integer type, or as a string like
/// `"AS15169"` or `"15169"`. Unparseable strings give `None`, not an error,
/// so one odd record does not hide the rest of it.
struct AsnNumber(Option<u32>);

impl<'de> Deserialize<'de> for AsnNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AsnNumberVisitor)
    }
}

struct AsnNumberVisitor;

impl Visitor<'_> for AsnNumberVisitor {
    type Value = AsnNumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AS number as an integer or a string like \"AS123\"")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(AsnNumber(u32::try_from(v).ok()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(AsnNumber(u32::try_from(v).ok()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Ok(AsnNumber(u32::try_from(v).ok()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(AsnNumber(parse_as_string(v)))
    }
}

/// `"AS123"`, `"as123"` or `"123"` → 123.
fn parse_as_string(s: &str) -> Option<u32> {
    let digits = match s.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("AS") => &s[2..],
        _ => s,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country_of(json: &str) -> Option<String> {
        let record: CountryRecord<'_> = serde_json::from_str(json).unwrap();
        record.code().map(|c| c.to_string())
    }

    fn asn_of(json: &str) -> (Option<u32>, Option<String>) {
        let record: AsnRecord<'_> = serde_json::from_str(json).unwrap();
        (record.number(), record.org().map(str::to_owned))
    }

    #[test]
    fn maxmind_country_shapes() {
        let both = r#"{"country":{"iso_code":"SE","names":{"en":"Sweden"}},"registered_country":{"iso_code":"DE"}}"#;
        assert_eq!(country_of(both).as_deref(), Some("SE"));
        let registered_only =
            r#"{"continent":{"code":"EU"},"registered_country":{"iso_code":"DE"}}"#;
        assert_eq!(country_of(registered_only).as_deref(), Some("DE"));
        let no_iso = r#"{"country":{"geoname_id":1},"registered_country":{"iso_code":"DE"}}"#;
        assert_eq!(country_of(no_iso).as_deref(), Some("DE"));
        assert_eq!(country_of(r#"{"continent":{"code":"EU"}}"#), None);
    }

    #[test]
    fn ipinfo_country_shapes() {
        assert_eq!(
            country_of(r#"{"country":"us","asn":"AS1"}"#).as_deref(),
            Some("US")
        );
        let lite = r#"{"country":"United States","country_code":"US"}"#;
        assert_eq!(country_of(lite).as_deref(), Some("US"));
        assert_eq!(country_of(r#"{"country":"United States"}"#), None);
    }

    #[test]
    fn asn_shapes() {
        let maxmind =
            r#"{"autonomous_system_number":15169,"autonomous_system_organization":"Google"}"#;
        assert_eq!(asn_of(maxmind), (Some(15169), Some("Google".into())));
        assert_eq!(
            asn_of(r#"{"autonomous_system_number":7018}"#),
            (Some(7018), None)
        );
        let ipinfo = r#"{"asn":"AS13335","as_name":"Cloudflare","as_domain":"cloudflare.com"}"#;
        assert_eq!(asn_of(ipinfo), (Some(13335), Some("Cloudflare".into())));
        assert_eq!(asn_of(r#"{"asn":"","as_name":""}"#), (None, None));
        assert_eq!(asn_of(r#"{"asn":4294967296}"#), (None, None));
        assert_eq!(asn_of(r#"{"country":{"iso_code":"US"}}"#), (None, None));
    }

    #[test]
    fn as_strings() {
        assert_eq!(parse_as_string("AS123"), Some(123));
        assert_eq!(parse_as_string("as4200000000"), Some(4_200_000_000));
        assert_eq!(parse_as_string("65000"), Some(65000));
        for bad in ["", "AS", "AS-1", "ASx", "AS99999999999", "+5", "ü"] {
            assert_eq!(parse_as_string(bad), None, "{bad:?}");
        }
    }
}
