//! [`GeoDb`]: the prioritised set of sources that answers lookups.

use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::builtin::builtin_table;
use crate::{is_reserved, CountryCode, GeoError, MmdbSource};

/// An autonomous system: the network operator an address is routed to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Asn {
    /// The AS number, e.g. 15169.
    pub number: u32,
    /// The operator's name when the database has one, e.g. "Google LLC".
    pub org: Option<String>,
}

/// Which database supplied an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeoSource {
    /// The `.mmdb` file at this index of [`GeoDb::mmdb_sources`] (the order
    /// they were added in).
    Mmdb(usize),
    /// The built-in registry delegation table.
    Builtin,
}

/// Which database supplied each part of a [`GeoAnswer`]; they can differ,
/// e.g. country from a City database and ASN from an ASN database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AnswerSource {
    /// Source of [`GeoAnswer::country`], `None` when there is no country.
    pub country: Option<GeoSource>,
    /// Source of [`GeoAnswer::asn`], `None` when there is no ASN.
    pub asn: Option<GeoSource>,
}

/// Everything known about one address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoAnswer {
    /// Country, `None` for reserved addresses and unknown space.
    pub country: Option<CountryCode>,
    /// Autonomous system, only available from `.mmdb` ASN databases.
    pub asn: Option<Asn>,
    /// Which database answered each field.
    pub source: AnswerSource,
}

/// Country and ASN for any address, from `.mmdb` files first (in the order
/// added) and then the built-in registry table.
///
/// Build one at start-up and share it (`Arc<GeoDb>`); it is `Send + Sync`
/// and lookups take `&self`.
///
/// ```
/// use borderscope_geo::GeoDb;
/// let geo = GeoDb::builtin();
/// assert_eq!(geo.country("8.8.8.8".parse().unwrap()).unwrap().as_str(), "US");
/// assert_eq!(geo.country("10.1.2.3".parse().unwrap()), None); // private
/// ```
///
/// # Filtered and unfiltered lookups
///
/// [`country`](Self::country), [`asn`](Self::asn) and
/// [`lookup`](Self::lookup) answer `None` for reserved addresses (see
/// [`is_reserved`]): the same `10.0.0.1` exists in every network, so any
/// country for it would be a guess, whatever a database file happens to
/// hold there. [`lookup_unfiltered`](Self::lookup_unfiltered) skips that
/// check and reports what the sources hold; it exists so that tests can
/// compare against MaxMind's test databases, which deliberately hold
/// entries for reserved and test ranges, and for diagnosing what a
/// database says about an address.
///
/// # Cost
///
/// Each `.mmdb` consulted costs one search-tree walk plus decoding a few
/// fields; a file that lacks the field asked for (a City database asked for
/// an ASN) is walked for nothing. So add files in the order that answers
/// most rows first, and prefer [`country`](Self::country) and
/// [`asn_number`](Self::asn_number) in per-row code: they do not allocate.
///
/// # Errors during lookups
///
/// Per-row lookups never fail: a record that cannot be decoded (corrupt
/// file, unexpected field types) counts as "no answer from that source",
/// the next source is tried, and [`lookup_errors`](Self::lookup_errors)
/// counts it so that callers can report it once rather than per row. Use
/// [`MmdbSource`]'s methods to see the error itself.
#[derive(Debug)]
pub struct GeoDb {
    mmdbs: Vec<MmdbSource>,
    builtin: bool,
    lookup_errors: AtomicU64,
}

impl GeoDb {
    /// No sources at all: every lookup answers `None` until some are added.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            mmdbs: Vec::new(),
            builtin: false,
            lookup_errors: AtomicU64::new(0),
        }
    }

    /// The built-in registry table only. Its data is decoded on first use.
    #[must_use]
    pub fn builtin() -> Self {
        Self::empty().with_builtin()
    }

    /// Adds the built-in table as the last resort (after every `.mmdb`,
    /// whatever the call order).
    #[must_use]
    pub fn with_builtin(mut self) -> Self {
        self.builtin = true;
        self
    }

    /// Opens a `.mmdb` file and adds it after those already added.
    pub fn with_mmdb(self, path: impl AsRef<Path>) -> Result<Self, GeoError> {
        Ok(self.with_mmdb_source(MmdbSource::open(path)?))
    }

    /// Adds an already opened `.mmdb` after those already added.
    #[must_use]
    pub fn with_mmdb_source(mut self, source: MmdbSource) -> Self {
        self.mmdbs.push(source);
        self
    }

    /// The `.mmdb` files in priority order; [`GeoSource::Mmdb`] indexes this.
    pub fn mmdb_sources(&self) -> &[MmdbSource] {
        &self.mmdbs
    }

    /// Whether the built-in table is consulted.
    pub fn has_builtin(&self) -> bool {
        self.builtin
    }

    /// A human-readable name for a source, e.g. for provenance columns.
    pub fn source_label(&self, source: GeoSource) -> String {
        match source {
            GeoSource::Builtin => "built-in RIR delegations".to_owned(),
            GeoSource::Mmdb(i) => match self.mmdbs.get(i) {
                Some(db) => db.path().display().to_string(),
                None => format!("unknown mmdb #{i}"),
            },
        }
    }

    /// How many lookups have hit an undecodable `.mmdb` record so far.
    pub fn lookup_errors(&self) -> u64 {
        self.lookup_errors.load(Ordering::Relaxed)
    }

    /// Country of `ip`; `None` for reserved addresses and unknown space.
    /// Cheap enough to call per row: no allocation.
    #[inline]
    pub fn country(&self, ip: IpAddr) -> Option<CountryCode> {
        let ip = public(ip)?;
        self.find_country(ip).map(|(code, _)| code)
    }

    /// Autonomous system of `ip`; `None` for reserved addresses, unknown
    /// space, or when no ASN database was added. Allocates for the name;
    /// use [`asn_number`](Self::asn_number) in hot loops that need only the
    /// number.
    pub fn asn(&self, ip: IpAddr) -> Option<Asn> {
        let ip = public(ip)?;
        self.find_asn(ip).map(|(asn, _)| asn)
    }

    /// The AS number of `ip` without the organisation name; no allocation.
    #[inline]
    pub fn asn_number(&self, ip: IpAddr) -> Option<u32> {
        let ip = public(ip)?;
        self.find_in_mmdbs(|db| db.asn_number(ip)).map(|(n, _)| n)
    }

    /// Country and ASN of `ip` with where each came from. Reserved
    /// addresses get an empty answer.
    pub fn lookup(&self, ip: IpAddr) -> GeoAnswer {
        match public(ip) {
            Some(ip) => self.lookup_unfiltered(ip),
            None => GeoAnswer::default(),
        }
    }

    /// Like [`lookup`](Self::lookup) but without the reserved-range filter:
    /// the raw answers of the sources. See the type docs for why both exist.
    pub fn lookup_unfiltered(&self, ip: IpAddr) -> GeoAnswer {
        let ip = ip.to_canonical();
        let (country, country_source) = self.find_country(ip).unzip();
        let (asn, asn_source) = self.find_asn(ip).unzip();
        GeoAnswer {
            country,
            asn,
            source: AnswerSource {
                country: country_source,
                asn: asn_source,
            },
        }
    }

    #[inline]
    fn find_country(&self, ip: IpAddr) -> Option<(CountryCode, GeoSource)> {
        self.find_in_mmdbs(|db| db.country(ip))
            .or_else(|| self.find_builtin(ip))
    }

    #[inline]
    fn find_builtin(&self, ip: IpAddr) -> Option<(CountryCode, GeoSource)> {
        if !self.builtin {
            return None;
        }
        builtin_table()
            .get(ip)
            .map(|code| (code, GeoSource::Builtin))
    }

    fn find_asn(&self, ip: IpAddr) -> Option<(Asn, GeoSource)> {
        self.find_in_mmdbs(|db| db.asn(ip))
    }

    /// First answer from the `.mmdb` files in priority order; errors are
    /// counted and skipped (see the type docs).
    #[inline]
    fn find_in_mmdbs<T>(
        &self,
        query: impl Fn(&MmdbSource) -> Result<Option<T>, GeoError>,
    ) -> Option<(T, GeoSource)> {
        self.mmdbs
            .iter()
            .enumerate()
            .find_map(|(i, db)| match query(db) {
                Ok(answer) => answer.map(|a| (a, GeoSource::Mmdb(i))),
                Err(_) => {
                    self.lookup_errors.fetch_add(1, Ordering::Relaxed);
                    None
                }
            })
    }
}

/// `ip` in canonical form (IPv4-mapped unwrapped), or `None` if reserved.
#[inline]
fn public(ip: IpAddr) -> Option<IpAddr> {
    let ip = ip.to_canonical();
    (!is_reserved(ip)).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn geodb_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GeoDb>();
    }

    #[test]
    fn empty_db_knows_nothing() {
        let db = GeoDb::empty();
        assert_eq!(db.country(ip("8.8.8.8")), None);
        assert_eq!(db.lookup(ip("8.8.8.8")), GeoAnswer::default());
        assert!(!db.has_builtin());
    }

    #[test]
    fn builtin_answers_with_source() {
        let db = GeoDb::builtin();
        let answer = db.lookup(ip("8.8.8.8"));
        assert_eq!(answer.country.map(|c| c.to_string()).as_deref(), Some("US"));
        assert_eq!(answer.source.country, Some(GeoSource::Builtin));
        assert_eq!(answer.asn, None);
        assert_eq!(answer.source.asn, None);
        assert_eq!(
            db.source_label(GeoSource::Builtin),
            "built-in RIR delegations"
        );
        assert_eq!(db.source_label(GeoSource::Mmdb(3)), "unknown mmdb #3");
    }

    #[test]
    fn mapped_addresses_use_the_ipv4_answer() {
        let db = GeoDb::builtin();
        assert_eq!(db.country(ip("::ffff:8.8.8.8")), db.country(ip("8.8.8.8")));
        assert_eq!(db.country(ip("::ffff:192.168.0.1")), None);
    }
}
