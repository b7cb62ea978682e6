//! WARC (ISO 28500), the web-archive format crawlers write: the HTML of
//! `response` records with their target URI, for page scoring.
//!
//! Records are read one at a time from a stream (plain or compressed, as
//! `.warc.gz` files are), so an archive of any size takes bounded memory.
//! A damaged record is reported with its byte offset and reading resumes at
//! the next `WARC/` line.

use std::io::{BufRead, Read};

/// A page from an archive.
#[derive(Debug, Clone)]
pub struct WarcPage {
    /// Byte offset of the record in the uncompressed stream.
    pub offset: u64,
    pub url: String,
    /// The HTTP body (at most [`crate::html::MAX_HTML`] bytes).
    pub body: Vec<u8>,
}

/// What reading one record gave.
#[derive(Debug)]
pub enum WarcItem {
    Page(WarcPage),
    /// A record that is not an HTML response (request, metadata, image...).
    Skipped,
    Bad {
        offset: u64,
        reason: String,
    },
}

/// Reads WARC records from `r`.
pub struct WarcReader<R> {
    r: R,
    offset: u64,
    line: Vec<u8>,
    /// A record read while reporting the garbage before it.
    pending: Option<WarcItem>,
}

impl<R: BufRead> WarcReader<R> {
    pub fn new(r: R) -> Self {
        WarcReader {
            r,
            offset: 0,
            line: Vec::new(),
            pending: None,
        }
    }

    fn read_line(&mut self) -> std::io::Result<bool> {
        self.line.clear();
        // Header lines are short; a huge "line" is not a header: cap it.
        let n = (&mut self.r)
            .take(64 * 1024)
            .read_until(b'\n', &mut self.line)?;
        self.offset += n as u64;
        Ok(n > 0)
    }

    /// The next record, `None` at the end of the stream.
    pub fn next_item(&mut self) -> Option<WarcItem> {
        if let Some(item) = self.pending.take() {
            return Some(item);
        }
        // Find the version line, skipping blank separators (and garbage,
        // which is reported once as bad).
        let mut skipped_garbage: Option<u64> = None;
        let start = loop {
            let at = self.offset;
            match self.read_line() {
                Ok(false) => {
                    return skipped_garbage.map(|o| WarcItem::Bad {
                        offset: o,
                        reason: "data that is not a WARC record".into(),
                    })
                }
                Err(e) => return Some(bad(at, format!("read error: {e}"))),
                Ok(true) => {}
            }
            if self.line.starts_with(b"WARC/") {
                if let Some(o) = skipped_garbage {
                    // Report the garbage first; the record follows next call.
                    self.pending = Some(self.read_record(at));
                    return Some(bad(
                        o,
                        format!("data that is not a WARC record before offset {at}"),
                    ));
                }
                break at;
            }
            if !self.line.iter().all(u8::is_ascii_whitespace) && skipped_garbage.is_none() {
                skipped_garbage = Some(at);
            }
        };
        Some(self.read_record(start))
    }

    fn read_record(&mut self, start: u64) -> WarcItem {
        let mut kind = String::new();
        let mut uri = String::new();
        let mut length: Option<u64> = None;
        loop {
            match self.read_line() {
                Ok(true) => {}
                Ok(false) => return bad(start, "end of stream inside the record header".into()),
                Err(e) => return bad(start, format!("read error: {e}")),
            }
            let line = String::from_utf8_lossy(&self.line).trim_end().to_string();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "warc-type" => kind = value.to_ascii_lowercase(),
                    "warc-target-uri" => uri = value.trim_matches(['<', '>']).to_string(),
                    "content-length" => length = value.parse().ok(),
                    _ => {}
                }
            }
        }
        let Some(length) = length else {
            return bad(start, "record without a valid Content-Length".into());
        };
        let keep = if kind == "response" {
            crate::html::MAX_HTML as u64
        } else {
            0
        };
        let mut block = Vec::new();
        let read = (&mut self.r).take(length.min(keep)).read_to_end(&mut block);
        let skipped = std::io::copy(
            &mut (&mut self.r).take(length.saturating_sub(keep)),
            &mut std::io::sink(),
        );
        match (read, skipped) {
            (Ok(n), Ok(m)) if n as u64 + m == length => self.offset += length,
            _ => {
                return bad(
                    start,
                    format!("record shorter than its Content-Length {length}"),
                )
            }
        }
        if kind != "response" {
            return WarcItem::Skipped;
        }
        match http_body(&block) {
            Some((body, true)) => WarcItem::Page(WarcPage {
                offset: start,
                url: uri,
                body: body.to_vec(),
            }),
            Some((_, false)) => WarcItem::Skipped,
            None => bad(start, "response record without an HTTP header".into()),
        }
    }
}

impl<R: BufRead> Iterator for WarcReader<R> {
    type Item = WarcItem;
    fn next(&mut self) -> Option<WarcItem> {
        self.next_item()
    }
}

fn bad(offset: u64, reason: String) -> WarcItem {
    WarcItem::Bad { offset, reason }
}

/// The body of an HTTP response block, and whether it is HTML (by
/// Content-Type, or by sniffing when there is none).
fn http_body(block: &[u8]) -> Option<(&[u8], bool)> {
    if !block.starts_with(b"HTTP/") {
        return None;
    }
    let end = find(block, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(block, b"\n\n").map(|i| i + 2))?;
    let head = String::from_utf8_lossy(&block[..end]).to_ascii_lowercase();
    let body = &block[end..];
    let html = match head.lines().find_map(|l| l.strip_prefix("content-type:")) {
        Some(ct) => ct.contains("html"),
        None => {
            let start = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
            start.contains("<html") || start.contains("<!doctype html")
        }
    };
    Some((body, html))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, uri: &str, block: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nContent-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    #[test]
    fn responses_with_html_become_pages() {
        let mut warc = record("warcinfo", "", b"software: test\r\n");
        warc.extend(record(
            "request",
            "http://a.example/",
            b"GET / HTTP/1.1\r\n\r\n",
        ));
        warc.extend(record(
            "response",
            "http://a.example/login",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>x</title>",
        ));
        warc.extend(record(
            "response",
            "http://a.example/logo.png",
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
        ));
        let items: Vec<_> = WarcReader::new(&warc[..]).collect();
        let pages: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                WarcItem::Page(p) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].url, "http://a.example/login");
        assert_eq!(pages[0].body, b"<title>x</title>");
        assert_eq!(items.len(), 4);
    }

    #[test]
    fn damaged_records_are_reported_and_reading_goes_on() {
        let good = record(
            "response",
            "http://b.example/",
            b"HTTP/1.1 200 OK\r\n\r\n<html><title>y</title>",
        );
        let mut warc = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: nope\r\n\r\n".to_vec();
        warc.extend(b"junk line\r\n");
        warc.extend(&good);
        warc.extend(good.clone());
        warc.extend(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 999\r\n\r\nshort");
        let items: Vec<_> = WarcReader::new(&warc[..]).collect();
        let bad = items
            .iter()
            .filter(|i| matches!(i, WarcItem::Bad { .. }))
            .count();
        let pages = items
            .iter()
            .filter(|i| matches!(i, WarcItem::Page(_)))
            .count();
        assert!(bad >= 2, "{items:?}");
        assert_eq!(pages, 2, "{items:?}");
        assert!(
            matches!(items.last(), Some(WarcItem::Bad { reason, .. }) if reason.contains("shorter"))
        );
    }
}
