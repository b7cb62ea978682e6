//! Reading one feed, with or without a store: open (decompressing by magic
//! bytes), recognise the format from the first bytes, read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use borderscope_ingest::input::{self, Compression};
use borderscope_schema::Rejection;

use crate::feeds::{sniff, Collected, Counts, FeedFormat, FeedSink, Out, SNIFF_BYTES};
use crate::indicator::Indicator;

/// Options of a load or a read.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Threat of the entries of plain lists, which do not say (`botnet_cc`
    /// when `None`). Normalised like the feeds' own words.
    pub threat: Option<String>,
    /// Longest line kept; longer lines are rejected with their length.
    pub max_line: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            threat: None,
            max_line: borderscope_ingest::lines::DEFAULT_MAX_LINE,
        }
    }
}

/// Why a file could not be read as a feed at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the input: {0}")]
    Io(#[from] io::Error),
    #[error("the input is empty")]
    Empty,
    #[error("not a recognised threat-intelligence feed: {0}")]
    Unrecognized(String),
}

/// Everything read from one feed.
#[derive(Debug)]
pub struct FeedContents {
    pub format: FeedFormat,
    pub compression: Compression,
    pub indicators: Vec<Indicator>,
    /// Entries that could not be read, with line and reason.
    pub rejections: Vec<Rejection>,
    /// What a person should know about the file (skipped hash IOCs, assumed
    /// threat, values not in ASCII...).
    pub notes: Vec<String>,
    pub counts: Counts,
}

/// Reads the feed at `path` with default options (see [`read_feed_with`]).
pub fn read_feed(path: &Path) -> Result<FeedContents, ReadError> {
    read_feed_with(path, &LoadOptions::default())
}

/// Reads the feed at `path` into memory, without a store: for tests and tools
/// that score against a feed.
pub fn read_feed_with(path: &Path, opts: &LoadOptions) -> Result<FeedContents, ReadError> {
    read_from(Box::new(File::open(path)?), opts)
}

/// Same as [`read_feed_with`] over any byte source (plain or compressed).
pub fn read_from(raw: Box<dyn Read + Send>, opts: &LoadOptions) -> Result<FeedContents, ReadError> {
    let opened = open_stream(raw)?;
    let mut sink = Collected::default();
    let (format, compression) = (opened.format, opened.compression);
    let (counts, notes) = opened.read(opts, &mut sink);
    Ok(FeedContents {
        format,
        compression,
        indicators: sink.indicators,
        rejections: sink.rejections,
        notes,
        counts,
    })
}

/// Reads `input` (decompressed, at its start) as `format` into `sink`. Other
/// loaders share a feed's parsing this way instead of repeating it: the
/// phishing candidates take URLhaus's URLs from here.
pub fn read_format(
    format: FeedFormat,
    input: &mut dyn BufRead,
    opts: &LoadOptions,
    sink: &mut dyn FeedSink,
) -> (Counts, Vec<String>) {
    let mut out = Out::new(sink);
    format.read(input, opts, &mut out);
    out.finish()
}

/// A stream whose format is known, positioned at its start.
pub(crate) struct Opened {
    pub format: FeedFormat,
    pub compression: Compression,
    input: Box<dyn BufRead + Send>,
}

impl Opened {
    pub fn read(mut self, opts: &LoadOptions, sink: &mut dyn FeedSink) -> (Counts, Vec<String>) {
        let mut out = Out::new(sink);
        self.format.read(&mut self.input, opts, &mut out);
        out.finish()
    }
}

/// Decompresses and recognises `raw`, reading it once: the head used to
/// recognise the format is put back in front of the rest.
pub(crate) fn open_stream(raw: Box<dyn Read + Send>) -> Result<Opened, ReadError> {
    let (mut reader, compression) = input::wrap(raw)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    // On an error (a truncated compressed file) the bytes decoded so far are
    // in `head`; the error is kept to be met again where the reading stops.
    let rest: Box<dyn Read + Send> = match (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
    {
        Ok(_) => Box::new(reader),
        Err(e) if head.is_empty() => return Err(ReadError::Io(e)),
        Err(e) => Box::new(Failed(Some(e))),
    };
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    let format = sniff(&head).ok_or_else(|| ReadError::Unrecognized(describe(&head)))?;
    Ok(Opened {
        format,
        compression,
        input: Box::new(BufReader::new(Cursor::new(head).chain(rest))),
    })
}

/// A reader that fails once with a stored error, then ends.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// What an unrecognised input looks like, to say what to do with it.
fn describe(head: &[u8]) -> String {
    if head.starts_with(b"PK\x03\x04") {
        return "a zip archive (abuse.ch serves its exports zipped): unzip it first".into();
    }
    if head.starts_with(b"#separator") || head.starts_with(b"{\"ts\":") {
        return "this looks like a Zeek log: `borderscope ingest` reads telemetry".into();
    }
    let start = &head[..head.len().min(4096)];
    let binary = matches!(std::str::from_utf8(start), Err(e) if e.error_len().is_some());
    if binary || head.contains(&0) {
        return "binary content".into();
    }
    "none of Feodo Tracker CSV/JSON, ThreatFox CSV/JSON, URLhaus CSV, or a plain list of IPs, networks, domains and URLs".into()
}
