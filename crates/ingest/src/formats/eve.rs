//! Suricata EVE JSON: one event object per line, its kind in `event_type`.
//!
//! | event_type | row | from |
//! |---|---|---|
//! | `flow` | [`Flow`] | `flow.start`/`end`, `*_toserver` → src, `*_toclient` → dst, `flow.state`, `app_proto` |
//! | `alert` | [`Alert`] | `alert.signature`, `signature_id`, `category`, `severity`, `action` |
//! | `dns` | [`Dns`] | `dns.rrname`/`rrtype` or `dns.queries[0]`, `rcode`, `answers[].rdata` |
//! | `http` | [`Http`] | `hostname`, `url`, `http_user_agent`, `http_refer`, `http_method`, `status`, `length` |
//! | `tls` | [`Tls`] | `sni`, `version`, `subject`, `issuerdn`, `ja3.hash`, `ja3s.hash`, `ja4` |
//!
//! Every row takes `src_ip`/`src_port` as the client and `dest_ip`/`dest_port`
//! as the server (Suricata orients them by flow, not by packet) and `flow_id`
//! as its uid, which joins alerts to their flow. Timestamps carry the sensor's
//! UTC offset (`2021-06-06T15:59:46.457984+0200`) and are stored in UTC.
//!
//! DNS: EVE v1 logs a query and each answer as separate events; v2 logs the
//! query and one answer event with an `answers` array (or only `grouped`
//! answers); v3 logs request and response events with `queries` and `answers`
//! arrays. Each `dns` event becomes one row; query rows have no `rcode`.
//!
//! Other event types (`fileinfo`, `anomaly`, `stats`, ...) have no table: they
//! are skipped, and one note per file counts them by type.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead};
use std::net::IpAddr;

use borderscope_schema::{Alert, Dns, Flow, Http, Label, Micros, Rejection, Tls};
use chrono::DateTime;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::Deserialize;

use crate::formats::ReadOptions;
use crate::lines::LineReader;
use crate::sink::Sink;

/// Largest |micros| accepted: 9999-12-31T23:59:59Z, as `micros_from_secs`.
const MAX_MICROS: Micros = 253_402_300_799_000_000;

/// True when the first non-blank line is a JSON object with an `event_type`
/// string (Zeek JSON logs are objects too, but never have that field).
pub fn sniff(head: &[u8]) -> bool {
    let mut lines = head.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        // A line cut by the end of the sniffed bytes cannot be parsed whole;
        // it still has to open like an EVE event.
        let complete = lines.peek().is_some() || head.len() < super::SNIFF_BYTES;
        return if complete {
            serde_json::from_slice::<Probe>(line).is_ok()
        } else {
            line.starts_with(b"{") && memchr::memmem::find(line, b"\"event_type\":").is_some()
        };
    }
    false
}

/// Just enough of an event to recognise one.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    #[allow(dead_code)] // present and a string is all that matters
    event_type: Cow<'a, str>,
}

pub fn read(input: &mut dyn BufRead, opts: &ReadOptions, sink: &mut dyn Sink) -> io::Result<()> {
    let mut lines = LineReader::with_max_len(input, opts.max_line);
    let mut skipped = SkippedTypes::default();
    while let Some(line) = lines.next_line()? {
        if let Some(r) = line.overlong_rejection() {
            sink.reject(r);
            continue;
        }
        if let Err(why) = event_line(line.number, line.bytes, sink, &mut skipped) {
            sink.reject(Rejection::at_line(line.number, why, line.bytes));
        }
    }
    skipped.report(sink);
    Ok(())
}

/// Delivers one line's row or skip; the error is why the line is rejected.
fn event_line(
    number: u64,
    bytes: &[u8],
    sink: &mut dyn Sink,
    skipped: &mut SkippedTypes,
) -> Result<(), String> {
    // Suricata escapes non-UTF-8 bytes itself; raw ones mean corruption,
    // which lossy conversion confines to the strings it hit.
    let text = String::from_utf8_lossy(bytes);
    let json = text.trim();
    if json.is_empty() {
        sink.skip(1);
        return Ok(());
    }
    // serde would also take a JSON array as a struct, field by field.
    if !json.starts_with('{') {
        return Err("not a JSON object (EVE has one event object per line)".to_owned());
    }
    let event = serde_json::from_str::<Event>(json).map_err(|e| json_error(json, &e))?;
    deliver(number, event, sink, skipped)
}

/// Turns one event into its row and hands it to the sink.
fn deliver(
    number: u64,
    event: Event<'_>,
    sink: &mut dyn Sink,
    skipped: &mut SkippedTypes,
) -> Result<(), String> {
    let Some(kind) = event.event_type.as_deref() else {
        return Err("no `event_type` field".to_owned());
    };
    match kind {
        "flow" => sink.flow(&flow_row(number, &event)?),
        "alert" => sink.alert(&alert_row(number, &event)?),
        "dns" => sink.dns(&dns_row(number, &event)?),
        "http" => sink.http(&http_row(number, &event)?),
        "tls" => sink.tls(&tls_row(number, &event)?),
        other => {
            skipped.add(other);
            sink.skip(1);
        }
    }
    Ok(())
}

/// Counts of events skipped for want of a table, by event type.
#[derive(Default)]
struct SkippedTypes(BTreeMap<String, u64>);

impl SkippedTypes {
    fn add(&mut self, kind: &str) {
        match self.0.get_mut(kind) {
            Some(n) => *n += 1,
            None => {
                self.0.insert(kind.to_owned(), 1);
            }
        }
    }

    fn report(&self, sink: &mut dyn Sink) {
        if self.0.is_empty() {
            return;
        }
        let counts: Vec<String> = self.0.iter().map(|(k, n)| format!("{k} {n}")).collect();
        sink.note(format!(
            "EVE event types with no table, skipped: {}",
            counts.join(", ")
        ));
    }
}

/// Names the field a serde type error is about: serde_json reports only a
/// column, so the nearest `"key":` before it is looked up in the line.
fn json_error(json: &str, err: &serde_json::Error) -> String {
    if err.classify() != serde_json::error::Category::Data {
        return format!("not valid JSON: {err}");
    }
    match field_before(json, err.column()) {
        Some(field) => format!("field `{field}`: {err}"),
        None => format!("not an EVE event: {err}"),
    }
}

fn field_before(json: &str, column: usize) -> Option<&str> {
    let before = json.get(..column.min(json.len()))?;
    let colon = before.rfind("\":")?;
    let start = before[..colon].rfind('"')? + 1;
    Some(&before[start..colon])
}

// ---- The parts of an event that rows are made of --------------------------
//
// Strings are `Cow`s read through `opt_str`: they borrow from the line unless
// the JSON escaped something, and then are owned. Fields of other event types
// and unknown fields are skipped by serde without being kept.

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    event_type: Option<Cow<'a, str>>,
    flow_id: Option<Int>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    src_ip: Option<Cow<'a, str>>,
    src_port: Option<Int>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    dest_ip: Option<Cow<'a, str>>,
    dest_port: Option<Int>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    app_proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    flow: Option<FlowBody<'a>>,
    #[serde(borrow)]
    alert: Option<AlertBody<'a>>,
    #[serde(borrow)]
    dns: Option<DnsBody<'a>>,
    #[serde(borrow)]
    http: Option<HttpBody<'a>>,
    #[serde(borrow)]
    tls: Option<TlsBody<'a>>,
}

#[derive(Deserialize)]
struct FlowBody<'a> {
    pkts_toserver: Option<Int>,
    pkts_toclient: Option<Int>,
    bytes_toserver: Option<Int>,
    bytes_toclient: Option<Int>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    start: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    end: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    state: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct AlertBody<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    action: Option<Cow<'a, str>>,
    signature_id: Option<Int>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    signature: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    category: Option<Cow<'a, str>>,
    severity: Option<Int>,
}

#[derive(Deserialize)]
struct DnsBody<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    rrname: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    rrtype: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    rcode: Option<Cow<'a, str>>,
    /// v1 answer events carry one answer inline.
    #[serde(borrow, default, deserialize_with = "opt_str")]
    rdata: Option<Cow<'a, str>>,
    ttl: Option<f64>,
    #[serde(borrow, default)]
    queries: Vec<Query<'a>>,
    #[serde(borrow, default)]
    answers: Vec<Answer<'a>>,
    #[serde(borrow)]
    grouped: Option<Grouped<'a>>,
}

#[derive(Deserialize)]
struct Query<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    rrname: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    rrtype: Option<Cow<'a, str>>,
}

/// An answer record; SOA, SRV and the like have an object instead of `rdata`.
#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    rdata: Option<Cow<'a, str>>,
    ttl: Option<f64>,
}

#[derive(Deserialize)]
struct HttpBody<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    hostname: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    http_user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    http_refer: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    http_method: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    http_content_type: Option<Cow<'a, str>>,
    status: Option<Int>,
    length: Option<Int>,
}

#[derive(Deserialize)]
struct TlsBody<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    sni: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    subject: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    issuerdn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ja3: Option<Fingerprint<'a>>,
    #[serde(borrow)]
    ja3s: Option<Fingerprint<'a>>,
    #[serde(borrow)]
    ja4: Option<Fingerprint<'a>>,
}

/// Suricata writes `ja3`/`ja3s` as `{"hash": ..., "string": ...}` and `ja4` as
/// a plain string; either shape is taken for each.
#[derive(Deserialize)]
#[serde(untagged)]
enum Fingerprint<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Object {
        #[serde(borrow, default, deserialize_with = "opt_str")]
        hash: Option<Cow<'a, str>>,
    },
}

/// `Option<Cow<str>>` with `#[serde(borrow)]` alone always yields owned
/// strings (serde borrows only a bare `Cow`); this borrows when it can.
fn opt_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    Option::<Text<'a>>::deserialize(d).map(|t| t.map(|Text(s)| s))
}

#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// An integer that Suricata writes as a number but some versions and
/// re-exporters quote (`"status":"200"`). Wide enough for any JSON integer
/// serde_json yields; ranges are checked where it is used, naming the field.
#[derive(Clone, Copy, Debug)]
struct Int(i128);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor)
    }
}

struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = Int;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
        Ok(Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
        Ok(Int(v.into()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
        v.trim()
            .parse()
            .map(Int)
            .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
    }
}

/// The string answers of `dns.grouped` (`{"A": ["1.2.3.4"], "CNAME": [...]}`),
/// in document order; non-string entries (SOA objects, ...) are passed over.
struct Grouped<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Grouped<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(GroupedVisitor(Vec::new()))
    }
}

struct GroupedVisitor<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Visitor<'de> for GroupedVisitor<'a> {
    type Value = Grouped<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of record type to answers")
    }

    fn visit_map<M: MapAccess<'de>>(mut self, mut map: M) -> Result<Grouped<'a>, M::Error> {
        while let Some((_, answers)) = map.next_entry::<IgnoredAny, Vec<Loose<'a>>>()? {
            self.0.extend(answers.into_iter().filter_map(|a| a.0));
        }
        Ok(Grouped(self.0))
    }
}

/// A JSON value kept when it is a string and passed over otherwise.
struct Loose<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose(Some(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose<'de>, E> {
        Ok(Loose(Some(Cow::Owned(v.to_owned()))))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose<'de>, E> {
        Ok(Loose(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Loose<'de>, E> {
        Ok(Loose(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Loose<'de>, E> {
        Ok(Loose(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Loose<'de>, E> {
        Ok(Loose(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose<'de>, E> {
        Ok(Loose(None))
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Loose<'de>, S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Loose<'de>, M::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
}

// ---- Rows -------------------------------------------------------------------

fn flow_row<'a>(number: u64, e: &Event<'a>) -> Result<Flow<'a>, String> {
    let body = e
        .flow
        .as_ref()
        .ok_or("flow event without a `flow` object")?;
    let ts = match &body.start {
        Some(start) => time("flow.start", start)?,
        None => event_time(e)?,
    };
    let end = body
        .end
        .as_deref()
        .map(|t| time("flow.end", t))
        .transpose()?;
    Ok(Flow {
        line: number,
        ts,
        // Microsecond timestamps make the difference exact to the µs.
        duration: end
            .filter(|&end| end >= ts)
            .map(|end| (end - ts) as f64 / 1e6),
        src_ip: required_ip("src_ip", &e.src_ip)?,
        src_port: port("src_port", e.src_port)?,
        dst_ip: required_ip("dest_ip", &e.dest_ip)?,
        dst_port: port("dest_port", e.dest_port)?,
        transport: transport(e).ok_or("no `proto` field")?,
        service: service(&e.app_proto),
        src_bytes: count("flow.bytes_toserver", body.bytes_toserver)?,
        dst_bytes: count("flow.bytes_toclient", body.bytes_toclient)?,
        src_pkts: count("flow.pkts_toserver", body.pkts_toserver)?,
        dst_pkts: count("flow.pkts_toclient", body.pkts_toclient)?,
        state: body.state.clone(),
        history: None,
        uid: uid(e),
        sampling_rate: 1,
        sensor: None,
        label: Label::default(),
    })
}

fn alert_row<'a>(number: u64, e: &Event<'a>) -> Result<Alert<'a>, String> {
    let body = e
        .alert
        .as_ref()
        .ok_or("alert event without an `alert` object")?;
    let signature = body
        .signature
        .clone()
        .ok_or("alert without `alert.signature`")?;
    Ok(Alert {
        line: number,
        ts: event_time(e)?,
        uid: uid(e),
        src_ip: optional_ip("src_ip", &e.src_ip)?,
        src_port: port("src_port", e.src_port)?,
        dst_ip: optional_ip("dest_ip", &e.dest_ip)?,
        dst_port: port("dest_port", e.dest_port)?,
        transport: transport(e),
        signature_id: int("alert.signature_id", body.signature_id)?,
        signature,
        category: body.category.clone(),
        severity: int("alert.severity", body.severity)?,
        action: body.action.clone(),
        label: Label::default(),
    })
}

fn dns_row<'a>(number: u64, e: &Event<'a>) -> Result<Dns<'a>, String> {
    let body = e.dns.as_ref().ok_or("dns event without a `dns` object")?;
    let first_query = body.queries.first();
    let (answers, ttls) = dns_answers(body);
    Ok(Dns {
        line: number,
        ts: event_time(e)?,
        uid: uid(e),
        client_ip: required_ip("src_ip", &e.src_ip)?,
        client_port: port("src_port", e.src_port)?,
        server_ip: required_ip("dest_ip", &e.dest_ip)?,
        server_port: port("dest_port", e.dest_port)?,
        transport: transport(e),
        query: body
            .rrname
            .clone()
            .or_else(|| first_query.and_then(|q| q.rrname.clone())),
        qtype: body
            .rrtype
            .clone()
            .or_else(|| first_query.and_then(|q| q.rrtype.clone())),
        rcode: body.rcode.clone(),
        answers,
        ttls,
        label: Label::default(),
    })
}

/// Answer data and TTLs from whichever shape the event has. TTLs are kept
/// only when every answer has one, so that they stay parallel to the answers.
fn dns_answers<'a>(body: &DnsBody<'a>) -> (Vec<Cow<'a, str>>, Vec<f64>) {
    if !body.answers.is_empty() {
        let with_data = body.answers.iter().filter(|a| a.rdata.is_some());
        let answers: Vec<_> = with_data.clone().filter_map(|a| a.rdata.clone()).collect();
        let ttls: Vec<f64> = with_data.filter_map(|a| a.ttl).collect();
        let parallel = ttls.len() == answers.len();
        return (answers, if parallel { ttls } else { Vec::new() });
    }
    if let Some(rdata) = &body.rdata {
        return (vec![rdata.clone()], body.ttl.into_iter().collect());
    }
    let grouped = body
        .grouped
        .as_ref()
        .map(|g| g.0.clone())
        .unwrap_or_default();
    (grouped, Vec::new())
}

fn http_row<'a>(number: u64, e: &Event<'a>) -> Result<Http<'a>, String> {
    let body = e
        .http
        .as_ref()
        .ok_or("http event without an `http` object")?;
    Ok(Http {
        line: number,
        ts: event_time(e)?,
        uid: uid(e),
        client_ip: required_ip("src_ip", &e.src_ip)?,
        client_port: port("src_port", e.src_port)?,
        server_ip: required_ip("dest_ip", &e.dest_ip)?,
        server_port: port("dest_port", e.dest_port)?,
        method: body.http_method.clone(),
        host: body.hostname.clone(),
        uri: body.url.clone(),
        status: int("http.status", body.status)?,
        user_agent: body.http_user_agent.clone(),
        referrer: body.http_refer.clone(),
        request_bytes: None,
        response_bytes: count("http.length", body.length)?,
        content_type: body.http_content_type.clone(),
        label: Label::default(),
    })
}

fn tls_row<'a>(number: u64, e: &Event<'a>) -> Result<Tls<'a>, String> {
    let body = e.tls.as_ref().ok_or("tls event without a `tls` object")?;
    let hash = |f: &Option<Fingerprint<'a>>| f.as_ref().and_then(|f| f.clone_hash());
    Ok(Tls {
        line: number,
        ts: event_time(e)?,
        uid: uid(e),
        client_ip: required_ip("src_ip", &e.src_ip)?,
        client_port: port("src_port", e.src_port)?,
        server_ip: required_ip("dest_ip", &e.dest_ip)?,
        server_port: port("dest_port", e.dest_port)?,
        version: body.version.clone(),
        sni: body.sni.clone(),
        ja3: hash(&body.ja3),
        ja3s: hash(&body.ja3s),
        ja4: hash(&body.ja4),
        cert_subject: body.subject.clone(),
        cert_issuer: body.issuerdn.clone(),
        established: None,
        label: Label::default(),
    })
}

impl<'a> Fingerprint<'a> {
    fn clone_hash(&self) -> Option<Cow<'a, str>> {
        match self {
            Fingerprint::Text(t) => Some(t.clone()),
            Fingerprint::Object { hash } => hash.clone(),
        }
    }
}

// ---- Field conversions, each naming its field in the error -----------------

fn event_time(e: &Event<'_>) -> Result<Micros, String> {
    let ts = e.timestamp.as_deref().ok_or("no `timestamp` field")?;
    time("timestamp", ts)
}

fn time(field: &str, text: &str) -> Result<Micros, String> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.timestamp_micros())
        .filter(|m| m.abs() <= MAX_MICROS)
        .ok_or_else(|| {
            format!("{field} `{text}` is not a time like 2021-06-06T15:59:46.457984+0200")
        })
}

fn optional_ip(field: &str, text: &Option<Cow<'_, str>>) -> Result<Option<IpAddr>, String> {
    text.as_deref()
        .map(|t| {
            t.parse()
                .map_err(|_| format!("{field} `{t}` is not an IP address"))
        })
        .transpose()
}

fn required_ip(field: &str, text: &Option<Cow<'_, str>>) -> Result<IpAddr, String> {
    optional_ip(field, text)?.ok_or_else(|| format!("no `{field}` field"))
}

/// An integer field converted to the row's type, out-of-range values named.
fn int<T: TryFrom<i128>>(field: &str, value: Option<Int>) -> Result<Option<T>, String> {
    value
        .map(|Int(v)| T::try_from(v).map_err(|_| format!("{field} {v} is out of range")))
        .transpose()
}

fn port(field: &str, value: Option<Int>) -> Result<Option<u16>, String> {
    int(field, value)
}

fn count(field: &str, value: Option<Int>) -> Result<Option<u64>, String> {
    int(field, value)
}

fn uid<'a>(e: &Event<'a>) -> Option<Cow<'a, str>> {
    e.flow_id.map(|Int(id)| Cow::Owned(id.to_string()))
}

/// Lower-case `proto`; Suricata writes `TCP`, `UDP`, `IPv6-ICMP` or a number.
fn transport<'a>(e: &Event<'a>) -> Option<Cow<'a, str>> {
    let proto = e.proto.as_ref()?;
    if proto.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(proto.to_ascii_lowercase()))
    } else {
        Some(proto.clone())
    }
}

/// `app_proto` as Suricata named it, except `failed`, which says detection
/// gave up, not that a protocol called "failed" was spoken.
fn service<'a>(app_proto: &Option<Cow<'a, str>>) -> Option<Cow<'a, str>> {
    app_proto.clone().filter(|p| p != "failed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::{mutated_lines, sniff_matches_shared_files};
    use crate::sink::VecSink;
    use std::io::Cursor;

    const FLOW: &str = r#"{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":445348883402532,"event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"dest_ip":"192.168.1.129","dest_port":44232,"proto":"UDP","app_proto":"dns","flow":{"pkts_toserver":12,"pkts_toclient":3,"bytes_toserver":4056,"bytes_toclient":100,"start":"2021-06-06T16:38:55.855844+0200","end":"2021-06-06T16:38:56.963027+0200","age":1,"state":"new","reason":"timeout","alerted":false}}"#;

    const PREAMBLE: &[u8] = b"";
    const SEEDS: &[&[u8]] = &[
        FLOW.as_bytes(),
        br#"{"timestamp":"2021-06-06T15:59:46.457984+0200","flow_id":1,"event_type":"alert","src_ip":"78.36.196.213","src_port":51698,"dest_ip":"192.168.1.129","dest_port":445,"proto":"TCP","alert":{"action":"allowed","signature_id":2403388,"signature":"ET CINS","category":"Misc Attack","severity":2}}"#,
        br#"{"timestamp":"2021-06-06T16:15:30.868948+0200","event_type":"dns","src_ip":"192.168.1.129","src_port":39422,"dest_ip":"192.168.1.1","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"answer","rrname":"x.com","rrtype":"A","rcode":"NOERROR","answers":[{"rrtype":"A","ttl":5,"rdata":"1.2.3.4"}],"grouped":{"A":["1.2.3.4"]}}}"#,
        br#"{"timestamp":"2021-06-06T16:54:00.074627+0200","event_type":"tls","src_ip":"192.168.1.129","src_port":60316,"dest_ip":"122.248.252.67","dest_port":55443,"proto":"TCP","tls":{"sni":"a","ja3":{"hash":"b"},"ja4":"c"}}"#,
    ];

    #[test]
    fn mutated_lines_never_panic_and_every_line_is_accounted_for() {
        let lines = mutated_lines(SEEDS, 3000);
        let mut input = PREAMBLE.to_vec();
        for line in &lines {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        let preamble_lines = PREAMBLE.iter().filter(|&&b| b == b'\n').count();
        let sink = read_bytes(&input);
        let accounted = sink.rows() + sink.rejections.len() + sink.skipped as usize;
        assert_eq!(accounted, lines.len() + preamble_lines);
        assert!(sink.rows() > 0 && !sink.rejections.is_empty());
    }

    fn read_bytes(input: &[u8]) -> VecSink {
        read_with(input, &ReadOptions::default())
    }

    fn read_with(input: &[u8], opts: &ReadOptions) -> VecSink {
        let mut sink = VecSink::default();
        read(&mut Cursor::new(input.to_vec()), opts, &mut sink).expect("in-memory read");
        sink
    }

    fn utc(text: &str) -> Micros {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .timestamp_micros()
    }

    #[test]
    fn the_slips_sample_gives_every_event() {
        let path = borderscope_testdata::require_shared!("suricata/eve-slips-6.json");
        let bytes = std::fs::read(&path).expect("shared data file");
        let sink = read_bytes(&bytes);
        // Counted with `grep -c '"event_type":"flow"'` etc. and a Python
        // json.loads pass: 5000 lines, all valid, no blank ones.
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 5000);
        assert_eq!(sink.flows.len(), 3512);
        assert_eq!(sink.alerts.len(), 745);
        assert_eq!(sink.dns.len(), 680);
        assert_eq!(sink.http.len(), 56);
        assert_eq!(sink.tls.len(), 1);
        assert!(sink.rejections.is_empty(), "{:?}", sink.rejections.first());
        assert_eq!(sink.skipped, 6, "3 fileinfo + 3 anomaly");
        assert_eq!(sink.rows() as u64 + sink.skipped, 5000);
        assert_eq!(
            sink.notes,
            vec!["EVE event types with no table, skipped: anomaly 3, fileinfo 3".to_owned()]
        );

        let alert = sink
            .alerts
            .iter()
            .find(|a| a.line == 1)
            .expect("line 1 is an alert");
        assert_eq!(alert.ts, utc("2021-06-06T13:59:46.457984Z"));
        assert_eq!(
            alert.signature,
            "ET CINS Active Threat Intelligence Poor Reputation IP group 89"
        );
        assert_eq!(alert.signature_id, Some(2403388));
        assert_eq!(alert.severity, Some(2));
        assert_eq!(alert.category.as_deref(), Some("Misc Attack"));
        assert_eq!(alert.action.as_deref(), Some("allowed"));
        assert_eq!(alert.uid.as_deref(), Some("1374195536821504"));
        assert_eq!(alert.src_ip, Some("78.36.196.213".parse().unwrap()));
        assert_eq!((alert.src_port, alert.dst_port), (Some(51698), Some(445)));
        assert_eq!(alert.transport.as_deref(), Some("tcp"));

        let tls = &sink.tls[0];
        assert_eq!(tls.sni.as_deref(), Some("www.myedimax.com"));
        assert_eq!(tls.version.as_deref(), Some("TLS 1.1"));
        assert_eq!(tls.ja3.as_deref(), Some("b7202231ff2db28363c109cedc6d1642"));
        assert_eq!(
            tls.ja3s.as_deref(),
            Some("ad90cab724fafab2660fbf61673c91a9")
        );
        assert_eq!(
            tls.cert_issuer.as_deref(),
            Some("C=BE, O=GlobalSign nv-sa, CN=AlphaSSL CA - SHA256 - G2")
        );
        assert_eq!(tls.server_port, Some(55443));

        // v2 answer events: 340 of them, each with its answers array.
        let answered: Vec<_> = sink.dns.iter().filter(|d| d.rcode.is_some()).collect();
        assert_eq!(answered.len(), 340);
        let edimax = answered
            .iter()
            .find(|d| d.query.as_deref() == Some("www.myedimax.com"))
            .expect("the edimax answer");
        assert_eq!(
            edimax.answers,
            vec!["ddns.myedimax.com", "ns.myedimax.com", "122.248.252.67"]
        );
        assert_eq!(edimax.ttls, vec![580.0, 280.0, 580.0]);
        assert_eq!(edimax.qtype.as_deref(), Some("A"));

        let with_status = sink.http.iter().filter(|h| h.status.is_some()).count();
        assert_eq!(with_status, 2);
        assert!(sink
            .flows
            .iter()
            .all(|f| f.transport == "tcp" || f.transport == "udp"));
        assert_eq!(
            sink.flows.iter().filter(|f| f.transport == "tcp").count(),
            2336
        );
    }

    #[test]
    fn a_flow_event_is_decoded() {
        let sink = read_bytes(FLOW.as_bytes());
        assert_eq!(sink.flows.len(), 1, "{:?}", sink.rejections);
        let f = &sink.flows[0];
        assert_eq!(f.ts, utc("2021-06-06T14:38:55.855844Z"));
        assert_eq!(f.duration, Some(1.107183));
        assert_eq!(f.src_ip, "192.168.1.132".parse::<IpAddr>().unwrap());
        assert_eq!((f.src_port, f.dst_port), (Some(1900), Some(44232)));
        assert_eq!(f.transport, "udp");
        assert_eq!(f.service.as_deref(), Some("dns"));
        assert_eq!(
            (f.src_bytes, f.dst_bytes, f.src_pkts, f.dst_pkts),
            (Some(4056), Some(100), Some(12), Some(3))
        );
        assert_eq!(f.state.as_deref(), Some("new"));
        assert_eq!(f.uid.as_deref(), Some("445348883402532"));
    }

    #[test]
    fn dns_v1_and_v3_shapes() {
        let v1_query = r#"{"timestamp":"2017-01-01T00:00:00.000000+0000","event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"type":"query","id":1,"rrname":"example.com","rrtype":"A","tx_id":0}}"#;
        let v1_answer = r#"{"timestamp":"2017-01-01T00:00:00.010000+0000","event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"type":"answer","id":1,"rcode":"NOERROR","rrname":"example.com","rrtype":"A","ttl":300,"rdata":"93.184.216.34"}}"#;
        let v3 = r#"{"timestamp":"2024-01-01T00:00:00.000000+0100","event_type":"dns","src_ip":"fe80::1","src_port":5353,"dest_ip":"fe80::53","dest_port":53,"proto":"UDP","dns":{"version":3,"type":"response","rcode":"NXDOMAIN","queries":[{"rrname":"gone.example","rrtype":"AAAA"}],"grouped":{"SOA":[{"mname":"ns"}],"CNAME":["x.example"]}}}"#;
        let sink = read_bytes(format!("{v1_query}\n{v1_answer}\n{v3}\n").as_bytes());
        assert_eq!(sink.dns.len(), 3, "{:?}", sink.rejections);
        let (q, a, r) = (&sink.dns[0], &sink.dns[1], &sink.dns[2]);
        assert_eq!(
            (q.query.as_deref(), q.qtype.as_deref(), q.rcode.as_deref()),
            (Some("example.com"), Some("A"), None)
        );
        assert!(q.answers.is_empty());
        assert_eq!(a.answers, vec!["93.184.216.34"]);
        assert_eq!(a.ttls, vec![300.0]);
        assert_eq!(
            (r.query.as_deref(), r.qtype.as_deref(), r.rcode.as_deref()),
            (Some("gone.example"), Some("AAAA"), Some("NXDOMAIN"))
        );
        assert_eq!(r.answers, vec!["x.example"]);
        assert_eq!(r.ts, utc("2023-12-31T23:00:00Z"));
        assert_eq!(r.transport.as_deref(), Some("udp"));
    }

    #[test]
    fn http_and_tls_variants() {
        let http = r#"{"timestamp":"2016-01-01T00:00:00Z","flow_id":7,"event_type":"http","src_ip":"10.0.0.1","src_port":1025,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","http":{"hostname":"a.example","url":"/x?y=\"1\"","http_user_agent":"curl/8","http_refer":"http://r/","http_method":"GET","http_content_type":"text/html","status":"200","length":12}}"#;
        let tls = r#"{"timestamp":"2025-01-01T00:00:00+00:00","event_type":"tls","src_ip":"10.0.0.1","src_port":1025,"dest_ip":"10.0.0.2","dest_port":443,"proto":"TCP","tls":{"sni":"b.example","version":"TLS 1.3","ja3":{"hash":"aa"},"ja4":"t13d1516h2_8daaf6152771_b0da82dd1658"}}"#;
        let sink = read_bytes(format!("{http}\n{tls}\n").as_bytes());
        assert_eq!(
            (sink.http.len(), sink.tls.len()),
            (1, 1),
            "{:?}",
            sink.rejections
        );
        let h = &sink.http[0];
        assert_eq!(
            h.uri.as_deref(),
            Some("/x?y=\"1\""),
            "escaped strings are owned copies"
        );
        assert_eq!((h.status, h.response_bytes), (Some(200), Some(12)));
        assert_eq!(
            (h.host.as_deref(), h.referrer.as_deref()),
            (Some("a.example"), Some("http://r/"))
        );
        assert_eq!(
            (h.method.as_deref(), h.content_type.as_deref()),
            (Some("GET"), Some("text/html"))
        );
        assert_eq!(h.uid.as_deref(), Some("7"));
        let t = &sink.tls[0];
        assert_eq!((t.ja3.as_deref(), t.ja3s.as_deref()), (Some("aa"), None));
        assert_eq!(
            t.ja4.as_deref(),
            Some("t13d1516h2_8daaf6152771_b0da82dd1658")
        );
    }

    #[test]
    fn strings_borrow_from_the_line_unless_escaped() {
        let line =
            r#"{"event_type":"alert","alert":{"signature":"plain","category":"with \"quote\""}}"#;
        let event: Event = serde_json::from_str(line).expect("valid");
        let alert = event.alert.expect("alert body");
        assert!(matches!(alert.signature, Some(Cow::Borrowed("plain"))));
        assert!(matches!(alert.category, Some(Cow::Owned(_))));
    }

    #[test]
    fn malformed_lines_are_rejected_and_neighbours_kept() {
        let bad: [&[u8]; 10] = [
            br#"{"timestamp":"2021-06-06T15:57:37+0200","event_type":"flow","src_ip":"300.1.1.1","dest_ip":"10.0.0.1","proto":"TCP","flow":{}}"#,
            br#"{"timestamp":"yesterday","event_type":"alert","alert":{"signature":"s"}}"#,
            br#"{"timestamp":"2021-06-06T15:57:37+0200","event_type":"flow","src_ip":"10.0.0.1","src_port":70000,"dest_ip":"10.0.0.1","proto":"TCP","flow":{}}"#,
            br#"{"timestamp":"2021-06-06T15:57:37+0200","event_type":"http","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","http":{"hostname":5}}"#,
            br#"{"timestamp":"2021-06-06T15:57:37+0200","src_ip":"10.0.0.1"}"#,
            br#"{"timestamp":"2021-06-06T15:57:37+0200","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.1","proto":"TCP","flow":{"bytes_toserver":1e30}}"#,
            b"\x00\x01\x02\xff garbage {",
            b"{\"event_type\":\"alert\",\"timestamp\":\"2021-06-06T15:57:37+0200\",\"src_ip\":\"10.0.0.\xff\",\"alert\":{\"signature\":\"s\"}}",
            br#"[1,2,3]"#,
            br#"{"event_type":"flow","src_ip":"#,
        ];
        let mut input = format!("{FLOW}\n").into_bytes();
        for line in bad {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        input.extend_from_slice(b"   \n");
        input.extend_from_slice(FLOW.as_bytes());
        let sink = read_bytes(&input);
        assert_eq!(sink.flows.len(), 2);
        assert_eq!((sink.flows[0].line, sink.flows[1].line), (1, 13));
        assert_eq!(sink.skipped, 1, "the blank line");
        let reasons: Vec<&str> = sink.rejections.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            sink.rejections.iter().map(|r| r.line).collect::<Vec<_>>(),
            (2..=11).collect::<Vec<_>>()
        );
        assert_eq!(reasons[0], "src_ip `300.1.1.1` is not an IP address");
        assert!(
            reasons[1].starts_with("timestamp `yesterday`"),
            "{reasons:?}"
        );
        assert_eq!(reasons[2], "src_port 70000 is out of range");
        assert!(
            reasons[3].starts_with("field `hostname`: invalid type: integer `5`"),
            "{reasons:?}"
        );
        assert_eq!(reasons[4], "no `event_type` field");
        assert!(
            reasons[5].starts_with("field `bytes_toserver`: invalid type: floating point"),
            "{reasons:?}"
        );
        assert!(reasons[6].starts_with("not a JSON object"), "{reasons:?}");
        assert_eq!(reasons[7], "src_ip `10.0.0.\u{fffd}` is not an IP address");
        assert!(reasons[8].starts_with("not a JSON object"), "{reasons:?}");
        assert!(
            reasons[9].starts_with("not valid JSON: EOF while parsing"),
            "{reasons:?}"
        );
    }

    #[test]
    fn an_overlong_line_is_rejected_with_its_length() {
        let long = format!(
            "{{\"event_type\":\"flow\",\"pad\":\"{}\"}}",
            "x".repeat(5000)
        );
        let input = format!("{FLOW}\n{long}\n{FLOW}\n");
        let opts = ReadOptions {
            max_line: 1000,
            ..ReadOptions::default()
        };
        let sink = read_with(input.as_bytes(), &opts);
        assert_eq!(sink.flows.len(), 2);
        assert_eq!(sink.rejections.len(), 1);
        assert_eq!(sink.rejections[0].line, 2);
        assert!(sink.rejections[0]
            .reason
            .contains(&format!("{} bytes", long.len())));
    }

    #[test]
    fn sniff_accepts_eve_only() {
        assert!(sniff(format!("\n{FLOW}\n{FLOW}").as_bytes()));
        assert!(sniff(
            br#"{"timestamp":"2021-06-06T15:59:46.457984+0200","event_type":"alert"}"#
        ));
        assert!(!sniff(
            b"#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\n"
        ));
        assert!(!sniff(br#"{"ts":1.0,"uid":"C1","id.orig_h":"1.2.3.4"}"#));
        assert!(!sniff(b"StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label\n"));
        assert!(!sniff(
            br#"1.2.3.4 - - [22/Dec/2016:16:30:52 +0300] "GET / HTTP/1.1" 200 5 "-" "curl""#
        ));
        assert!(!sniff(b"\x00\x01\x02\xff\xd4\xc3\xb2\xa1"));
        assert!(!sniff(br#"{"event_type":5}"#));
        assert!(!sniff(b""));
        // A first line longer than the sniffed bytes is judged by how it opens.
        let mut cut =
            br#"{"timestamp":"2021-06-06T15:59:46+0200","event_type":"stats","stats":{"x":""#
                .to_vec();
        cut.resize(SNIFF_LEN, b'a');
        assert!(sniff(&cut));
    }

    const SNIFF_LEN: usize = super::super::SNIFF_BYTES;

    #[test]
    fn sniff_claims_exactly_the_eve_sample() {
        sniff_matches_shared_files(sniff, |p| p.starts_with("suricata"));
    }
}
