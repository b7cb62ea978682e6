//! The cross-border report: for a period, a defended (target) country and
//! one or every source country, the three statements national CERTs publish
//! — control servers and the hosts they controlled, phishing hosts, pages
//! and operations, backdoor implanters, websites and attacks — each figure
//! with its definition, the SQL that reproduces it, the store's table
//! versions and the findings behind it.
//!
//! Building a report only runs SQL over the findings tables the detectors
//! wrote (`c2_control`, `phish_pages`, `backdoor_attacks`, ...); the
//! renderers in [`render`] turn the same [`Report`] into text, JSON, CSV,
//! HTML and STIX 2.1, so every format says the same thing.

mod build;
mod figures;
mod period;
pub mod render;
mod sides;
mod table;

pub use build::{build, Report, Request};
pub use figures::{Family, FIGURES, TERMS};
pub use period::Period;
pub use sides::Sides;
pub use table::Table;
