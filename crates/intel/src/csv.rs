//! The small part of CSV the abuse.ch exports use: comma-separated fields,
//! optionally double-quoted with `""` for a quote, blanks around fields
//! ignored (ThreatFox writes `", "`). Headers are matched by column name, and
//! abuse.ch puts the header inside a `#` comment, so both places are searched.

use std::collections::HashMap;

/// Splits one CSV line into fields. `Err` for an unterminated quote or text
/// after a closing quote, which means the line is not the CSV it claims.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        skip_blanks(&mut chars);
        let field = if chars.next_if_eq(&'"').is_some() {
            let quoted = read_quoted(&mut chars)?;
            skip_blanks(&mut chars);
            quoted
        } else {
            let mut plain = String::new();
            while let Some(c) = chars.next_if(|c| *c != ',') {
                plain.push(c);
            }
            plain.trim_end().to_string()
        };
        fields.push(field);
        match chars.next() {
            None => return Ok(fields),
            Some(',') => {}
            Some(c) => return Err(format!("unexpected `{c}` after a quoted field")),
        }
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_blanks(chars: &mut Chars<'_>) {
    while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
}

/// The rest of a quoted field, its opening quote already read.
fn read_quoted(chars: &mut Chars<'_>) -> Result<String, String> {
    let mut field = String::new();
    while let Some(c) = chars.next() {
        if c != '"' {
            field.push(c);
        } else if chars.next_if_eq(&'"').is_some() {
            field.push('"');
        } else {
            return Ok(field);
        }
    }
    Err("unterminated quoted field".into())
}

/// Column names compared without case, blanks or underscores, so
/// `first_seen_utc`, `Firstseen` and `First Seen` can be looked up alike.
fn key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A header: column positions by (normalised) name.
#[derive(Debug, Clone)]
pub struct Header {
    pub width: usize,
    index: HashMap<String, usize>,
}

impl Header {
    pub fn parse(line: &str) -> Option<Header> {
        let names = split(line).ok()?;
        let index = names.iter().enumerate().map(|(i, n)| (key(n), i)).collect();
        Some(Header {
            width: names.len(),
            index,
        })
    }

    /// Position of the first of `names` the header has.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.index.get(&key(n)).copied())
    }

    pub fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.find(&[n]).is_some())
    }
}

/// The text of a `#` comment line, or `None` for a non-comment line.
pub fn comment_text(line: &str) -> Option<&str> {
    line.trim_start().strip_prefix('#').map(str::trim)
}

/// The first header in `head` that `accept` takes: a comment line that parses
/// as one, or the first non-comment line. Stops at the first non-comment,
/// non-blank line: a header comes before the data.
pub fn find_header(head: &str, accept: impl Fn(&Header) -> bool) -> Option<Header> {
    for line in head.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let (text, is_comment) = match comment_text(line) {
            Some(t) => (t, true),
            None => (line, false),
        };
        if let Some(h) = Header::parse(text).filter(|h| h.width > 2 && accept(h)) {
            return Some(h);
        }
        if !is_comment {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_blank_padded_and_empty_fields() {
        assert_eq!(
            split(r#""a", "b,c" ,d,,"e""f""#).unwrap(),
            vec!["a", "b,c", "d", "", "e\"f"]
        );
        assert_eq!(split("x,").unwrap(), vec!["x", ""]);
        assert_eq!(split("").unwrap(), vec![""]);
        assert_eq!(split(r#""""#).unwrap(), vec![""]);
        assert!(split(r#""open,b"#).is_err());
        assert!(split(r#""a"b,c"#).is_err());
    }

    #[test]
    fn headers_are_found_in_comments_or_first_lines_and_matched_loosely() {
        let head = "# title\n#\n# \"first_seen_utc\",\"dst_ip\",\"dst_port\"\n\"2024-01-01\",\"192.0.2.1\",\"80\"\n";
        let h = find_header(head, |h| h.has_all(&["dst_ip"])).unwrap();
        assert_eq!(h.find(&["FirstSeenUTC"]), Some(0));
        assert_eq!(h.find(&["DstPort"]), Some(2));
        let plain = "Firstseen,DstIP,DstPort\n2019-01-01,192.0.2.1,80\n";
        assert!(find_header(plain, |h| h.has_all(&["dst_ip"])).is_some());
        let data_first = "192.0.2.1,80,x\n# a,dst_ip,b\n";
        assert!(find_header(data_first, |h| h.has_all(&["dst_ip"])).is_none());
    }
}
