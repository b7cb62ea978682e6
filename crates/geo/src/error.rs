//! [`GeoError`]: everything that can go wrong loading or reading a database.

use std::net::IpAddr;
use std::path::PathBuf;

/// Error from opening or reading a geolocation database.
///
/// Messages name the file; the underlying cause is available through
/// [`std::error::Error::source`] (print with `{:#}` in `anyhow` to see both).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// The `.mmdb` file could not be read (missing, unreadable, a directory…).
    #[error("cannot read MaxMind database {}", .path.display())]
    ReadMmdb {
        /// The file that was asked for.
        path: PathBuf,
        /// Why reading failed.
        #[source]
        source: std::io::Error,
    },

    /// The file was read but is not a valid MaxMind DB (wrong format,
    /// truncated, corrupt metadata).
    #[error("{} is not a valid MaxMind database", .path.display())]
    InvalidMmdb {
        /// The offending file.
        path: PathBuf,
        /// What the MaxMind reader objected to.
        #[source]
        source: maxminddb::MaxMindDbError,
    },

    /// A lookup hit a corrupt search tree or a record of an unexpected shape.
    #[error("looking up {ip} in MaxMind database {} failed", .path.display())]
    MmdbLookup {
        /// The database that was queried.
        path: PathBuf,
        /// The address being looked up.
        ip: IpAddr,
        /// What the MaxMind reader objected to.
        #[source]
        source: maxminddb::MaxMindDbError,
    },

    /// A registry source file or directory could not be read.
    #[error("cannot read registry data {}", .path.display())]
    ReadSource {
        /// The file or directory that failed.
        path: PathBuf,
        /// Why reading failed.
        #[source]
        source: std::io::Error,
    },

    /// A line of a registry source file is not a CIDR prefix.
    #[error("{}:{line}: {message}", .path.display())]
    SourceLine {
        /// The source file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },

    /// A constituency file could not be read.
    #[error("cannot read constituency file {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A constituency file was read but is not valid.
    #[error("constituency file {}: {reason}", .path.display())]
    Constituency { path: PathBuf, reason: String },

    /// An encoded country range table (such as the embedded one) is corrupt.
    #[error("corrupt country range table: {0}")]
    CorruptTable(String),
}
