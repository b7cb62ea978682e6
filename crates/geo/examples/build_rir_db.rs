//! Compiles the regional registries' country delegations (an ipverse
//! `country-ip-blocks` checkout) into the crate's embedded table.
//!
//! ```text
//! cargo run -p borderscope-geo --example build_rir_db -- ../shared/data/geo/rir-country [OUTPUT]
//! ```
//!
//! OUTPUT defaults to `crates/geo/data/rir-country.bin.zst`. See
//! `crates/geo/data/README.md` for the format and provenance.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use borderscope_geo::RangeTable;

/// zstd's highest standard level: the file is built rarely and read often.
const ZSTD_LEVEL: i32 = 19;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("build_rir_db: {}", error_chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let (source, output) = parse_args()?;
    let mut builder = RangeTable::builder();
    builder.insert_ipverse_dir(&source)?;
    let (table, stats) = builder.build_with_stats();
    if stats.prefixes == 0 {
        return Err(format!("no prefixes found under {}/country", source.display()).into());
    }
    let raw = table.encode();
    let compressed = zstd::bulk::compress(&raw, ZSTD_LEVEL)?;
    // Refuse to write something the library could not read back.
    if borderscope_geo::builtin::decode_compressed(&compressed)? != table {
        return Err("round trip of the encoded table failed".into());
    }
    std::fs::write(&output, &compressed)
        .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    let (v4, v6) = table.segment_counts();
    println!(
        "{} prefixes ({} overlapping a different country) -> {v4} IPv4 + {v6} IPv6 segments, \
         {} bytes raw, {} bytes compressed -> {}",
        stats.prefixes,
        stats.overlaps,
        raw.len(),
        compressed.len(),
        output.display()
    );
    Ok(())
}

fn parse_args() -> Result<(PathBuf, PathBuf), Box<dyn Error>> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: build_rir_db <country-ip-blocks dir> [output file]";
    let source = PathBuf::from(args.next().ok_or(usage)?);
    let output = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(default_output);
    if args.next().is_some() {
        return Err(usage.into());
    }
    Ok((source, output))
}

fn default_output() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/rir-country.bin.zst")
}

/// "outer: cause: cause" so that errors name the file and the reason.
fn error_chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
