//! Phishing: the protected-brand registry, impersonation scoring of URLs and
//! host names, and the evaluation of that scoring against phishing feeds.
//!
//! Every score comes with its reasons, and the same [`Scorer`] serves the
//! `score url` command, the evaluation and the detector, so a figure
//! measured here is the behaviour users get.

pub mod brands;
pub mod catcher;
pub mod eval;
pub mod feeds;
pub mod html;
pub mod page;
pub mod score;
pub mod text;
pub mod url;
pub mod warc;

pub use brands::{Brand, BrandId, Registry};
pub use score::{Scorer, Verdict, THRESHOLD};
