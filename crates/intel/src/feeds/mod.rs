//! The feed readers: recognising a feed from its content and turning its
//! entries into [`Indicator`]s. Readers know nothing of Arrow or the store;
//! they hand indicators and rejections to a [`FeedSink`] through [`Out`],
//! which keeps the per-file counts and notes.

pub mod feodo;
mod json;
pub mod list;
pub mod threatfox;
pub mod urlhaus;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;

use borderscope_ingest::lines::LineReader;
use borderscope_schema::Rejection;

use crate::csv::{self, Header};
use crate::indicator::{Feed, Indicator, IndicatorKind};
use crate::LoadOptions;

/// How many bytes of (decompressed) content [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// A feed format, recognised from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedFormat {
    FeodoCsv,
    FeodoJson,
    ThreatFoxCsv,
    ThreatFoxJson,
    UrlhausCsv,
    PlainList,
}

impl FeedFormat {
    pub const ALL: [FeedFormat; 6] = [
        FeedFormat::FeodoCsv,
        FeedFormat::FeodoJson,
        FeedFormat::ThreatFoxCsv,
        FeedFormat::ThreatFoxJson,
        FeedFormat::UrlhausCsv,
        FeedFormat::PlainList,
    ];

    /// Name stored in `ingests.format` and `quarantine.format`.
    pub fn name(self) -> &'static str {
        match self {
            FeedFormat::FeodoCsv => "feodo-csv",
            FeedFormat::FeodoJson => "feodo-json",
            FeedFormat::ThreatFoxCsv => "threatfox-csv",
            FeedFormat::ThreatFoxJson => "threatfox-json",
            FeedFormat::UrlhausCsv => "urlhaus-csv",
            FeedFormat::PlainList => "plain-list",
        }
    }

    pub fn from_name(name: &str) -> Option<FeedFormat> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn feed(self) -> Feed {
        match self {
            FeedFormat::FeodoCsv | FeedFormat::FeodoJson => Feed::Feodo,
            FeedFormat::ThreatFoxCsv | FeedFormat::ThreatFoxJson => Feed::ThreatFox,
            FeedFormat::UrlhausCsv => Feed::Urlhaus,
            FeedFormat::PlainList => Feed::List,
        }
    }

    /// Whether `head` (the first bytes of the decompressed content) is in
    /// this format.
    pub fn sniff(self, head: &[u8]) -> bool {
        head_text(head).is_some_and(|text| self.sniff_text(&text))
    }

    fn sniff_text(self, text: &str) -> bool {
        match self {
            FeedFormat::FeodoCsv => feodo::sniff_csv(text),
            FeedFormat::FeodoJson => feodo::sniff_json(text),
            FeedFormat::ThreatFoxCsv => threatfox::sniff_csv(text),
            FeedFormat::ThreatFoxJson => threatfox::sniff_json(text),
            FeedFormat::UrlhausCsv => urlhaus::sniff(text),
            FeedFormat::PlainList => list::sniff(text),
        }
    }

    /// Reads a whole input. Never fails: bad entries and a read error part-way
    /// become rejections, and what was read before stays read.
    pub(crate) fn read(self, input: &mut dyn BufRead, opts: &LoadOptions, out: &mut Out<'_>) {
        match self {
            FeedFormat::FeodoCsv => read_csv::<feodo::Csv>(input, opts, out),
            FeedFormat::FeodoJson => json::read(input, out, &feodo::json_record),
            FeedFormat::ThreatFoxCsv => read_csv::<threatfox::Csv>(input, opts, out),
            FeedFormat::ThreatFoxJson => json::read(input, out, &threatfox::json_record),
            FeedFormat::UrlhausCsv => read_csv::<urlhaus::Csv>(input, opts, out),
            FeedFormat::PlainList => list::read(input, opts, out),
        }
    }
}

/// Recognises a feed from its first bytes. The structured formats are tried
/// first (JSON keys, CSV headers by column name), the plain list, which is the
/// loosest, last.
pub fn sniff(head: &[u8]) -> Option<FeedFormat> {
    let text = head_text(head)?;
    [
        FeedFormat::FeodoJson,
        FeedFormat::ThreatFoxJson,
        FeedFormat::FeodoCsv,
        FeedFormat::ThreatFoxCsv,
        FeedFormat::UrlhausCsv,
        FeedFormat::PlainList,
    ]
    .into_iter()
    .find(|f| f.sniff_text(&text))
}

/// The head as text, or `None` for binary content. A head of [`SNIFF_BYTES`]
/// may be cut: inside a multi-byte character (still text) and inside a line,
/// which is dropped so sniffers judge whole lines only. A few bytes that are
/// not UTF-8 (a Latin-1 comment) leave it text; their lines are rejected when
/// read.
fn head_text(head: &[u8]) -> Option<Cow<'_, str>> {
    if head.contains(&0) {
        return None;
    }
    let text = match std::str::from_utf8(head) {
        Ok(t) => Cow::Borrowed(t),
        Err(e) if e.error_len().is_none() => {
            Cow::Borrowed(std::str::from_utf8(&head[..e.valid_up_to()]).expect("valid up to here"))
        }
        Err(_) => {
            let lossy = String::from_utf8_lossy(head);
            let bad = lossy.matches('\u{fffd}').count();
            // More than one undecodable character in a hundred bytes: binary.
            // A single stray byte is tolerated even in a short head.
            if bad > 1 && bad * 100 > head.len() {
                return None;
            }
            lossy
        }
    };
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let end = if head.len() < SNIFF_BYTES {
        text.len()
    } else {
        text.rfind('\n').unwrap_or(text.len())
    };
    Some(match text {
        Cow::Borrowed(t) => Cow::Borrowed(&t[start..end.max(start)]),
        Cow::Owned(t) => Cow::Owned(t[start..end.max(start)].to_string()),
    })
}

/// A JSON document opening with one of `open` whose head names every key of
/// `keys` (quoted, as JSON writes them). The head is cut, so it cannot be
/// parsed; the key names are specific enough to tell the feeds apart, and a
/// Zeek or Suricata JSON log names none of them.
fn json_with_keys(head: &str, open: &[char], keys: &[&str]) -> bool {
    head.trim_start().starts_with(open) && keys.iter().all(|k| head.contains(&format!("\"{k}\"")))
}

/// Receives what readers produce.
pub trait FeedSink {
    fn indicator(&mut self, indicator: Indicator);
    fn reject(&mut self, rejection: Rejection);
}

/// A sink that keeps everything, for [`crate::read_feed`] and tests.
#[derive(Debug, Default)]
pub struct Collected {
    pub indicators: Vec<Indicator>,
    pub rejections: Vec<Rejection>,
}

impl FeedSink for Collected {
    fn indicator(&mut self, indicator: Indicator) {
        self.indicators.push(indicator);
    }

    fn reject(&mut self, rejection: Rejection) {
        self.rejections.push(rejection);
    }
}

/// Per-file counts. Every record read (a line of a text feed, an object of a
/// JSON feed) is exactly one of accepted, rejected or skipped; an accepted
/// record yields one indicator or more (a URLhaus row gives its URL and its
/// host), so `indicators` may exceed `accepted`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub accepted: u64,
    pub indicators: u64,
    pub rejected: u64,
    /// Comments, headers, blank lines, and entries with nothing to match in
    /// network telemetry (file hashes).
    pub skipped: u64,
}

/// What one record of a feed turned into, short of a rejection.
#[derive(Debug)]
pub enum Entry {
    Indicators(Vec<Indicator>),
    /// Read but not stored by design; the text is tallied into a note.
    Skip(String),
}

/// A reader's output for one file: the sink plus counts and notes.
pub struct Out<'s> {
    sink: &'s mut dyn FeedSink,
    pub counts: Counts,
    notes: Vec<String>,
    /// Notes counted rather than repeated: text → how many times.
    tallies: BTreeMap<String, u64>,
}

impl<'s> Out<'s> {
    pub fn new(sink: &'s mut dyn FeedSink) -> Self {
        Out {
            sink,
            counts: Counts::default(),
            notes: Vec::new(),
            tallies: BTreeMap::new(),
        }
    }

    /// One record that yielded `indicators`.
    pub fn accept(&mut self, indicators: Vec<Indicator>) {
        self.counts.records += 1;
        self.counts.accepted += 1;
        for i in indicators {
            if i.kind == IndicatorKind::Domain && !i.value.is_ascii() {
                self.tally(
                    "domains not in ASCII, kept as given (IDNA U-labels, not converted to punycode)",
                );
            }
            self.counts.indicators += 1;
            self.sink.indicator(i);
        }
    }

    pub fn reject(&mut self, rejection: Rejection) {
        self.counts.records += 1;
        self.counts.rejected += 1;
        self.sink.reject(rejection);
    }

    pub fn skip(&mut self) {
        self.counts.records += 1;
        self.counts.skipped += 1;
    }

    /// A skip worth telling the user about, tallied under `why`.
    pub fn skip_because(&mut self, why: String) {
        self.skip();
        self.tally(why);
    }

    pub fn entry(&mut self, entry: Entry) {
        match entry {
            Entry::Indicators(v) => self.accept(v),
            Entry::Skip(why) => self.skip_because(why),
        }
    }

    /// Counts one occurrence of a note.
    pub fn tally(&mut self, what: impl Into<String>) {
        *self.tallies.entry(what.into()).or_default() += 1;
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Counts and notes, tallies last as `text: count`.
    pub fn finish(self) -> (Counts, Vec<String>) {
        let mut notes = self.notes;
        notes.extend(self.tallies.into_iter().map(|(t, n)| format!("{t}: {n}")));
        (self.counts, notes)
    }
}

/// Calls `f` with each line of a text feed as `&str`, rejecting overlong and
/// non-UTF-8 lines, and recording a read error (a truncated compressed file)
/// as a rejection after the lines before it.
fn for_each_line(
    input: &mut dyn BufRead,
    opts: &LoadOptions,
    out: &mut Out<'_>,
    mut f: impl FnMut(u64, &str, &mut Out<'_>),
) {
    let mut lines = LineReader::with_max_len(input, opts.max_line);
    loop {
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                let at = lines.line_number() + 1;
                out.reject(Rejection::at_line(
                    at,
                    format!("input ended early: the file could not be read past line {at}: {e}"),
                    b"",
                ));
                return;
            }
        };
        if let Some(r) = line.overlong_rejection() {
            out.reject(r);
            continue;
        }
        match std::str::from_utf8(line.bytes) {
            Ok(text) => {
                let text = if line.number == 1 {
                    text.strip_prefix('\u{feff}').unwrap_or(text)
                } else {
                    text
                };
                f(line.number, text, out)
            }
            Err(e) => out.reject(Rejection::at_line(
                line.number,
                format!(
                    "line is not UTF-8 text (bad byte at column {})",
                    e.valid_up_to() + 1
                ),
                line.bytes,
            )),
        }
    }
}

/// A CSV feed: which header is its own, and what a row becomes.
trait CsvFeed {
    /// Column positions the rows are read by.
    type Columns;
    /// `Some` when `header` is this feed's.
    fn columns(header: &Header) -> Option<Self::Columns>;
    fn row(cols: &Self::Columns, fields: &[String], line: u64) -> Result<Entry, String>;
}

fn sniff_csv<F: CsvFeed>(head: &str) -> bool {
    csv::find_header(head, |h| F::columns(h).is_some()).is_some()
}

/// Reads a CSV feed: `#` comments (where abuse.ch puts the header), then rows
/// read by column name. A row of the wrong width or with a bad value is
/// rejected; its neighbours are not affected.
fn read_csv<F: CsvFeed>(input: &mut dyn BufRead, opts: &LoadOptions, out: &mut Out<'_>) {
    let mut cols: Option<(F::Columns, usize)> = None;
    let header_of =
        |text: &str| Header::parse(text).and_then(|h| F::columns(&h).map(|c| (c, h.width)));
    for_each_line(input, opts, out, |n, text, out| {
        if text.trim().is_empty() {
            return out.skip();
        }
        if let Some(comment) = csv::comment_text(text) {
            if cols.is_none() {
                cols = header_of(comment);
            }
            return out.skip();
        }
        if cols.is_none() {
            if let Some(h) = header_of(text) {
                cols = Some(h);
                return out.skip();
            }
        }
        let Some((c, width)) = &cols else {
            return out.reject(Rejection::at_line(
                n,
                "row before any header naming the columns",
                text.as_bytes(),
            ));
        };
        let result = csv::split(text).and_then(|fields| {
            if fields.len() != *width {
                return Err(format!("expected {width} columns, found {}", fields.len()));
            }
            F::row(c, &fields, n)
        });
        match result {
            Ok(entry) => out.entry(entry),
            Err(reason) => out.reject(Rejection::at_line(n, reason, text.as_bytes())),
        }
    });
}

/// A field of a row by column position, `None` when the column is absent or
/// the value is one of the null spellings.
fn field(fields: &[String], col: Option<usize>) -> Option<&str> {
    col.and_then(|i| fields.get(i))
        .and_then(|v| crate::normalise::non_null(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in FeedFormat::ALL {
            assert_eq!(FeedFormat::from_name(f.name()), Some(f));
        }
    }

    #[test]
    fn binary_and_cut_heads() {
        assert!(head_text(b"\x00\x01\x02").is_none());
        assert!(head_text(b"\xff\xfe abc").is_none());
        // "é" cut after its first byte: still text.
        assert_eq!(head_text(b"abc\xc3").as_deref(), Some("abc"));
        let latin1 =
            b"caf\xe9.example.com\nexample.org\nexample.net\nexample.com\nc2.example.com\n";
        assert!(head_text(latin1).is_some(), "one stray byte is not binary");
        let mut long = "a.example.com\n".repeat(SNIFF_BYTES / 14 + 1).into_bytes();
        long.truncate(SNIFF_BYTES);
        assert!(head_text(&long)
            .unwrap()
            .lines()
            .all(|l| l == "a.example.com"));
        assert_eq!(head_text("\u{feff}x".as_bytes()).as_deref(), Some("x"));
    }
}
