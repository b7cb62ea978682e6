//! The built-in country table compiled from the regional registries'
//! delegations (see `data/README.md` for provenance and regeneration).
//!
//! It is embedded compressed (a few hundred KB instead of several MB in the
//! binary) and decompressed on first use only, so programs that never ask
//! for a country do not pay for it.

use std::sync::OnceLock;

use crate::{GeoError, RangeTable};

/// The zstd-compressed [`RangeTable::encode`] output written by the
/// `build_rir_db` example.
static EMBEDDED: &[u8] = include_bytes!("../data/rir-country.bin.zst");

/// Size in bytes of the embedded, compressed table.
pub const EMBEDDED_SIZE: usize = EMBEDDED.len();

static TABLE: OnceLock<RangeTable> = OnceLock::new();

/// The built-in table, decoded on first call and shared afterwards.
///
/// # Panics
///
/// If the embedded file is corrupt. It is part of the source tree, not
/// input, and the crate's tests decode it, so this indicates a broken build
/// (for example an empty placeholder left in place while bootstrapping the
/// generator).
pub fn builtin_table() -> &'static RangeTable {
    TABLE.get_or_init(|| {
        decode_embedded().unwrap_or_else(|e| {
            panic!("embedded RIR country table is unusable ({e}); regenerate it with the build_rir_db example")
        })
    })
}

/// Decompresses and decodes the embedded table, reporting problems instead
/// of panicking.
pub fn decode_embedded() -> Result<RangeTable, GeoError> {
    decode_compressed(EMBEDDED)
}

/// Decodes a zstd-compressed [`RangeTable::encode`] output.
pub fn decode_compressed(compressed: &[u8]) -> Result<RangeTable, GeoError> {
    let raw = zstd::stream::decode_all(compressed)
        .map_err(|e| GeoError::CorruptTable(format!("zstd decompression failed: {e}")))?;
    RangeTable::decode(&raw)
}
