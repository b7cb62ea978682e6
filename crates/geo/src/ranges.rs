//! [`RangeTable`]: country by address from sorted, non-overlapping ranges.
//!
//! This is the engine of the built-in registry database. Prefixes go into a
//! [`RangeTableBuilder`], which resolves overlaps (most specific prefix wins)
//! and flattens them into segments: a sorted list of start addresses, each
//! with the country (or none) that holds from there up to the next start. A
//! lookup is then one binary search over a `Vec<u32>` (IPv4) or `Vec<u128>`
//! (IPv6) with no allocation.
//!
//! # Encoded form
//!
//! [`RangeTable::encode`] writes (before the caller compresses it):
//!
//! ```text
//! magic    b"BSGEORIR1\n"
//! section  IPv4, then IPv6, each:
//!   count  u32 little-endian, number of segments
//!   starts count LEB128 varints: first start, then differences to the previous start
//!   codes  count × 2 bytes: upper-case ASCII country code, or 0,0 for "no country"
//! ```
//!
//! Delta-encoded starts compress to a fraction of fixed-width integers, and
//! keeping starts and codes in separate columns helps zstd further.

use std::collections::BTreeMap;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;
use std::path::Path;

use ipnet::IpNet;

use crate::{CountryCode, GeoError};

const MAGIC: &[u8] = b"BSGEORIR1\n";
const NO_COUNTRY: [u8; 2] = [0, 0];

/// Country by address for IPv4 and IPv6, built by [`RangeTableBuilder`] or
/// decoded from [`RangeTable::encode`]'s output.
///
/// Lookups do not filter reserved ranges; [`GeoDb`](crate::GeoDb) does that.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeTable {
    v4: Segments<u32>,
    v6: Segments<u128>,
}

/// Segment `i` covers `starts[i] ..= starts[i + 1] - 1` (the last one runs to
/// the end of the address space) and answers `codes[i]`. Addresses before
/// `starts[0]` have no country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Segments<T> {
    starts: Vec<T>,
    codes: Vec<Option<CountryCode>>,
}

impl<T: Copy + Ord> Segments<T> {
    #[inline]
    fn get(&self, addr: T) -> Option<CountryCode> {
        let after = self.starts.partition_point(|&start| start <= addr);
        let index = after.checked_sub(1)?;
        self.codes.get(index).copied().flatten()
    }

    fn len(&self) -> usize {
        self.starts.len()
    }
}

impl<T: Copy + Into<u128>> Segments<T> {
    /// `(first, last)` of each segment answering `country`; the last segment
    /// runs to `max`, the end of the address family.
    fn ranges_of(
        &self,
        country: CountryCode,
        max: u128,
    ) -> impl Iterator<Item = (u128, u128)> + '_ {
        (0..self.starts.len())
            .filter(move |&i| self.codes[i] == Some(country))
            .map(move |i| {
                let end = self.starts.get(i + 1).map_or(max, |&next| next.into() - 1);
                (self.starts[i].into(), end)
            })
    }
}

impl Segments<u128> {
    /// IPv4 segments are built and decoded as `u128`; stored as `u32` to
    /// halve the memory a lookup touches. Callers guarantee every start fits.
    fn narrow_to_v4(self) -> Segments<u32> {
        debug_assert!(self.starts.iter().all(|&s| s <= u128::from(u32::MAX)));
        Segments {
            starts: self.starts.into_iter().map(|s| s as u32).collect(),
            codes: self.codes,
        }
    }
}

impl RangeTable {
    /// A builder to add prefixes to.
    pub fn builder() -> RangeTableBuilder {
        RangeTableBuilder::default()
    }

    /// Country of `ip`, or `None` where no prefix covers it. IPv4-mapped IPv6
    /// addresses are looked up as IPv4.
    #[inline]
    pub fn get(&self, ip: IpAddr) -> Option<CountryCode> {
        match ip.to_canonical() {
            IpAddr::V4(v4) => self.get_v4(v4),
            IpAddr::V6(v6) => self.get_v6(v6),
        }
    }

    /// Country of an IPv4 address.
    #[inline]
    pub fn get_v4(&self, ip: Ipv4Addr) -> Option<CountryCode> {
        self.v4.get(u32::from(ip))
    }

    /// Country of an IPv6 address (no IPv4-mapped unwrapping).
    #[inline]
    pub fn get_v6(&self, ip: Ipv6Addr) -> Option<CountryCode> {
        self.v6.get(u128::from(ip))
    }

    /// Number of (IPv4, IPv6) segments, countries and gaps included.
    pub fn segment_counts(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    /// The IPv4 ranges (inclusive, ascending, disjoint) the table gives to
    /// `country`: what a simulator draws a country's addresses from, or a
    /// user lists as a constituency's networks.
    pub fn v4_ranges(&self, country: CountryCode) -> Vec<RangeInclusive<Ipv4Addr>> {
        self.v4
            .ranges_of(country, u128::from(u32::MAX))
            .map(|(s, e)| Ipv4Addr::from(s as u32)..=Ipv4Addr::from(e as u32))
            .collect()
    }

    /// The IPv6 ranges (inclusive, ascending, disjoint) given to `country`.
    pub fn v6_ranges(&self, country: CountryCode) -> Vec<RangeInclusive<Ipv6Addr>> {
        self.v6
            .ranges_of(country, u128::MAX)
            .map(|(s, e)| Ipv6Addr::from(s)..=Ipv6Addr::from(e))
            .collect()
    }

    /// Serialises the table in the format described in the module docs.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        encode_section(
            &mut out,
            self.v4.starts.iter().map(|&s| u128::from(s)),
            &self.v4.codes,
        );
        encode_section(&mut out, self.v6.starts.iter().copied(), &self.v6.codes);
        out
    }

    /// Parses [`RangeTable::encode`]'s output, checking that it is well
    /// formed (ascending starts, valid codes, nothing left over).
    pub fn decode(bytes: &[u8]) -> Result<Self, GeoError> {
        let mut input = Cursor { rest: bytes };
        if input.take(MAGIC.len())? != MAGIC {
            return Err(corrupt("bad magic: not a borderscope country range table"));
        }
        let v4 = decode_section(&mut input, u128::from(u32::MAX))?;
        let v6 = decode_section(&mut input, u128::MAX)?;
        if !input.rest.is_empty() {
            return Err(corrupt("trailing bytes after the IPv6 section"));
        }
        // decode_section checked every IPv4 start against u32::MAX.
        Ok(Self {
            v4: v4.narrow_to_v4(),
            v6,
        })
    }
}

fn corrupt(message: &str) -> GeoError {
    GeoError::CorruptTable(message.to_owned())
}

fn encode_section(
    out: &mut Vec<u8>,
    starts: impl ExactSizeIterator<Item = u128>,
    codes: &[Option<CountryCode>],
) {
    // Segment counts are bounded by the number of prefixes, far below 2^32.
    out.extend_from_slice(&(starts.len() as u32).to_le_bytes());
    let mut previous = 0u128;
    for start in starts {
        write_varint(out, start - previous);
        previous = start;
    }
    for code in codes {
        out.extend_from_slice(&code.map_or(NO_COUNTRY, CountryCode::to_bytes));
    }
}

fn decode_section(input: &mut Cursor<'_>, max: u128) -> Result<Segments<u128>, GeoError> {
    let count = u32::from_le_bytes(input.array()?) as usize;
    // Each segment needs at least 3 bytes; don't trust `count` for allocation.
    let capacity = count.min(input.rest.len() / 3);
    let mut starts = Vec::with_capacity(capacity);
    let mut previous: Option<u128> = None;
    for _ in 0..count {
        let delta = input.varint()?;
        let start = match previous {
            None => delta,
            Some(_) if delta == 0 => {
                return Err(corrupt("segment starts are not strictly ascending"))
            }
            Some(p) => p
                .checked_add(delta)
                .ok_or_else(|| corrupt("segment start overflows"))?,
        };
        if start > max {
            return Err(corrupt("segment start beyond the address family"));
        }
        starts.push(start);
        previous = Some(start);
    }
    let mut codes = Vec::with_capacity(capacity);
    for _ in 0..count {
        codes.push(decode_code(input.array()?)?);
    }
    Ok(Segments { starts, codes })
}

fn decode_code(bytes: [u8; 2]) -> Result<Option<CountryCode>, GeoError> {
    if bytes == NO_COUNTRY {
        return Ok(None);
    }
    match CountryCode::from_bytes(bytes) {
        Some(code) if code.to_bytes() == bytes => Ok(Some(code)),
        _ => Err(corrupt("invalid country code")),
    }
}

fn write_varint(out: &mut Vec<u8>, mut value: u128) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Reads the encoded form without panicking on short or malformed input.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], GeoError> {
        if self.rest.len() < n {
            return Err(corrupt("unexpected end of data"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], GeoError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn varint(&mut self) -> Result<u128, GeoError> {
        let mut value = 0u128;
        for shift in (0..128).step_by(7) {
            let [byte] = self.array()?;
            let bits = u128::from(byte & 0x7f);
            if shift > 0 && bits >> (128 - shift) != 0 {
                return Err(corrupt("varint overflows 128 bits"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(corrupt("varint longer than 128 bits"))
    }
}

/// Collects `(prefix, country)` pairs and resolves them into a [`RangeTable`].
///
/// # Overlaps
///
/// When prefixes overlap, the **most specific prefix wins** for the addresses
/// it covers; the rest of the wider prefix keeps its country. This follows
/// how routing treats a more specific announcement, and how registries
/// delegate: a block sub-assigned from a larger one is the better answer. If
/// the identical prefix is listed for two countries, the alphabetically first
/// country wins so that builds are reproducible. [`BuildStats::overlaps`]
/// counts prefixes that displaced a different country, so a generator can
/// report them.
#[derive(Debug, Clone, Default)]
pub struct RangeTableBuilder {
    prefixes: Vec<(IpNet, CountryCode)>,
}

/// What [`RangeTableBuilder::build_with_stats`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// Prefixes added.
    pub prefixes: usize,
    /// Prefixes that overlapped space already given to a different country.
    pub overlaps: usize,
}

impl RangeTableBuilder {
    /// Adds one prefix. Host bits are ignored (`10.0.0.1/8` is `10.0.0.0/8`).
    pub fn insert(&mut self, net: IpNet, country: CountryCode) {
        self.prefixes.push((net.trunc(), country));
    }

    /// Adds every prefix in `text`: one CIDR per line, blank lines and
    /// `#` comments ignored. `origin` names the text in errors. Returns the
    /// number of prefixes added.
    pub fn insert_lines(
        &mut self,
        country: CountryCode,
        text: &str,
        origin: &Path,
    ) -> Result<usize, GeoError> {
        let mut added = 0;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let net = line.parse::<IpNet>().map_err(|e| GeoError::SourceLine {
                path: origin.to_path_buf(),
                line: index + 1,
                message: format!("{line:?} is not a CIDR prefix: {e}"),
            })?;
            self.insert(net, country);
            added += 1;
        }
        Ok(added)
    }

    /// Adds an ipverse `country-ip-blocks` checkout: for each
    /// `<root>/country/<cc>/`, the prefixes in `ipv4-aggregated.txt` and
    /// `ipv6-aggregated.txt` (either may be absent). Directories are read in
    /// name order so the result does not depend on the filesystem.
    pub fn insert_ipverse_dir(&mut self, root: &Path) -> Result<usize, GeoError> {
        let mut added = 0;
        for (country, dir) in ipverse_country_dirs(root)? {
            for family in ["ipv4", "ipv6"] {
                let path = dir.join(format!("{family}-aggregated.txt"));
                if let Some(text) = read_optional(&path)? {
                    added += self.insert_lines(country, &text, &path)?;
                }
            }
        }
        Ok(added)
    }

    /// Number of prefixes added so far.
    pub fn len(&self) -> usize {
        self.prefixes.len()
    }

    /// True when nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
    }

    /// Resolves overlaps and flattens into a [`RangeTable`].
    pub fn build(self) -> RangeTable {
        self.build_with_stats().0
    }

    /// Like [`build`](Self::build), also reporting overlap statistics.
    pub fn build_with_stats(mut self) -> (RangeTable, BuildStats) {
        // Paint wide prefixes first so narrower ones overwrite them; among
        // identical prefixes paint the alphabetically first country last.
        self.prefixes
            .sort_by(|(a, ca), (b, cb)| (a.prefix_len(), a, cb).cmp(&(b.prefix_len(), b, ca)));
        let mut stats = BuildStats {
            prefixes: self.prefixes.len(),
            overlaps: 0,
        };
        let mut v4 = Painter::default();
        let mut v6 = Painter::default();
        for (net, country) in &self.prefixes {
            let clashed = match net {
                IpNet::V4(n) => v4.paint(
                    u32::from(n.network()).into(),
                    u32::from(n.broadcast()).into(),
                    *country,
                ),
                IpNet::V6(n) => v6.paint(n.network().into(), n.broadcast().into(), *country),
            };
            stats.overlaps += usize::from(clashed);
        }
        // Only u32 values were painted into `v4`.
        let v4 = v4.into_segments(u32::MAX.into()).narrow_to_v4();
        (
            RangeTable {
                v4,
                v6: v6.into_segments(u128::MAX),
            },
            stats,
        )
    }
}

/// `(country code, directory)` for each country directory, sorted by name.
fn ipverse_country_dirs(root: &Path) -> Result<Vec<(CountryCode, std::path::PathBuf)>, GeoError> {
    let countries = root.join("country");
    let read_err = |source| GeoError::ReadSource {
        path: countries.clone(),
        source,
    };
    let mut dirs = Vec::new();
    for entry in fs::read_dir(&countries).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if !path.is_dir() {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let country = CountryCode::parse(name).ok_or_else(|| GeoError::SourceLine {
            path: path.clone(),
            line: 0,
            message: format!("directory name {name:?} is not a two-letter country code"),
        })?;
        dirs.push((country, path));
    }
    dirs.sort();
    Ok(dirs)
}

fn read_optional(path: &Path) -> Result<Option<String>, GeoError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(GeoError::ReadSource {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Disjoint inclusive ranges `start -> (end, country)`, later paint on top.
/// Both families are painted as `u128` to share the code.
#[derive(Default)]
struct Painter {
    ranges: BTreeMap<u128, (u128, CountryCode)>,
}

impl Painter {
    /// Gives `start..=end` to `country`, trimming whatever was there. Returns
    /// true if that displaced a different country.
    fn paint(&mut self, start: u128, end: u128, country: CountryCode) -> bool {
        let mut clashed = false;
        // A range that begins before `start` and reaches into it keeps its head
        // and, if it extends past `end`, its tail.
        if let Some((&s, &(e, c))) = self.ranges.range(..start).next_back() {
            if e >= start {
                clashed |= c != country;
                self.ranges.insert(s, (start - 1, c));
                if e > end {
                    self.ranges.insert(end + 1, (e, c));
                }
            }
        }
        // Ranges beginning inside `start..=end` lose that part.
        let inside: Vec<u128> = self.ranges.range(start..=end).map(|(&s, _)| s).collect();
        for s in inside {
            if let Some((e, c)) = self.ranges.remove(&s) {
                clashed |= c != country;
                if e > end {
                    self.ranges.insert(end + 1, (e, c));
                }
            }
        }
        self.ranges.insert(start, (end, country));
        clashed
    }

    /// Flattens into segments, merging neighbours of the same country and
    /// inserting "no country" segments for gaps.
    fn into_segments(self, max: u128) -> Segments<u128> {
        let mut out = Segments::default();
        // First address not yet accounted for; None once `max` is covered.
        let mut next = Some(0u128);
        for (start, (end, country)) in self.ranges {
            if let Some(gap) = next.filter(|&n| n < start) {
                push_segment(&mut out, gap, None);
            }
            push_segment(&mut out, start, Some(country));
            next = end.checked_add(1);
        }
        if let Some(n) = next.filter(|&n| n <= max) {
            push_segment(&mut out, n, None);
        }
        out
    }
}

/// Appends a segment unless it would just continue the previous one.
fn push_segment(out: &mut Segments<u128>, start: u128, code: Option<CountryCode>) {
    let continues = match out.codes.last() {
        Some(last) => *last == code,
        None => code.is_none(),
    };
    if !continues {
        out.starts.push(start);
        out.codes.push(code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(s: &str) -> CountryCode {
        CountryCode::parse(s).unwrap()
    }

    fn table(prefixes: &[(&str, &str)]) -> (RangeTable, BuildStats) {
        let mut b = RangeTable::builder();
        for (net, c) in prefixes {
            b.insert(net.parse().unwrap(), cc(c));
        }
        b.build_with_stats()
    }

    fn at(t: &RangeTable, ip: &str) -> Option<String> {
        t.get(ip.parse().unwrap()).map(|c| c.to_string())
    }

    #[test]
    fn disjoint_prefixes_and_gaps() {
        let (t, stats) = table(&[
            ("1.0.0.0/24", "AU"),
            ("1.0.1.0/24", "CN"),
            ("2a00::/16", "DE"),
        ]);
        assert_eq!(
            stats,
            BuildStats {
                prefixes: 3,
                overlaps: 0
            }
        );
        assert_eq!(at(&t, "0.255.255.255"), None);
        assert_eq!(at(&t, "1.0.0.0").as_deref(), Some("AU"));
        assert_eq!(at(&t, "1.0.0.255").as_deref(), Some("AU"));
        assert_eq!(at(&t, "1.0.1.0").as_deref(), Some("CN"));
        assert_eq!(at(&t, "1.0.1.255").as_deref(), Some("CN"));
        assert_eq!(at(&t, "1.0.2.0"), None);
        assert_eq!(at(&t, "::ffff:1.0.0.7").as_deref(), Some("AU"));
        assert_eq!(at(&t, "2a00:ffff::1").as_deref(), Some("DE"));
        assert_eq!(at(&t, "2a01::"), None);
        assert_eq!(at(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), None);
    }

    #[test]
    fn adjacent_same_country_merges() {
        let (t, _) = table(&[("10.0.0.0/9", "US"), ("10.128.0.0/9", "US")]);
        // One US segment and the gap after it; the leading gap is implicit.
        assert_eq!(t.segment_counts(), (2, 0));
    }

    #[test]
    fn ranges_of_a_country_cover_exactly_its_addresses() {
        let (t, _) = table(&[
            ("1.0.0.0/24", "AU"),
            ("1.0.1.0/24", "CN"),
            ("1.0.4.0/22", "AU"),
            ("255.255.255.0/24", "AU"),
            ("2a00::/16", "DE"),
            ("ffff::/16", "DE"),
        ]);
        let au = t.v4_ranges(cc("AU"));
        let want = [
            "1.0.0.0",
            "1.0.0.255",
            "1.0.4.0",
            "1.0.7.255",
            "255.255.255.0",
            "255.255.255.255",
        ]
        .map(|a| a.parse::<Ipv4Addr>().unwrap());
        assert_eq!(
            au,
            vec![want[0]..=want[1], want[2]..=want[3], want[4]..=want[5]]
        );
        assert_eq!(t.v4_ranges(cc("CN")).len(), 1);
        assert!(t.v4_ranges(cc("US")).is_empty());
        let de = t.v6_ranges(cc("DE"));
        assert_eq!(de.len(), 2);
        assert_eq!(*de[1].end(), Ipv6Addr::from(u128::MAX));
        assert_eq!(
            *de[0].end(),
            "2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
                .parse::<Ipv6Addr>()
                .unwrap()
        );
        for r in &au {
            assert_eq!(t.get_v4(*r.start()), Some(cc("AU")));
            assert_eq!(t.get_v4(*r.end()), Some(cc("AU")));
        }
    }

    #[test]
    fn most_specific_prefix_wins() {
        let (t, stats) = table(&[
            ("10.0.0.0/8", "US"),
            ("10.1.0.0/16", "CA"),
            ("10.1.2.0/24", "MX"),
        ]);
        assert_eq!(stats.overlaps, 2);
        assert_eq!(at(&t, "10.0.0.0").as_deref(), Some("US"));
        assert_eq!(at(&t, "10.1.0.0").as_deref(), Some("CA"));
        assert_eq!(at(&t, "10.1.2.0").as_deref(), Some("MX"));
        assert_eq!(at(&t, "10.1.2.255").as_deref(), Some("MX"));
        assert_eq!(at(&t, "10.1.3.0").as_deref(), Some("CA"));
        assert_eq!(at(&t, "10.2.0.0").as_deref(), Some("US"));
        assert_eq!(at(&t, "10.255.255.255").as_deref(), Some("US"));
        assert_eq!(at(&t, "11.0.0.0"), None);
    }

    #[test]
    fn insertion_order_does_not_matter() {
        let a = table(&[("10.1.0.0/16", "CA"), ("10.0.0.0/8", "US")]).0;
        let b = table(&[("10.0.0.0/8", "US"), ("10.1.0.0/16", "CA")]).0;
        assert_eq!(a, b);
    }

    #[test]
    fn identical_prefix_goes_to_first_country_alphabetically() {
        let a = table(&[("10.0.0.0/8", "US"), ("10.0.0.0/8", "CA")]);
        let b = table(&[("10.0.0.0/8", "CA"), ("10.0.0.0/8", "US")]);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1.overlaps, 1);
        assert_eq!(at(&a.0, "10.9.9.9").as_deref(), Some("CA"));
    }

    #[test]
    fn whole_address_space_edges() {
        let (t, _) = table(&[
            ("0.0.0.0/0", "AQ"),
            ("::/0", "AQ"),
            ("255.255.255.255/32", "BV"),
        ]);
        assert_eq!(at(&t, "0.0.0.0").as_deref(), Some("AQ"));
        assert_eq!(at(&t, "255.255.255.254").as_deref(), Some("AQ"));
        assert_eq!(at(&t, "255.255.255.255").as_deref(), Some("BV"));
        assert_eq!(
            at(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").as_deref(),
            Some("AQ")
        );
        assert_eq!(RangeTable::decode(&t.encode()).unwrap(), t);
    }

    #[test]
    fn encode_decode_round_trip() {
        let (t, _) = table(&[
            ("1.0.0.0/24", "AU"),
            ("8.8.8.0/24", "US"),
            ("2001:4860::/32", "US"),
            ("2a00:1450::/29", "IE"),
        ]);
        let bytes = t.encode();
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(RangeTable::decode(&bytes).unwrap(), t);
        assert_eq!(
            RangeTable::decode(&RangeTable::default().encode()).unwrap(),
            RangeTable::default()
        );
    }

    #[test]
    fn decode_rejects_garbage_without_panicking() {
        let good = table(&[("1.0.0.0/24", "AU"), ("2a00::/16", "DE")])
            .0
            .encode();
        for len in 0..good.len() {
            assert!(
                RangeTable::decode(&good[..len]).is_err(),
                "truncated to {len}"
            );
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(RangeTable::decode(&trailing).is_err());
        let mut bad_code = good.clone();
        let last = bad_code.len() - 1;
        bad_code[last] = b'1';
        assert!(RangeTable::decode(&bad_code).is_err());
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&[0xff; 40]);
        assert!(RangeTable::decode(&huge).is_err());
    }

    #[test]
    fn decode_rejects_v4_start_beyond_32_bits() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        write_varint(&mut bytes, 1 << 32);
        bytes.extend_from_slice(b"US");
        bytes.extend_from_slice(&0u32.to_le_bytes());
        let err = RangeTable::decode(&bytes).unwrap_err();
        assert!(err.to_string().contains("beyond"), "{err}");
    }

    #[test]
    fn insert_lines_reports_the_bad_line() {
        let mut b = RangeTable::builder();
        let text = "# header\n\n1.0.0.0/24\nnot-a-prefix\n";
        let err = b
            .insert_lines(cc("AU"), text, Path::new("au/ipv4.txt"))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("au/ipv4.txt:4:"), "{msg}");
        assert!(msg.contains("not-a-prefix"), "{msg}");
    }
}
