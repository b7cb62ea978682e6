//! Measuring detectors against ground truth: the metrics borderscope reports
//! in `docs/accuracy.md` and `borderscope eval`.

pub mod ctu13;
pub mod sets;

pub use ctu13::{Ctu13Metrics, WindowCounts};
pub use sets::SetMetrics;
