//! Candidate pages from the places outside the telemetry where they show
//! up: phishing feeds (PhishTank CSV/JSON, OpenPhish-style URL lists,
//! URLhaus CSV) and Certificate Transparency streams saved as JSON lines.
//!
//! Readers know nothing of Arrow or the store: each turns a (decompressed)
//! input into [`FeedRow`]s and [`Rejection`]s on a [`CandidateSink`]. Formats
//! are recognised from content ([`sniff`]), never from file names. A row
//! that cannot be read is rejected with its line and reason; its neighbours
//! are kept.

use std::collections::BTreeSet;
use std::io::{BufRead, Read};

use borderscope_ingest::lines::LineReader;
use borderscope_intel::{FeedFormat, FeedSink, Indicator, IndicatorKind};
use borderscope_schema::{Micros, Rejection};

use crate::feeds::{self, BadRow, PhishRow};
use crate::url::{parse_target, to_ascii_host};

/// How much of the (decompressed) head [`sniff`] looks at.
pub const SNIFF_BYTES: usize = borderscope_intel::SNIFF_BYTES;

/// A candidate feed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CandidateFormat {
    /// PhishTank's CSV dump (`phish_id,url,...,submission_time,verified,...,target`).
    PhishTankCsv,
    /// PhishTank's JSON dump (an array, or one object a line).
    PhishTankJson,
    /// abuse.ch URLhaus CSV, read by the intel crate's reader.
    UrlhausCsv,
    /// Certificate Transparency names as JSON lines: certstream messages or
    /// `{"domain": ..., "ts": ...}`.
    CtJsonl,
    /// One URL a line (OpenPhish's community feed and most phishing lists).
    UrlList,
}

impl CandidateFormat {
    pub const ALL: [CandidateFormat; 5] = [
        CandidateFormat::PhishTankCsv,
        CandidateFormat::PhishTankJson,
        CandidateFormat::UrlhausCsv,
        CandidateFormat::CtJsonl,
        CandidateFormat::UrlList,
    ];

    /// Name stored in `ingests.format` and `quarantine.format`; distinct from
    /// the intel loader's names, so the same URLhaus file can be loaded both
    /// as intel and as phishing candidates.
    pub fn name(self) -> &'static str {
        match self {
            CandidateFormat::PhishTankCsv => "phishtank-csv",
            CandidateFormat::PhishTankJson => "phishtank-json",
            CandidateFormat::UrlhausCsv => "urlhaus-urls",
            CandidateFormat::CtJsonl => "ct-jsonl",
            CandidateFormat::UrlList => "url-list",
        }
    }
}

/// One candidate as a feed gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    /// The URL as given (trimmed); for a domain, the lower-case ASCII name.
    pub url: String,
    /// The host: lower-case ASCII (punycode for IDNs) or a canonical address.
    pub host: String,
    /// `url` or `domain`.
    pub kind: &'static str,
    /// `phishtank`, `openphish` (or the name given for a URL list), `urlhaus`, `ct`.
    pub source: String,
    /// The feed says it is phishing (PhishTank verified or unmarked rows,
    /// URL lists, URLhaus rows whose threat or tags say phishing); CT names
    /// and URLhaus malware URLs are candidates only.
    pub phishing: bool,
    /// The brand the feed names (PhishTank `target`).
    pub target: Option<String>,
    /// When the feed saw it first (submission, `dateadded`, CT `seen`).
    pub first_seen: Option<Micros>,
    /// 1-based line (record index for a PhishTank JSON array).
    pub line: u64,
}

/// Receives what the readers produce.
pub trait CandidateSink {
    fn row(&mut self, row: FeedRow);
    fn reject(&mut self, rejection: Rejection);
}

/// A sink that keeps everything, for tests and tools.
#[derive(Debug, Default)]
pub struct Collected {
    pub rows: Vec<FeedRow>,
    pub rejections: Vec<Rejection>,
}

impl CandidateSink for Collected {
    fn row(&mut self, row: FeedRow) {
        self.rows.push(row);
    }

    fn reject(&mut self, rejection: Rejection) {
        self.rejections.push(rejection);
    }
}

/// Per-file counts: every record (a line, a CSV row, a JSON object) is one
/// of accepted, rejected or skipped. One certificate names several domains,
/// so `rows` may exceed `accepted`; a bad name among good ones is
/// quarantined on its own (`rejected_names`) and its line still accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub skipped: u64,
    pub rows: u64,
    pub rejected_names: u64,
}

/// Options of a read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Source name of URL-list rows (`openphish` unless told).
    pub list_source: String,
    /// Longest line kept; longer ones are rejected with their length.
    pub max_line: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            list_source: "openphish".into(),
            max_line: borderscope_ingest::lines::DEFAULT_MAX_LINE,
        }
    }
}

/// Recognises a candidate feed from its first bytes.
pub fn sniff(head: &[u8]) -> Option<CandidateFormat> {
    if head.contains(&0) {
        return None;
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    if trimmed.starts_with(['[', '{']) {
        let has = |k: &str| text.contains(&format!("\"{k}\""));
        if has("phish_id") || (has("url") && has("target")) {
            return Some(CandidateFormat::PhishTankJson);
        }
        if has("message_type") || has("leaf_cert") || has("domain") {
            return Some(CandidateFormat::CtJsonl);
        }
        return None;
    }
    let first = trimmed.lines().next().unwrap_or("");
    let columns: Vec<String> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    if columns.iter().any(|c| c == "url") && columns.iter().any(|c| c == "target") {
        return Some(CandidateFormat::PhishTankCsv);
    }
    if borderscope_intel::sniff(head) == Some(FeedFormat::UrlhausCsv) {
        return Some(CandidateFormat::UrlhausCsv);
    }
    url_list(text).then_some(CandidateFormat::UrlList)
}

/// Nine in ten of the head's entries (lines that are not blank or `#`
/// comments; the last one may be cut) are http(s) URLs.
fn url_list(text: &str) -> bool {
    let entries: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let urls = entries
        .iter()
        .filter(|l| {
            let lower = l.get(..8).unwrap_or(l).to_ascii_lowercase();
            ["http://", "https://", "hxxp://", "hxxps://"]
                .iter()
                .any(|s| lower.starts_with(s))
        })
        .count();
    urls > 0 && urls * 10 >= entries.len() * 9
}

/// Counts, notes and the sink, for one file.
struct Out<'s> {
    sink: &'s mut dyn CandidateSink,
    counts: Counts,
    notes: BTreeSet<String>,
}

impl Out<'_> {
    fn accept(&mut self, rows: Vec<FeedRow>) {
        self.counts.records += 1;
        self.counts.accepted += 1;
        for r in rows {
            self.counts.rows += 1;
            self.sink.row(r);
        }
    }

    fn reject(&mut self, r: Rejection) {
        self.counts.records += 1;
        self.counts.rejected += 1;
        self.sink.reject(r);
    }

    /// A bad name inside a record that is otherwise read.
    fn reject_name(&mut self, r: Rejection) {
        self.counts.rejected_names += 1;
        self.sink.reject(r);
    }

    fn skip(&mut self) {
        self.counts.records += 1;
        self.counts.skipped += 1;
    }
}

/// Reads a whole input in `format`. Never fails: bad records and a read
/// error part-way are rejections, and what was read before stays read.
pub fn read(
    format: CandidateFormat,
    input: &mut dyn BufRead,
    opts: &ReadOptions,
    sink: &mut dyn CandidateSink,
) -> (Counts, Vec<String>) {
    let mut out = Out {
        sink,
        counts: Counts::default(),
        notes: BTreeSet::new(),
    };
    match format {
        CandidateFormat::PhishTankCsv | CandidateFormat::PhishTankJson => {
            read_phishtank(format, input, &mut out)
        }
        CandidateFormat::UrlhausCsv => read_urlhaus(input, opts, &mut out),
        CandidateFormat::CtJsonl => for_each_line(input, opts, &mut out, ct_line),
        CandidateFormat::UrlList => {
            let source = opts.list_source.clone();
            for_each_line(input, opts, &mut out, |n, text, out| {
                url_list_line(n, text, &source, out)
            })
        }
    }
    (out.counts, out.notes.into_iter().collect())
}

/// PhishTank dumps are read whole (tens of MB at most) by the reader the
/// evaluation uses, so the detector and `eval phishing` read them alike.
fn read_phishtank(format: CandidateFormat, input: &mut dyn BufRead, out: &mut Out<'_>) {
    let mut text = Vec::new();
    let read_error = input.read_to_end(&mut text).err();
    let contents = match format {
        CandidateFormat::PhishTankJson => Ok(feeds::phishtank_json(&text)),
        _ => feeds::phishtank_csv(&text),
    };
    match contents {
        Ok(c) => {
            // The CSV reader counts the header as a line, not a record.
            if format == CandidateFormat::PhishTankCsv {
                out.skip();
            }
            let mut items: Vec<(u64, Result<PhishRow, BadRow>)> = c
                .rows
                .into_iter()
                .map(|r| (r.position, Ok(r)))
                .chain(c.bad.into_iter().map(|b| (b.position, Err(b))))
                .collect();
            items.sort_by_key(|(p, _)| *p);
            for (_, item) in items {
                match item.and_then(phishtank_row) {
                    Ok(row) => out.accept(vec![row]),
                    Err(b) => {
                        out.reject(Rejection::at_line(b.position, b.reason, b.raw.as_bytes()))
                    }
                }
            }
        }
        Err(e) => out.reject(Rejection::at_line(1, format!("{e:#}"), b"")),
    }
    if let Some(e) = read_error {
        out.reject(Rejection::at_line(
            0,
            format!("input ended early: the file could not be read to its end: {e}"),
            b"",
        ));
    }
}

fn phishtank_row(r: PhishRow) -> Result<FeedRow, BadRow> {
    let bad = |reason: String| BadRow {
        position: r.position,
        reason,
        raw: r.url.clone(),
    };
    let host = parse_target(&r.url).map_err(|e| bad(format!("url: {e}")))?;
    let first_seen = borderscope_intel::normalise::opt_time(r.submitted.as_deref())
        .map_err(|e| bad(format!("submission_time: {e}")))?;
    let target = Some(r.target.trim())
        .filter(|t| !t.is_empty())
        .map(String::from);
    Ok(FeedRow {
        kind: "url",
        host: host.host_text(),
        source: "phishtank".into(),
        // An unverified submission is a candidate, not a confirmed phish.
        phishing: r.verified != Some(false),
        target,
        first_seen,
        line: r.position,
        url: r.url,
    })
}

/// URLhaus through the intel crate's reader: its URL indicators become
/// candidates; the host indicators it derives from them are not needed
/// (the host is part of every candidate).
fn read_urlhaus(input: &mut dyn BufRead, opts: &ReadOptions, out: &mut Out<'_>) {
    struct Adapter<'a, 's> {
        out: &'a mut Out<'s>,
        rows: u64,
    }
    impl FeedSink for Adapter<'_, '_> {
        fn indicator(&mut self, i: Indicator) {
            if i.kind != IndicatorKind::Url {
                return;
            }
            match parse_target(&i.value) {
                Ok(t) => {
                    self.rows += 1;
                    self.out.sink.row(urlhaus_row(&i, t.host_text()));
                }
                Err(e) => self.out.sink.reject(Rejection::at_line(
                    i.source_line,
                    format!("url: {e}"),
                    i.value.as_bytes(),
                )),
            }
        }

        fn reject(&mut self, r: Rejection) {
            self.out.sink.reject(r);
        }
    }
    let intel_opts = borderscope_intel::LoadOptions {
        threat: None,
        max_line: opts.max_line,
    };
    let mut adapter = Adapter {
        out: &mut *out,
        rows: 0,
    };
    let (counts, notes) =
        borderscope_intel::read_format(FeedFormat::UrlhausCsv, input, &intel_opts, &mut adapter);
    let rows = adapter.rows;
    out.counts.records += counts.records;
    out.counts.accepted += counts.accepted;
    out.counts.rejected += counts.rejected;
    out.counts.skipped += counts.skipped;
    out.counts.rows += rows;
    out.notes.extend(notes);
}

fn urlhaus_row(i: &Indicator, host: String) -> FeedRow {
    let phishing = i.threat == borderscope_intel::threat::PHISHING
        || i.tags.iter().any(|t| t.eq_ignore_ascii_case("phishing"));
    FeedRow {
        url: i.value.clone(),
        host,
        kind: "url",
        source: "urlhaus".into(),
        phishing,
        target: None,
        first_seen: i.first_seen,
        line: i.source_line,
    }
}

/// Calls `f` with each line as text; overlong and non-UTF-8 lines and a read
/// error (a truncated compressed file) are rejections.
fn for_each_line(
    input: &mut dyn BufRead,
    opts: &ReadOptions,
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
                let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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

fn url_list_line(n: u64, text: &str, source: &str, out: &mut Out<'_>) {
    let entry = text.trim();
    if entry.is_empty() || entry.starts_with('#') {
        return out.skip();
    }
    match parse_target(entry) {
        Ok(t) => {
            let bare = !entry.contains('/') && !entry.contains('?');
            let host = t.host_text();
            out.accept(vec![FeedRow {
                url: if bare {
                    host.clone()
                } else {
                    entry.to_string()
                },
                host,
                kind: if bare { "domain" } else { "url" },
                source: source.to_string(),
                phishing: true,
                target: None,
                first_seen: None,
                line: n,
            }])
        }
        Err(e) => out.reject(Rejection::at_line(n, e, text.as_bytes())),
    }
}

/// One line of a CT stream: a certstream message (certificate updates give
/// `data.leaf_cert.all_domains` seen at `data.seen`; heartbeats are skipped)
/// or `{"domain": NAME, "ts": TIME}`.
fn ct_line(n: u64, text: &str, out: &mut Out<'_>) {
    if text.trim().is_empty() {
        return out.skip();
    }
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return out.reject(Rejection::at_line(
                n,
                format!("not JSON: {e}"),
                text.as_bytes(),
            ))
        }
    };
    let (names, seen) = match ct_names(&v) {
        Ok(Some(x)) => x,
        Ok(None) => return out.skip(),
        Err(reason) => return out.reject(Rejection::at_line(n, reason, text.as_bytes())),
    };
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut seen_names = BTreeSet::new();
    for name in names {
        match ct_domain(&name) {
            Ok(d) if seen_names.insert(d.clone()) => rows.push(FeedRow {
                url: d.clone(),
                host: d,
                kind: "domain",
                source: "ct".into(),
                phishing: false,
                target: None,
                first_seen: seen,
                line: n,
            }),
            Ok(_) => {}
            Err(reason) => bad.push(Rejection::at_line(n, reason, text.as_bytes())),
        }
    }
    // A line whose every name is bad is a rejected record; bad names beside
    // good ones are quarantined on their own.
    let mut bad = bad.into_iter();
    if rows.is_empty() {
        match bad.next() {
            Some(first) => out.reject(first),
            None => out.skip(),
        }
    }
    for r in bad {
        out.reject_name(r);
    }
    if !rows.is_empty() {
        out.accept(rows);
    }
}

type CtNames = Option<(Vec<String>, Option<Micros>)>;

/// The names of one CT message and when it was seen; `Ok(None)` for a
/// message with no names by design (a heartbeat).
fn ct_names(v: &serde_json::Value) -> Result<CtNames, String> {
    if let Some(kind) = v.get("message_type") {
        if kind.as_str() != Some("certificate_update") {
            return Ok(None);
        }
        let data = v.get("data").ok_or("certstream message without `data`")?;
        let names = data
            .pointer("/leaf_cert/all_domains")
            .and_then(|d| d.as_array())
            .ok_or("certstream message without `data.leaf_cert.all_domains`")?;
        let seen = data.get("seen").map(ct_time).transpose()?;
        let names = names
            .iter()
            .map(|n| {
                n.as_str()
                    .map(String::from)
                    .ok_or("a name that is not text")
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Some((names, seen)));
    }
    let domain = v
        .get("domain")
        .and_then(|d| d.as_str())
        .ok_or("neither a certstream message nor an object with a `domain` string")?;
    let seen = v.get("ts").map(ct_time).transpose()?;
    Ok(Some((vec![domain.to_string()], seen)))
}

/// Seconds since the epoch (a number, fractions allowed) or an RFC 3339 text.
fn ct_time(v: &serde_json::Value) -> Result<Micros, String> {
    match v {
        serde_json::Value::Number(n) => n
            .as_f64()
            .and_then(borderscope_schema::micros_from_secs)
            .ok_or_else(|| format!("time `{n}` is not seconds since the epoch")),
        serde_json::Value::String(s) => borderscope_intel::normalise::parse_time(s)?
            .ok_or_else(|| format!("time `{s}` is empty")),
        other => Err(format!("time `{other}` is neither a number nor a text")),
    }
}

/// A certificate name as a host: wildcards stand for the domain itself.
fn ct_domain(name: &str) -> Result<String, String> {
    let bare = name.trim().trim_start_matches("*.");
    to_ascii_host(bare).map_err(|e| format!("name `{name}` is not a domain name: {e}"))
}

/// Reads the head of `input` for [`sniff`] and gives it back in front of
/// the rest, so the input is read once.
pub fn with_head(
    mut input: Box<dyn BufRead + Send>,
) -> std::io::Result<(Vec<u8>, Box<dyn BufRead + Send>)> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    let rest = std::io::BufReader::new(std::io::Cursor::new(head.clone()).chain(input));
    Ok((head, Box::new(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_text(text: &str) -> (Option<CandidateFormat>, Collected, Counts) {
        let format = sniff(text.as_bytes());
        let mut sink = Collected::default();
        let counts = match format {
            Some(f) => {
                read(
                    f,
                    &mut Cursor::new(text.as_bytes()),
                    &ReadOptions::default(),
                    &mut sink,
                )
                .0
            }
            None => Counts::default(),
        };
        (format, sink, counts)
    }

    #[test]
    fn phishtank_csv_rows_times_and_bad_rows() {
        let text = "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target\n\
            1,http://paypal-login.example/x,d,2018-10-26T07:13:20+00:00,yes,t,yes,PayPal\n\
            2,http://exa mple.com/,d,2018-10-26T07:13:20+00:00,yes,t,yes,Other\n\
            3,http://ok.example/,d,yesterday,yes,t,yes,Other\n\
            4\n\
            5,http://unverified.example/,d,2018-10-26T08:00:00+00:00,no,t,yes,Other\n";
        let (format, got, counts) = read_text(text);
        assert_eq!(format, Some(CandidateFormat::PhishTankCsv));
        let urls: Vec<_> = got.rows.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "http://paypal-login.example/x",
                "http://unverified.example/"
            ]
        );
        let first = &got.rows[0];
        assert_eq!(first.host, "paypal-login.example");
        assert_eq!(first.target.as_deref(), Some("PayPal"));
        assert_eq!(first.first_seen, Some(1_540_538_000_000_000));
        assert!(first.phishing && !got.rows[1].phishing);
        let bad: Vec<(u64, bool)> = got
            .rejections
            .iter()
            .map(|r| (r.line, r.raw.is_empty()))
            .collect();
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert!(got.rejections[0].reason.contains("url"), "{got:?}");
        assert!(got.rejections[1].reason.contains("submission_time"));
        assert_eq!(got.rejections[2].raw, "4");
        assert_eq!(
            counts.records,
            counts.accepted + counts.rejected + counts.skipped
        );
        assert_eq!((counts.accepted, counts.rejected), (2, 3));
    }

    #[test]
    fn phishtank_json_and_idn_and_ip_hosts() {
        let text = r#"[{"phish_id":1,"url":"http://pаypal.example/login","target":"PayPal","verified":"yes","submission_time":"2019-03-18T10:00:00+00:00"},
                       {"phish_id":2,"url":"http://[2001:db8::7]/paypal/","target":"Other"},
                       {"phish_id":3,"url":"http://198.51.100.9:8080/a"},
                       {"phish_id":4}]"#;
        let (format, got, _) = read_text(text);
        assert_eq!(format, Some(CandidateFormat::PhishTankJson));
        let hosts: Vec<_> = got.rows.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(
            hosts,
            vec!["xn--pypal-4ve.example", "2001:db8::7", "198.51.100.9"]
        );
        assert_eq!(
            got.rows[0].url, "http://pаypal.example/login",
            "kept as given"
        );
        assert_eq!(got.rejections.len(), 1);
        assert_eq!(got.rejections[0].line, 4);
    }

    #[test]
    fn url_lists_keep_long_urls_and_quarantine_junk() {
        let long = format!("https://paypal-secure.example/{}", "a".repeat(20_000));
        let text = format!(
            "# OpenPhish community feed\nhttps://login-verify.example/x\n{long}\nhttp://\nhttps://xn--80ak6aa92e.com/\nhttps://bad host.example/\n"
        );
        let (format, got, counts) = read_text(&text);
        assert_eq!(format, Some(CandidateFormat::UrlList));
        assert_eq!(got.rows.len(), 3);
        assert_eq!(got.rows[1].url.len(), long.len(), "stored as given");
        assert_eq!(got.rows[1].host, "paypal-secure.example");
        assert_eq!(got.rows[2].host, "xn--80ak6aa92e.com");
        assert!(got
            .rows
            .iter()
            .all(|r| r.source == "openphish" && r.phishing));
        let lines: Vec<u64> = got.rejections.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![4, 6]);
        assert_eq!(counts.skipped, 1);
    }

    #[test]
    fn overlong_lines_are_rejected_with_their_length() {
        let text = format!(
            "https://a.example/\nhttps://b.example/{}\n",
            "x".repeat(300)
        );
        let mut sink = Collected::default();
        let opts = ReadOptions {
            max_line: 100,
            ..ReadOptions::default()
        };
        read(
            CandidateFormat::UrlList,
            &mut Cursor::new(text.as_bytes()),
            &opts,
            &mut sink,
        );
        assert_eq!(sink.rows.len(), 1);
        assert_eq!(sink.rejections[0].line, 2);
        assert!(sink.rejections[0].reason.contains("exceeds"));
    }

    #[test]
    fn certstream_and_plain_ct_lines() {
        let text = [
            r#"{"message_type":"heartbeat","timestamp":1700000000.0}"#,
            r#"{"message_type":"certificate_update","data":{"leaf_cert":{"all_domains":["*.paypal-verify.example","paypal-verify.example","WWW.Bücher.example","bad name.example"]},"seen":1700000000.5}}"#,
            r#"{"domain":"xn--pypal-4ve.com","ts":"2023-11-14T22:13:20Z"}"#,
            r#"{"domain":"ok.example","ts":1700000001}"#,
            r#"{"message_type":"certificate_update","data":{}}"#,
            "not json",
            r#"{"domain":"plain.example","ts":"last week"}"#,
            r#"{"other":1}"#,
        ]
        .join("\n");
        let (format, got, counts) = read_text(&text);
        assert_eq!(format, Some(CandidateFormat::CtJsonl));
        let hosts: Vec<_> = got.rows.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(
            hosts,
            vec![
                "paypal-verify.example",
                "www.xn--bcher-kva.example",
                "xn--pypal-4ve.com",
                "ok.example"
            ]
        );
        assert_eq!(got.rows[0].first_seen, Some(1_700_000_000_500_000));
        assert_eq!(got.rows[2].first_seen, Some(1_700_000_000_000_000));
        assert!(got.rows.iter().all(|r| r.source == "ct" && !r.phishing));
        let bad: Vec<u64> = got.rejections.iter().map(|r| r.line).collect();
        assert_eq!(bad, vec![2, 5, 6, 7, 8]);
        assert!(got.rejections[0].reason.contains("bad name.example"));
        assert_eq!(counts.rejected_names, 1);
        assert_eq!(counts.skipped, 1);
        assert_eq!(
            counts.records,
            counts.accepted + counts.rejected + counts.skipped
        );
    }

    #[test]
    fn urlhaus_is_read_by_the_intel_reader() {
        let text = "################\n# abuse.ch URLhaus Database Dump (CSV)\n#\n\
            # id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n\
            \"1\",\"2024-01-02 03:04:05\",\"http://203.0.113.5/bins/x.sh\",\"online\",\"2024-01-02 03:04:05\",\"malware_download\",\"elf\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n\
            \"2\",\"2024-01-02 03:04:05\",\"http://paypal-login.example/a\",\"online\",\"2024-01-02 03:04:05\",\"malware_download\",\"phishing\",\"https://urlhaus.abuse.ch/url/2/\",\"r\"\n\
            \"3\",\"not a date\",\"http://c.example/\",\"online\",\"\",\"malware_download\",\"\",\"\",\"r\"\n";
        let (format, got, counts) = read_text(text);
        assert_eq!(format, Some(CandidateFormat::UrlhausCsv));
        assert_eq!(got.rows.len(), 2, "one row a URL, hosts not repeated");
        assert_eq!(got.rows[0].host, "203.0.113.5");
        assert!(!got.rows[0].phishing && got.rows[1].phishing);
        assert_eq!(got.rows[1].line, 6);
        assert_eq!(got.rejections.len(), 1);
        assert_eq!(got.rejections[0].line, 7);
        assert_eq!(counts.rows, 2);
    }

    #[test]
    fn other_content_is_not_a_candidate_feed() {
        for text in [
            "#separator \\x09\n#path\tdns\n",
            "just some words\nand more\n",
            "{\"ts\":1,\"uid\":\"x\"}\n",
        ] {
            assert_eq!(sniff(text.as_bytes()), None, "{text}");
        }
    }
}
