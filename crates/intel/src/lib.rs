//! Threat-intelligence feeds, loaded into the store's `intel` table so
//! detectors can join telemetry against known C2 servers, malware download
//! URLs and phishing hosts.
//!
//! ## Feeds
//!
//! Recognised from content, never from file names, plain or
//! gzip/bzip2/zstd-compressed (zip archives, as abuse.ch serves its exports,
//! must be unzipped first):
//!
//! | format | feed | what becomes an indicator |
//! |---|---|---|
//! | `feodo-csv`, `feodo-json` | abuse.ch Feodo Tracker | each C2 IP with its port (`botnet_cc`); a JSON `hostname` also as a domain |
//! | `threatfox-json`, `threatfox-csv` | abuse.ch ThreatFox (export and API answer) | `ip:port`, `ip`, `domain` and `url` IOCs; file hashes are skipped and counted |
//! | `urlhaus-csv` | abuse.ch URLhaus | each URL, and its host (IP or domain, tagged `host-of-url`) |
//! | `plain-list` | any list of IPs, CIDR networks, domains, URLs | each entry; the `#` comment heading a block names its campaign |
//!
//! Values are normalised so they join with the event tables: addresses in
//! canonical text (IPv4-mapped IPv6 as IPv4), networks to their network
//! address, domains in ASCII lower case without a trailing dot (non-ASCII
//! IDNA names are kept as given, and noted), URLs as given. Threat words are
//! normalised across feeds (`botnet_cc`, `malware_download`, `phishing`,
//! `payload_delivery`, or the feed's own word).
//!
//! ## Time
//!
//! `first_seen` and `last_seen` are kept as the feeds give them (UTC) and
//! nothing is dropped for being old: whether an indicator still counts when a
//! flow is seen (a C2 address is often reassigned weeks after it goes
//! offline) is the detector's decision, which these two columns let it make,
//! e.g. by matching only events inside `[first_seen, last_seen + grace]`.
//!
//! ## Bad input
//!
//! As in `ingest`: an entry that cannot be read (a bad address, an unparseable
//! date, a row of the wrong width, a JSON record that is not an object) is
//! rejected to `quarantine` with file, line and reason; its neighbours are
//! kept; nothing panics. Every record read is exactly one of accepted,
//! rejected or skipped ([`Counts`]).
//!
//! ## Use
//!
//! [`load`] writes feeds into a store as one atomic, idempotent batch (a file
//! whose SHA-256 is already in `ingests` is not read again). [`read_feed`]
//! reads one feed into memory without a store.

mod csv;
mod feeds;
mod indicator;
mod load;
pub mod normalise;
mod read;

pub use feeds::urlhaus::URL_HOST_TAG;
pub use feeds::{sniff, Collected, Counts, FeedFormat, FeedSink, SNIFF_BYTES};
pub use indicator::{schema, threat, Feed, Indicator, IndicatorBatch, IndicatorKind, INTEL_TABLE};
pub use load::{load, FileOutcome, FileReport, LoadReport};
pub use read::{
    read_feed, read_feed_with, read_format, read_from, FeedContents, LoadOptions, ReadError,
};
