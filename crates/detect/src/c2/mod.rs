//! Command-and-control detectors: control servers and the hosts they control.

pub mod allow;
pub mod beacon;
pub mod detector;
pub mod findings;

pub use allow::AllowList;
pub use detector::{
    detect, C2Config, C2Findings, ALLOWED_TABLE, CONTROL_TABLE, EVIDENCE_TABLE, SERVERS_TABLE,
};
