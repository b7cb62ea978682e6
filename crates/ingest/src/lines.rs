//! Reading text inputs line by line with a bound on line length.
//!
//! A single 100 MB line (a corrupt file, a log of binary junk) must neither be
//! held in memory whole nor stop the ingest: past [`LineReader::max_len`] the
//! rest of the line is skipped and the caller is told how long it was.

use std::io::{self, BufRead};

/// Default longest line kept: far beyond any real log line (Zeek caps fields,
/// web servers cap request lines at a few KiB) yet small enough to be harmless.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// One line, without its line terminator.
pub struct Line<'a> {
    /// 1-based line number in the (decompressed) input.
    pub number: u64,
    /// The line's bytes, cut at the reader's maximum length.
    pub bytes: &'a [u8],
    /// Full length when the line was longer than the maximum, else `None`.
    pub overlong: Option<u64>,
    max_len: usize,
}

impl Line<'_> {
    /// The quarantine row for a line cut at the maximum length, if it was.
    /// Every text reader rejects such lines the same way.
    pub fn overlong_rejection(&self) -> Option<borderscope_schema::Rejection> {
        self.overlong.map(|len| {
            borderscope_schema::Rejection::overlong_line(self.number, len, self.max_len, self.bytes)
        })
    }
}

pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    number: u64,
    max_len: usize,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_max_len(inner, DEFAULT_MAX_LINE)
    }

    pub fn with_max_len(inner: R, max_len: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(4096),
            number: 0,
            max_len,
        }
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Number of the last line returned (0 before the first).
    pub fn line_number(&self) -> u64 {
        self.number
    }

    /// The next line, `Ok(None)` at the end of input. An I/O error (for
    /// example a truncated compressed stream) ends the input: the caller keeps
    /// what it has read and records the error at `line_number() + 1`.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut total: u64 = 0;
        let mut saw_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, consumed, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            total += chunk.len() as u64;
            let room = self.max_len.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.inner.consume(consumed);
            if done {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        self.number += 1;
        if self.buf.last() == Some(&b'\r') && total as usize == self.buf.len() {
            self.buf.pop();
            total -= 1;
        }
        let overlong = (total as usize > self.max_len).then_some(total);
        Ok(Some(Line {
            number: self.number,
            bytes: &self.buf,
            overlong,
            max_len: self.max_len,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn numbers_lines_strips_crlf_and_keeps_a_last_line_without_newline() {
        let mut r = LineReader::new(Cursor::new(b"a\r\nbb\n\nccc".to_vec()));
        let mut got = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            got.push((l.number, String::from_utf8(l.bytes.to_vec()).unwrap()));
        }
        assert_eq!(
            got,
            vec![
                (1, "a".into()),
                (2, "bb".into()),
                (3, "".into()),
                (4, "ccc".into())
            ]
        );
    }

    #[test]
    fn an_overlong_line_is_cut_and_its_neighbours_survive() {
        let mut input = b"before\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 10_000));
        input.extend_from_slice(b"\nafter\n");
        let mut r = LineReader::with_max_len(Cursor::new(input), 100);
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"before");
        let long = r.next_line().unwrap().unwrap();
        assert_eq!(long.bytes.len(), 100);
        assert_eq!(long.overlong, Some(10_000));
        let after = r.next_line().unwrap().unwrap();
        assert_eq!((after.number, after.bytes), (3, &b"after"[..]));
        assert!(r.next_line().unwrap().is_none());
    }
}
