//! Reading labelled lists: PhishTank dumps (CSV or JSON, plain or
//! compressed) and popular-domain lists (the benign side of an evaluation).
//!
//! Bad rows are normal input: each one is reported with its position and
//! reason, and its neighbours are kept.

use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::{Context, Result};

/// One phishing URL with the brand a human said it imitates.
#[derive(Debug, Clone)]
pub struct PhishRow {
    /// CSV: 1-based line of the record's start; JSON: 1-based record index.
    pub position: u64,
    pub url: String,
    /// PhishTank `target` (`Other` when no brand was named).
    pub target: String,
    /// `submission_time` as written (RFC 3339 in PhishTank's dumps).
    pub submitted: Option<String>,
    /// `verified` (`yes`/`no`, or a JSON boolean); `None` when absent.
    pub verified: Option<bool>,
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub position: u64,
    pub reason: String,
    /// The row's text (its first line for CSV), for the quarantine.
    pub raw: String,
}

impl BadRow {
    pub fn new(position: u64, reason: impl Into<String>) -> BadRow {
        BadRow {
            position,
            reason: reason.into(),
            raw: String::new(),
        }
    }
}

/// `yes`/`no`/`true`/`false` in any case.
fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" => Some(true),
        "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The line of `text` starting at byte `at`, lossy, for a quarantined row.
fn line_at(text: &[u8], at: usize) -> String {
    let rest = text.get(at..).unwrap_or_default();
    let end = memchr_newline(rest);
    String::from_utf8_lossy(&rest[..end]).trim_end().to_string()
}

fn memchr_newline(b: &[u8]) -> usize {
    b.iter().position(|c| *c == b'\n').unwrap_or(b.len())
}

/// What a list file gave.
#[derive(Debug)]
pub struct ListContents<T> {
    pub rows: Vec<T>,
    pub bad: Vec<BadRow>,
    /// "CSV", "JSON" or "list", and the compression found.
    pub format: String,
}

impl<T> Default for ListContents<T> {
    fn default() -> Self {
        ListContents {
            rows: Vec::new(),
            bad: Vec::new(),
            format: String::new(),
        }
    }
}

fn open(path: &Path) -> Result<(Box<dyn BufRead + Send>, &'static str)> {
    let (reader, compression) = borderscope_ingest::input::open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    Ok((reader, compression.name()))
}

/// Reads a PhishTank dump: CSV with `url` and `target` columns, or the JSON
/// export (an array of objects, or one object a line).
pub fn read_phishtank(path: &Path) -> Result<ListContents<PhishRow>> {
    let (mut reader, compression) = open(path)?;
    let mut text = Vec::new();
    reader
        .read_to_end(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    let first = text.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let mut out = match first {
        Some(b'[') | Some(b'{') => phishtank_json(&text),
        _ => phishtank_csv(&text)?,
    };
    out.format = format!("{} ({compression})", out.format);
    Ok(out)
}

pub(crate) fn phishtank_csv(text: &[u8]) -> Result<ListContents<PhishRow>> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = csv.headers().context("reading the CSV header")?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(url_col), Some(target_col)) = (col("url"), col("target")) else {
        anyhow::bail!("not a PhishTank CSV: the header has no `url` and `target` columns");
    };
    let (time_col, verified_col) = (col("submission_time"), col("verified"));
    let mut out = ListContents {
        format: "PhishTank CSV".into(),
        ..Default::default()
    };
    for record in csv.records() {
        match record {
            Ok(r) => {
                let position = r.position().map(|p| p.line()).unwrap_or(0);
                let field = |c: Option<usize>| {
                    c.and_then(|c| r.get(c))
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                };
                match (r.get(url_col), r.get(target_col)) {
                    (Some(url), Some(target)) if !url.trim().is_empty() => {
                        out.rows.push(PhishRow {
                            position,
                            url: url.trim().to_string(),
                            target: target.trim().to_string(),
                            submitted: field(time_col).map(String::from),
                            verified: field(verified_col).and_then(yes_no),
                        })
                    }
                    _ => out.bad.push(BadRow {
                        position,
                        reason: format!("{} fields, no url or target", r.len()),
                        raw: line_at(text, r.position().map_or(0, |p| p.byte() as usize)),
                    }),
                }
            }
            Err(e) => out.bad.push(BadRow {
                position: e.position().map(|p| p.line()).unwrap_or(0),
                reason: e.to_string(),
                raw: line_at(text, e.position().map_or(0, |p| p.byte() as usize)),
            }),
        }
    }
    Ok(out)
}

pub(crate) fn phishtank_json(text: &[u8]) -> ListContents<PhishRow> {
    let mut out = ListContents {
        format: "PhishTank JSON".into(),
        ..Default::default()
    };
    type Parsed = (u64, Result<serde_json::Value, String>, String);
    let values: Vec<Parsed> = match serde_json::from_slice::<Vec<serde_json::Value>>(text) {
        Ok(array) => array
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let raw = v.to_string();
                (i as u64 + 1, Ok(v), raw)
            })
            .collect(),
        // Not one array: JSON lines, each parsed on its own.
        Err(_) => text
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .map(|(i, l)| {
                let v = serde_json::from_slice(l).map_err(|e| e.to_string());
                (
                    i as u64 + 1,
                    v,
                    String::from_utf8_lossy(l).trim_end().to_string(),
                )
            })
            .collect(),
    };
    for (position, value, raw) in values {
        let row = value.and_then(|v| {
            let url = v.get("url").and_then(|u| u.as_str());
            let target = v.get("target").and_then(|t| t.as_str()).unwrap_or("Other");
            let verified = match v.get("verified") {
                Some(serde_json::Value::Bool(b)) => Some(*b),
                Some(serde_json::Value::String(s)) => yes_no(s),
                _ => None,
            };
            match url {
                Some(u) if !u.trim().is_empty() => Ok(PhishRow {
                    position,
                    url: u.trim().to_string(),
                    target: target.trim().to_string(),
                    submitted: v
                        .get("submission_time")
                        .and_then(|t| t.as_str())
                        .map(String::from),
                    verified,
                }),
                _ => Err("record has no `url` string".to_string()),
            }
        });
        match row {
            Ok(r) => out.rows.push(r),
            Err(reason) => out.bad.push(BadRow {
                position,
                reason,
                raw,
            }),
        }
    }
    out
}

/// Reads a popular-domains list: one domain or host name a row, optionally
/// `rank,domain` (Tranco, Alexa), header optional, `#` comments skipped.
pub fn read_domain_list(path: &Path) -> Result<ListContents<String>> {
    let (reader, compression) = open(path)?;
    let mut out = ListContents {
        format: format!("list ({compression})"),
        ..Default::default()
    };
    for (i, line) in reader.split(b'\n').enumerate() {
        let position = i as u64 + 1;
        let line =
            line.with_context(|| format!("reading {} at line {position}", path.display()))?;
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let field = line
            .rsplit(',')
            .next()
            .unwrap_or(line)
            .trim()
            .trim_matches('"');
        match crate::url::to_ascii_host(field) {
            Ok(host) if host.contains('.') => out.rows.push(host),
            // A first row that is not a domain is a header (`Domain`, `rank,domain`).
            _ if position == 1 => {}
            _ => out.bad.push(BadRow {
                position,
                reason: format!("`{field}` is not a domain name"),
                raw: line.to_string(),
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn phishtank_csv_keeps_neighbours_of_bad_rows() {
        let csv = "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target\n\
                   1,http://a.example/x,d,t,yes,t,yes,PayPal\n\
                   2\n\
                   3,\"http://b.example/a,b\",d,t,yes,t,yes,\"AT&amp;T\"\n\
                   4,\"http://c.example/\"oops\",d,t,yes,t,yes,Other\n\
                   5,http://d.example/,d,t,yes,t,yes,Other\n";
        let f = file(csv.as_bytes());
        let out = read_phishtank(f.path()).unwrap();
        let urls: Vec<_> = out.rows.iter().map(|r| r.url.as_str()).collect();
        assert!(urls.contains(&"http://a.example/x"));
        assert!(urls.contains(&"http://b.example/a,b"));
        assert!(urls.contains(&"http://d.example/"));
        assert_eq!(out.rows[1].target, "AT&amp;T");
        assert!(!out.bad.is_empty());
        assert_eq!(out.bad[0].position, 3);
    }

    #[test]
    fn phishtank_json_array_lines_and_compressed() {
        let json = r#"[{"url":"http://a.example/","target":"PayPal"},{"target":"x"},{"url":"http://b.example/"}]"#;
        let out = read_phishtank(file(json.as_bytes()).path()).unwrap();
        assert_eq!(out.rows.len(), 2);
        assert_eq!(out.rows[1].target, "Other");
        assert_eq!(out.bad.len(), 1);
        assert_eq!(out.bad[0].position, 2);
        assert_eq!(out.bad[0].reason, "record has no `url` string");
        assert_eq!(out.bad[0].raw, r#"{"target":"x"}"#);

        let lines = "{\"url\":\"http://a.example/\",\"target\":\"PayPal\"}\n{broken\n";
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(lines.as_bytes()).unwrap();
        let out = read_phishtank(file(&bz.finish().unwrap()).path()).unwrap();
        assert_eq!(out.rows.len(), 1);
        assert_eq!(out.bad.len(), 1);
        assert!(out.format.contains("bzip2"), "{}", out.format);
    }

    #[test]
    fn not_a_phishtank_csv_is_an_error() {
        let err = read_phishtank(file(b"a,b\n1,2\n").path()).unwrap_err();
        assert!(format!("{err:#}").contains("url"), "{err:#}");
    }

    #[test]
    fn domain_lists_with_header_ranks_and_junk() {
        let f = file(
            b"Domain\ngoogle.com\n2,Facebook.COM\n\n# comment\nnot a domain!\nb\xc3\xbccher.de\n",
        );
        let out = read_domain_list(f.path()).unwrap();
        assert_eq!(
            out.rows,
            vec!["google.com", "facebook.com", "xn--bcher-kva.de"]
        );
        assert_eq!(out.bad.len(), 1);
        assert_eq!(out.bad[0].position, 6);
    }
}
