//! One module per input format. Each exposes `sniff`, which says from the first
//! bytes of (decompressed) content whether the input is in its format, and
//! `read`, which turns the whole input into rows on a [`Sink`].
//!
//! Formats are recognised from content, never from file names: sensors rotate
//! and rename files, and a `.log` may hold any of them.

use std::io::{self, BufRead};

use crate::sink::Sink;

pub mod argus;
pub mod eve;
pub mod netflow;
pub mod weblog;
pub mod zeek;

/// An input format borderscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    ZeekTsv,
    ZeekJson,
    Argus,
    SuricataEve,
    NetflowPcap,
    AccessLog,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::ZeekTsv => "zeek-tsv",
            Format::ZeekJson => "zeek-json",
            Format::Argus => "argus-csv",
            Format::SuricataEve => "suricata-eve",
            Format::NetflowPcap => "netflow-pcap",
            Format::AccessLog => "access-log",
        }
    }

    /// Binary formats locate rows by byte offset, text formats by line.
    pub fn is_binary(self) -> bool {
        matches!(self, Format::NetflowPcap)
    }
}

/// How many bytes of content [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Recognises the format of an input from its first bytes. Binary magic
/// numbers first, then structured text, then the loosest (access logs).
pub fn sniff(head: &[u8]) -> Option<Format> {
    if netflow::sniff(head) {
        return Some(Format::NetflowPcap);
    }
    if zeek::sniff_tsv(head) {
        return Some(Format::ZeekTsv);
    }
    if eve::sniff(head) {
        return Some(Format::SuricataEve);
    }
    if zeek::sniff_json(head) {
        return Some(Format::ZeekJson);
    }
    if argus::sniff(head) {
        return Some(Format::Argus);
    }
    if weblog::sniff(head) {
        return Some(Format::AccessLog);
    }
    None
}

/// Options every reader honours.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Longest line kept; longer lines are rejected with their length.
    pub max_line: usize,
    /// The input's file name (no folder), used only as a hint where the
    /// content cannot say (Zeek JSON logs carry no `#path` header).
    pub file_name: String,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line: crate::lines::DEFAULT_MAX_LINE,
            file_name: String::new(),
        }
    }
}

/// State that lives across the files of one ingest run: NetFlow v9/IPFIX
/// templates arrive in one export packet and are used by later ones, which a
/// collector may have written to another file.
#[derive(Default)]
pub struct ReaderState {
    pub netflow: netflow::Collector,
}

/// Reads a whole input in the given format. An `Err` means the input could not
/// be read to its end (I/O error, truncated compression); rows delivered to the
/// sink before it stay delivered.
pub fn read(
    format: Format,
    input: &mut dyn BufRead,
    opts: &ReadOptions,
    state: &mut ReaderState,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    match format {
        Format::ZeekTsv | Format::ZeekJson => zeek::read(input, opts, sink),
        Format::Argus => argus::read(input, opts, sink),
        Format::SuricataEve => eve::read(input, opts, sink),
        Format::NetflowPcap => netflow::read(input, opts, &mut state.netflow, sink),
        Format::AccessLog => weblog::read(input, opts, sink),
    }
}

/// Helpers shared by the readers' tests.
#[cfg(test)]
pub(crate) mod test_support {
    /// Lines derived from `seeds` by cutting, inserting and overwriting bytes
    /// (a fixed xorshift sequence, so failures reproduce).
    pub(crate) fn mutated_lines(seeds: &[&[u8]], count: usize) -> Vec<Vec<u8>> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound.max(1) as u64) as usize
        };
        (0..count)
            .map(|_| {
                let mut line = seeds[next(seeds.len())].to_vec();
                for _ in 0..=next(3) {
                    let at = next(line.len() + 1);
                    let byte =
                        [b'"', b' ', b',', b'\\', b'\t', b':', b'{', b'9', 0xff, 0x00][next(10)];
                    match next(3) {
                        0 => line.truncate(at),
                        1 => line.insert(at, byte),
                        _ if at < line.len() => line[at] = byte,
                        _ => line.push(byte),
                    }
                }
                line.retain(|&b| b != b'\n' && b != b'\r');
                line
            })
            .collect()
    }

    /// Every file of the shared data that `own` accepts must be sniffed by
    /// `sniff`, and no other file of the shared data may be.
    pub(crate) fn sniff_matches_shared_files(
        sniff: impl Fn(&[u8]) -> bool,
        own: impl Fn(&std::path::Path) -> bool,
    ) {
        let root = borderscope_testdata::require_shared!(".");
        let mut stack = vec![root.clone()];
        let (mut claimed, mut files) = (0, 0);
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable shared data") {
                let path = entry.expect("directory entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let mut head = Vec::new();
                let file = std::fs::File::open(&path).expect("readable shared file");
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(file, super::SNIFF_BYTES as u64),
                    &mut head,
                )
                .expect("readable shared file");
                let rel = path.strip_prefix(&root).unwrap_or(&path);
                assert_eq!(sniff(&head), own(rel), "{}", rel.display());
                files += 1;
                claimed += usize::from(own(rel));
            }
        }
        assert!(
            files > 100 && claimed > 0,
            "{files} files, {claimed} of this format"
        );
    }
}
