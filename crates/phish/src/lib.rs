//! Phishing: the protected-brand registry, impersonation scoring of URLs and
//! host names, the evaluation of that scoring against phishing feeds, and
//! the detector that finds phishing pages, their hosts and the visits to
//! them in the store.
//!
//! Every score comes with its reasons, and the same [`Scorer`] serves the
//! `score url` command, the evaluation and the detector (through the
//! `phish_score` UDF), so a figure measured here is the behaviour users get.

pub mod brands;
pub mod candidates;
pub mod catcher;
pub mod detector;
pub mod eval;
pub mod feeds;
pub mod findings;
pub mod html;
pub mod load;
pub mod page;
pub mod pages;
pub mod score;
pub mod text;
pub mod udf;
pub mod url;
pub mod warc;

pub use brands::{Brand, BrandId, Registry};
pub use detector::{detect, PhishConfig, PhishFindings, OPS_TABLE, PAGES_TABLE};
pub use load::FEED_TABLE;
pub use score::{Scorer, Verdict, THRESHOLD};
