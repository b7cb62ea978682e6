//! Country and autonomous system (ASN) for any IPv4 or IPv6 address.
//!
//! [`GeoDb`] answers from, in priority order:
//!
//! 1. zero or more MaxMind-format `.mmdb` files ([`MmdbSource`]):
//!    GeoIP2/GeoLite2 Country, City and ASN, DB-IP, IPinfo;
//! 2. a built-in country table compiled from the five regional internet
//!    registries' delegations ([`builtin`]), so a country is available with
//!    no downloads and no licence keys. It knows where address blocks are
//!    *registered*, which is usually but not always where they are used.
//!
//! Private and reserved addresses ([`is_reserved`]) answer `None` rather
//! than a guess.
//!
//! Lookups are meant to run once per row over hundreds of millions of rows
//! (the SQL functions elsewhere in borderscope are thin wrappers over this
//! crate), so [`GeoDb::country`] and [`GeoDb::asn_number`] do not allocate:
//! the built-in table is a binary search over sorted integers, and `.mmdb`
//! records are decoded into small structs that borrow strings from the
//! loaded file.
//!
//! This crate deliberately has no Arrow/DataFusion dependency.

mod constituency;
mod country;
mod db;
mod error;
mod mmdb;
mod names;
mod ranges;
mod reserved;

pub mod builtin;

pub use constituency::Constituency;
pub use country::{CountryCode, ParseCountryCodeError};
pub use db::{AnswerSource, Asn, GeoAnswer, GeoDb, GeoSource};
pub use error::GeoError;
pub use mmdb::MmdbSource;
pub use ranges::{BuildStats, RangeTable, RangeTableBuilder};
pub use reserved::{is_reserved, is_reserved_v4, is_reserved_v6, reserved_networks};
