//! A forgiving HTML scanner: tags with their attributes, and the text
//! between them, from any bytes. Phishing kits are broken on purpose
//! (unclosed quotes, stray `<`, NUL bytes, megabytes of one line), so this
//! never fails and never recurses: it walks the input once.

/// One start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Lower case.
    pub name: String,
    /// Attribute names lower case; values as written, entities decoded.
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a page is made of, as far as the scorer cares.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub tags: Vec<Tag>,
    /// The title element's text.
    pub title: String,
    /// Visible text (outside script and style), whitespace collapsed.
    pub text: String,
    /// Script bodies, for brand names and redirects built in code.
    pub script: String,
}

/// Bytes of a document scanned at most: larger pages are cut (and the cut
/// reported by the caller); kits are small, and memory must stay bounded.
pub const MAX_HTML: usize = 4 << 20;

/// Scans HTML. Invalid UTF-8 is replaced.
pub fn scan(bytes: &[u8]) -> Document {
    let bytes = &bytes[..bytes.len().min(MAX_HTML)];
    let html = String::from_utf8_lossy(bytes);
    let mut doc = Document::default();
    let mut rest: &str = &html;
    // The element whose raw text we are in (script, style, title, textarea).
    let mut raw: Option<String> = None;
    while !rest.is_empty() {
        if let Some(elem) = raw.take() {
            let close = format!("</{elem}");
            let end = find_ci(rest, &close).unwrap_or(rest.len());
            let body = &rest[..end];
            match elem.as_str() {
                "title" => push_text(&mut doc.title, &decode_entities(body)),
                "script" => push_text(&mut doc.script, body),
                "textarea" => push_text(&mut doc.text, &decode_entities(body)),
                _ => {}
            }
            rest = &rest[end..];
            continue;
        }
        let Some(lt) = rest.find('<') else {
            push_text(&mut doc.text, &decode_entities(rest));
            break;
        };
        push_text(&mut doc.text, &decode_entities(&rest[..lt]));
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest[4..].find("-->").map_or("", |i| &rest[4 + i + 3..]);
            continue;
        }
        match parse_tag(rest) {
            Some((tag, consumed, closing)) => {
                rest = &rest[consumed..];
                if closing {
                    continue;
                }
                if matches!(tag.name.as_str(), "script" | "style" | "title" | "textarea") {
                    raw = Some(tag.name.clone());
                }
                doc.tags.push(tag);
            }
            None => {
                // A `<` that starts no tag is text.
                doc.text.push('<');
                rest = &rest[1..];
            }
        }
    }
    doc
}

/// Parses the tag at the start of `s` (which begins with `<`): the tag,
/// the bytes it spans, and whether it is a closing tag.
fn parse_tag(s: &str) -> Option<(Tag, usize, bool)> {
    let b = s.as_bytes();
    let mut i = 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    if b.get(i) == Some(&b'!') || b.get(i) == Some(&b'?') {
        // Doctype, CDATA, processing instruction: skip to `>`.
        let end = s[i..].find('>').map_or(s.len(), |e| i + e + 1);
        return Some((
            Tag {
                name: "!".into(),
                attrs: Vec::new(),
            },
            end,
            true,
        ));
    }
    let name_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
        i += 1;
    }
    if i == name_start {
        return None;
    }
    let name = s[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return Some((Tag { name, attrs }, b.len(), closing));
        }
        if b[i] == b'>' {
            return Some((Tag { name, attrs }, i + 1, closing));
        }
        let an_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let an = s[an_start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let start = i + 1;
                // An unclosed quote ends at the next `>` rather than
                // swallowing the rest of the page.
                let end = s[start..]
                    .find(q as char)
                    .or_else(|| s[start..].find('>'))
                    .map_or(b.len(), |e| start + e);
                value = decode_entities(&s[start..end]);
                i = if end < b.len() && b[end] == q {
                    end + 1
                } else {
                    end
                };
            } else {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = decode_entities(&s[start..i]);
            }
        }
        if !an.is_empty() && attrs.len() < 256 {
            attrs.push((an, value));
        }
    }
}

/// Byte index of `needle` (ASCII) in `hay`, ignoring ASCII case.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn push_text(out: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The common named entities and numeric references; others stay as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Byte search: the window may end inside a multi-byte character.
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|b| *b == b';');
        let decoded = end.and_then(|e| entity(&rest[1..e]).map(|c| (c, e + 1)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_attributes_title_and_text() {
        let d = scan(
            b"<!DOCTYPE html><html><head><title>Log in &amp; Pay</title>\
              <script>var a = '<form>';</script></head><body><!-- <input type=password> -->\
              <FORM Action='https://evil.example/x.php' method=post><input type=\"password\" name=pw>\
              Hello&nbsp;world</form></body></html>",
        );
        assert_eq!(d.title, "Log in & Pay");
        assert_eq!(d.text, "Hello world");
        assert!(d.script.contains("<form>"));
        let names: Vec<_> = d.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["html", "head", "title", "script", "body", "form", "input"]
        );
        let form = &d.tags[5];
        assert_eq!(form.attr("action"), Some("https://evil.example/x.php"));
        assert_eq!(d.tags[6].attr("type"), Some("password"));
    }

    #[test]
    fn broken_and_hostile_html_does_not_crash() {
        let cases: Vec<Vec<u8>> = vec![
            b"<".to_vec(),
            b"<<<<>>>><".to_vec(),
            b"<a href=\"unterminated><input type=password>".to_vec(),
            b"<script>never closed".to_vec(),
            b"<!-- never closed".to_vec(),
            b"\xff\xfe<\x00i\x00n\x00p\x00u\x00t>".to_vec(),
            b"&#xFFFFFFFF; &#99999999999; &; &#; &#x;".to_vec(),
            "<ti\u{301}tle>é</title>".as_bytes().to_vec(),
            [b"<div ".as_slice(), &b"a=1 ".repeat(10_000)].concat(),
            b"<".repeat(100_000),
            b"<a".repeat(50_000),
        ];
        for c in &cases {
            let d = scan(c);
            assert!(d.tags.iter().all(|t| t.attrs.len() <= 256));
        }
        let d = scan(b"<a href=\"unterminated><input type=password>");
        assert_eq!(d.tags[0].attr("href"), Some("unterminated"));
    }
}
