//! The writers: one module per kind of file.

pub mod feeds;
pub mod netflow;
pub mod text;
