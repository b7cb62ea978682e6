//! Ingest: reading security telemetry in the formats sensors write, turning it
//! into the store's typed rows, and writing them to the store as one atomic
//! batch. Readers (`formats`) know nothing of Arrow or the store; they hand rows
//! to a [`sink::Sink`]. [`run::ingest`] wires readers to the store.

pub mod batch_sink;
pub mod formats;
pub mod input;
pub mod lines;
pub mod run;
pub mod sink;

pub use formats::{Format, ReadOptions, ReaderState};
pub use run::{ingest, FileOutcome, FileReport, IngestOptions, IngestReport, Progress};
pub use sink::{Sink, VecSink};
