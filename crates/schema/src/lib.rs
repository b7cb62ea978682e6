//! The tables of borderscope's event store, and the typed rows readers produce.
//!
//! Every stage downstream of ingest reads these tables; changing a column here
//! changes the store format, so `docs/schema.md` must change with it.

pub mod rows;
pub mod tables;

pub use rows::*;
pub use tables::*;
