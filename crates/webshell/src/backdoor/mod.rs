//! Backdoored websites, the attacks through the backdoors, and who planted
//! them: log evidence from `weblog` and `http` per (site, path), file
//! evidence from the latest `web_files` scan of each site, combined as
//! independent evidence (`1 - Π(1 - score)`). Every step is a SQL plan.

pub mod detector;
pub mod findings;

pub use detector::{detect, BackdoorConfig, BackdoorFindings};
