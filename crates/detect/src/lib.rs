//! Detect: detectors that read the event store's tables and score what looks
//! like malicious activity. Each family of behaviour has its own module.

pub mod c2;
