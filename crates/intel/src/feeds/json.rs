//! Streaming the records of a JSON feed without holding the document: the
//! ThreatFox full export is hundreds of megabytes of one JSON object.
//!
//! Shapes read: a top-level array of record objects (Feodo Tracker), an object
//! whose values are arrays of records keyed by IOC id (ThreatFox export), and
//! an abuse.ch API answer `{"query_status": ..., "data": [...]}`. Each record
//! is parsed into a `serde_json::Map` on its own and handed to the feed's
//! conversion; a record that is not an object is rejected, its neighbours are
//! read. Malformed JSON ends the file there (JSON cannot be resynchronised),
//! keeping the records before it.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use borderscope_schema::Rejection;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{Entry, Out};

/// A feed's conversion of one record, given the line its object opens on.
pub type Convert = dyn Fn(&Map<String, Value>, u64) -> Result<Entry, String>;

pub(super) fn read(input: &mut dyn BufRead, out: &mut Out<'_>, convert: &Convert) {
    skip_bom(input);
    let newlines = Rc::new(Cell::new(0));
    let counted = CountLines {
        inner: input,
        newlines: newlines.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(counted);
    let mut handler = Handler {
        out,
        convert,
        newlines,
    };
    let result = Top(&mut handler)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = result {
        let line = (e.line() as u64).max(1);
        handler
            .out
            .reject(Rejection::at_line(line, failure_reason(&e, line), b""));
    }
}

/// A UTF-8 byte-order mark (Windows tools write one) is not JSON; serde_json
/// would reject the whole document for it.
fn skip_bom(input: &mut dyn BufRead) {
    const BOM: &[u8] = b"\xef\xbb\xbf";
    if input.fill_buf().is_ok_and(|b| b.starts_with(BOM)) {
        input.consume(BOM.len());
    }
}

fn failure_reason(e: &serde_json::Error, line: u64) -> String {
    if e.is_io() {
        format!("input ended early: the file could not be read past line {line}: {e}")
    } else if e.is_eof() {
        format!("the JSON document ends early at line {line} (a truncated file); the records before it were read")
    } else {
        format!("malformed JSON ({e}); the records after it were not read")
    }
}

/// Counts newlines as they are read. serde_json reads a reader one byte at a
/// time, so at any point of the parse the count is exact: when a record's
/// `{` has just been read, `newlines + 1` is the line it opens on.
struct CountLines<R> {
    inner: R,
    newlines: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let seen = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        self.newlines.set(self.newlines.get() + seen);
        Ok(n)
    }
}

/// What the visitors report records to; a trait so they need not carry the
/// lifetimes of the output.
trait Records {
    fn line(&self) -> u64;
    fn object(&mut self, line: u64, record: Map<String, Value>);
    fn other(&mut self, line: u64, value: Value);
    fn note(&mut self, note: String);
}

struct Handler<'a, 'o> {
    out: &'a mut Out<'o>,
    convert: &'a Convert,
    newlines: Rc<Cell<u64>>,
}

impl Records for Handler<'_, '_> {
    fn line(&self) -> u64 {
        self.newlines.get() + 1
    }

    fn object(&mut self, line: u64, record: Map<String, Value>) {
        match (self.convert)(&record, line) {
            Ok(entry) => self.out.entry(entry),
            Err(reason) => {
                let raw = Value::Object(record).to_string();
                self.out
                    .reject(Rejection::at_line(line, reason, raw.as_bytes()));
            }
        }
    }

    fn other(&mut self, line: u64, value: Value) {
        let raw = value.to_string();
        self.out.reject(Rejection::at_line(
            line,
            "expected a JSON object for an indicator",
            raw.as_bytes(),
        ));
    }

    fn note(&mut self, note: String) {
        self.out.note(note);
    }
}

/// The whole document.
struct Top<'h>(&'h mut dyn Records);

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of indicator records or an object of record arrays")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(One::new(&mut *self.0, None))?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "query_status" => {
                    let status: Value = map.next_value()?;
                    if status != "ok" {
                        self.0.note(format!("query_status of the answer: {status}"));
                    }
                }
                "data" => map.next_value_seed(Many::new(&mut *self.0, None))?,
                // ThreatFox export: the key is the IOC id of the records under it.
                _ => map.next_value_seed(Many::new(&mut *self.0, Some(key)))?,
            }
        }
        Ok(())
    }
}

/// An array of records (or the message an API sends instead of one).
struct Many<'h> {
    h: &'h mut dyn Records,
    id: Option<String>,
}

impl<'h> Many<'h> {
    fn new(h: &'h mut dyn Records, id: Option<String>) -> Self {
        Many { h, id }
    }
}

impl<'de> DeserializeSeed<'de> for Many<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Many<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of indicator records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(One::new(&mut *self.h, self.id.clone()))?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        One::new(self.h, self.id).visit_map(map)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        // e.g. {"query_status": "no_result", "data": "Your search did not yield any results"}
        self.h.note(format!("no records: {s}"));
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// One record.
struct One<'h> {
    h: &'h mut dyn Records,
    id: Option<String>,
}

impl<'h> One<'h> {
    fn new(h: &'h mut dyn Records, id: Option<String>) -> Self {
        One { h, id }
    }

    fn other<E: de::Error>(self, value: Value) -> Result<(), E> {
        let line = self.h.line();
        self.h.other(line, value);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for One<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for One<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an indicator record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Called right after the `{` was read: the line it opens on.
        let line = self.h.line();
        let mut record = Map::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            record.insert(k, v);
        }
        if let Some(id) = self.id {
            if !record.contains_key("id") && !record.contains_key("ioc_id") {
                record.insert("id".into(), Value::String(id));
            }
        }
        self.h.object(line, record);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        self.other(Value::Array(items))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.other(Value::from(s))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.other(Value::from(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.other(Value::from(n))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        self.other(Value::from(n))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.other(Value::from(b))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.other(Value::Null)
    }
}

/// A record's value as text: strings as they are, numbers printed; `None`
/// for null, absent, or one of the null spellings. The first of `keys`
/// present wins, so alternative spellings of a field can be listed.
pub fn text(record: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match record.get(*k)? {
        Value::String(s) => crate::normalise::non_null(s).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Tags given as a comma-separated string or as an array of strings.
pub fn tags(record: &Map<String, Value>, key: &str) -> Vec<String> {
    match record.get(key) {
        Some(Value::String(s)) => crate::normalise::split_tags([s.as_str()]),
        Some(Value::Array(items)) => {
            crate::normalise::split_tags(items.iter().filter_map(Value::as_str))
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::Collected;
    use crate::indicator::{Feed, Indicator, IndicatorKind};

    /// Each record becomes a domain indicator named by its `v`, at its line.
    fn convert(r: &Map<String, Value>, line: u64) -> Result<Entry, String> {
        let v = text(r, &["v"]).ok_or("no v")?;
        let mut ind = Indicator::new(IndicatorKind::Domain, v, "x", Feed::List, line);
        ind.reference = text(r, &["id"]);
        Ok(Entry::Indicators(vec![ind]))
    }

    fn run(doc: &str) -> (Collected, Vec<String>) {
        let mut sink = Collected::default();
        let mut out = Out::new(&mut sink);
        read(&mut doc.as_bytes(), &mut out, &convert);
        let (_, notes) = out.finish();
        (sink, notes)
    }

    #[test]
    fn records_are_numbered_by_the_line_their_object_opens_on() {
        let (got, _) = run("[\n  {\n    \"v\": \"a\"\n  },\n  {\"v\": \"b\"}, {\"v\": \"c\"}\n]");
        let at: Vec<(String, u64)> = got
            .indicators
            .iter()
            .map(|i| (i.value.clone(), i.source_line))
            .collect();
        assert_eq!(at, [("a".into(), 2), ("b".into(), 5), ("c".into(), 5)]);
    }

    #[test]
    fn export_keys_become_ids_and_api_messages_notes() {
        let (got, _) = run(r#"{"17": [{"v": "a"}], "18": [{"v": "b", "id": "99"}]}"#);
        let ids: Vec<Option<&str>> = got
            .indicators
            .iter()
            .map(|i| i.reference.as_deref())
            .collect();
        assert_eq!(ids, [Some("17"), Some("99")]);
        let (got, notes) = run(
            r#"{"query_status": "no_result", "data": "Your search did not yield any results"}"#,
        );
        assert!(got.indicators.is_empty() && got.rejections.is_empty());
        assert_eq!(notes.len(), 2, "{notes:?}");
    }

    #[test]
    fn a_scalar_document_is_one_rejection() {
        let (got, _) = run("42");
        assert_eq!(got.rejections.len(), 1);
        assert!(
            got.rejections[0].reason.contains("malformed JSON"),
            "{:?}",
            got.rejections
        );
    }
}
