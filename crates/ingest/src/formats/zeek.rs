//! Zeek logs, TSV and JSON: `conn` → flows, `dns` → dns, `http` → http,
//! `ssl` → tls, including the Stratosphere/CTU `*.labeled` variants whose extra
//! `label` and `detailedlabel` columns carry ground truth.
//!
//! TSV columns are located by the names in `#fields`, so any column order and
//! any extra columns (from Zeek packages) are read without misalignment. The
//! header may appear again mid-file (concatenated or rotated logs); each new
//! `#fields` line starts a new layout. Other log types (`weird`, `x509`, ...)
//! have no table and are skipped with a note.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead};
use std::net::IpAddr;

use borderscope_schema::{micros_from_secs, Dns, Flow, Http, Label, Micros, Rejection, Tls};
use serde::Deserialize;

use crate::formats::ReadOptions;
use crate::lines::LineReader;
use crate::sink::Sink;

/// A TSV Zeek log starts with its `#separator` line.
pub fn sniff_tsv(head: &[u8]) -> bool {
    head.starts_with(b"#separator ")
}

/// A JSON Zeek log is one object per line with a `ts` and Zeek's dotted
/// connection-id names, and without Suricata's `event_type`.
pub fn sniff_json(head: &[u8]) -> bool {
    let Some(first) = head
        .split(|b| *b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty())
    else {
        return false;
    };
    let Ok(map) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(first)
    else {
        // The first line may be cut by the sniff window; look at its start.
        return first.starts_with(b"{\"ts\":") && !contains(first, b"\"event_type\"");
    };
    map.contains_key("ts") && !map.contains_key("event_type")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// The Zeek log types borderscope stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogKind {
    Conn,
    Dns,
    Http,
    Ssl,
}

impl LogKind {
    fn from_path(path: &str) -> Option<Self> {
        match path {
            "conn" => Some(LogKind::Conn),
            "dns" => Some(LogKind::Dns),
            "http" => Some(LogKind::Http),
            "ssl" => Some(LogKind::Ssl),
            _ => None,
        }
    }

    /// Zeek names its files after the log path: `conn.log`, `conn.09:00:00-10:00:00.log.gz`,
    /// Stratosphere adds `conn.log.labeled` and `labeled-conn.log`.
    fn from_file_name(name: &str) -> Option<Self> {
        let stem = name.strip_prefix("labeled-").unwrap_or(name);
        let path = stem.split('.').next().unwrap_or(stem);
        Self::from_path(path)
    }

    /// Recognises a log from the fields it has, for JSON logs whose file name
    /// says nothing.
    fn from_fields(has: impl Fn(&str) -> bool) -> Option<Self> {
        if has("conn_state") || (has("proto") && has("orig_bytes")) {
            Some(LogKind::Conn)
        } else if has("query") && (has("qtype") || has("qtype_name") || has("rcode")) {
            Some(LogKind::Dns)
        } else if has("method") && has("uri") {
            Some(LogKind::Http)
        } else if has("server_name") || (has("cipher") && has("version")) {
            Some(LogKind::Ssl)
        } else {
            None
        }
    }
}

pub fn read(input: &mut dyn BufRead, opts: &ReadOptions, sink: &mut dyn Sink) -> io::Result<()> {
    let mut lines = LineReader::with_max_len(input, opts.max_line);
    let mut tsv = TsvState::default();
    let mut json_kind: Option<Option<LogKind>> = None;
    let mut skipped_types: BTreeMap<String, u64> = BTreeMap::new();
    while let Some(line) = lines.next_line()? {
        let n = line.number;
        if let Some(r) = line.overlong_rejection() {
            sink.reject(r);
            continue;
        }
        let bytes = line.bytes;
        if bytes.trim_ascii().is_empty() {
            sink.skip(1);
        } else if bytes[0] == b'#' {
            tsv.header_line(bytes);
            sink.skip(1);
        } else if bytes[0] == b'{' && tsv.layout.is_none() {
            let kind = *json_kind.get_or_insert_with(|| json_log_kind(bytes, opts));
            match kind {
                Some(kind) => read_json_line(kind, n, bytes, sink),
                None => {
                    *skipped_types
                        .entry("unrecognised JSON log".into())
                        .or_default() += 1;
                    sink.skip(1);
                }
            }
        } else {
            match &tsv.layout {
                Some(layout) => match layout.kind {
                    Some(kind) => read_tsv_line(kind, layout, &tsv, n, bytes, sink),
                    None => {
                        *skipped_types.entry(layout.path.clone()).or_default() += 1;
                        sink.skip(1);
                    }
                },
                None => sink.reject(Rejection::at_line(
                    n,
                    "data line before any #fields header",
                    bytes,
                )),
            }
        }
    }
    for (path, count) in skipped_types {
        sink.note(format!(
            "Zeek log type `{path}` has no table in the store; {count} rows skipped"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- TSV

/// Header values of the TSV log being read.
struct TsvState {
    separator: Vec<u8>,
    set_separator: Vec<u8>,
    empty_field: Vec<u8>,
    unset_field: Vec<u8>,
    path: Option<String>,
    layout: Option<Layout>,
}

impl Default for TsvState {
    fn default() -> Self {
        TsvState {
            separator: b"\t".to_vec(),
            set_separator: b",".to_vec(),
            empty_field: b"(empty)".to_vec(),
            unset_field: b"-".to_vec(),
            path: None,
            layout: None,
        }
    }
}

/// The Zeek fields the TSV readers use. Each row reaches its fields by
/// position in this list, resolved once per `#fields` header: looking names
/// up for every field of every row was the largest cost of ingest.
macro_rules! zeek_fields {
    ($($id:ident = $name:literal,)*) => {
        #[derive(Clone, Copy)]
        enum F { $($id),* }
        const FIELD_NAMES: &[&str] = &[$($name),*];
    };
}

zeek_fields! {
    Ts = "ts",
    Label = "label",
    Detailedlabel = "detailedlabel",
    DetailedLabelDash = "detailed-label",
    DetailedLabel = "detailed_label",
    IdOrigH = "id.orig_h",
    IdOrigP = "id.orig_p",
    IdRespH = "id.resp_h",
    IdRespP = "id.resp_p",
    Duration = "duration",
    Proto = "proto",
    Service = "service",
    OrigIpBytes = "orig_ip_bytes",
    OrigBytes = "orig_bytes",
    RespIpBytes = "resp_ip_bytes",
    RespBytes = "resp_bytes",
    OrigPkts = "orig_pkts",
    RespPkts = "resp_pkts",
    ConnState = "conn_state",
    History = "history",
    Uid = "uid",
    Ttls = "TTLs",
    Query = "query",
    QtypeName = "qtype_name",
    Qtype = "qtype",
    RcodeName = "rcode_name",
    Rcode = "rcode",
    Answers = "answers",
    Method = "method",
    Host = "host",
    Uri = "uri",
    StatusCode = "status_code",
    UserAgent = "user_agent",
    Referrer = "referrer",
    RequestBodyLen = "request_body_len",
    ResponseBodyLen = "response_body_len",
    RespMimeTypes = "resp_mime_types",
    Version = "version",
    ServerName = "server_name",
    Ja3 = "ja3",
    Ja3s = "ja3s",
    Ja4 = "ja4",
    Subject = "subject",
    Issuer = "issuer",
    Established = "established",
}

impl F {
    fn name(self) -> &'static str {
        FIELD_NAMES[self as usize]
    }
}

/// Where each column the store needs sits in the current `#fields` layout.
struct Layout {
    kind: Option<LogKind>,
    path: String,
    width: usize,
    /// Some Stratosphere files pack `tunnel_parents   label   detailed-label`
    /// into the last TSV column, separated by three spaces.
    spaced_tail: bool,
    /// Position of each of `F`'s fields in a row, when the log has it.
    at: Vec<Option<usize>>,
}

impl Layout {
    fn col(&self, field: F) -> Option<usize> {
        self.at[field as usize]
    }
}

impl TsvState {
    fn header_line(&mut self, line: &[u8]) {
        if let Some(v) = line.strip_prefix(b"#separator ") {
            self.separator = unescape_hex(v);
            return;
        }
        let mut parts = split(line, &self.separator);
        let Some(key) = parts.next() else { return };
        let value: Vec<&[u8]> = parts.collect();
        let first = value.first().map(|v| v.to_vec()).unwrap_or_default();
        match key {
            b"#set_separator" => self.set_separator = unescape_hex(&first),
            b"#empty_field" => self.empty_field = first,
            b"#unset_field" => self.unset_field = first,
            b"#path" => self.path = Some(String::from_utf8_lossy(&first).into_owned()),
            b"#fields" => self.layout = Some(self.layout_for(&value)),
            _ => {}
        }
    }

    fn layout_for(&self, names: &[&[u8]]) -> Layout {
        let spaced_tail = names.last().is_some_and(|n| contains(n, b"   "));
        let mut cols = HashMap::new();
        let mut width = 0;
        for name in names {
            for part in split_spaced(name, spaced_tail) {
                cols.insert(String::from_utf8_lossy(part).into_owned(), width);
                width += 1;
            }
        }
        // `#path` decides when present: a `sip` log has `method` and `uri`
        // too, and must not be taken for `http`.
        let kind = match &self.path {
            Some(p) => LogKind::from_path(p),
            None => LogKind::from_fields(|f| cols.contains_key(f)),
        };
        let path = self.path.clone().unwrap_or_else(|| "unknown".into());
        let at = FIELD_NAMES.iter().map(|n| cols.get(*n).copied()).collect();
        Layout {
            kind,
            path,
            width,
            spaced_tail,
            at,
        }
    }
}

fn split<'a>(line: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let r = rest?;
        if sep.is_empty() {
            rest = None;
            return Some(r);
        }
        // Zeek's separator is one byte (a tab) in practice; memmem would
        // build a searcher for every field.
        let found = match sep {
            [b] => memchr::memchr(*b, r),
            _ => memchr::memmem::find(r, sep),
        };
        match found {
            Some(i) => {
                rest = Some(&r[i + sep.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn split_spaced(field: &[u8], spaced: bool) -> impl Iterator<Item = &[u8]> {
    // An empty separator yields the field whole, without allocating.
    let sep: &'static [u8] = if spaced && contains(field, b"   ") {
        b"   "
    } else {
        b""
    };
    split(field, sep)
}

/// Zeek writes non-printable bytes (and the separator inside values) as `\xHH`.
fn unescape_hex(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\\' && v.get(i + 1) == Some(&b'x') && i + 3 < v.len() {
            if let Some(b) = hex_byte(v[i + 2], v[i + 3]) {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    let d = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    Some(d(hi)? << 4 | d(lo)?)
}

/// One TSV data line split into its fields, with the header's conventions.
struct TsvRow<'a> {
    fields: Vec<&'a [u8]>,
    state: &'a TsvState,
    layout: &'a Layout,
}

/// Why a field could not be read; becomes the rejection reason.
type FieldResult<T> = Result<T, String>;

impl<'a> TsvRow<'a> {
    fn raw(&self, field: F) -> Option<&'a [u8]> {
        let v = *self.fields.get(self.layout.col(field)?)?;
        (v != self.state.unset_field.as_slice() && v != self.state.empty_field.as_slice())
            .then_some(v)
    }

    fn str(&self, field: F) -> Option<Cow<'a, str>> {
        let v = self.raw(field)?;
        Some(if v.contains(&b'\\') {
            Cow::Owned(String::from_utf8_lossy(&unescape_hex(v)).into_owned())
        } else {
            String::from_utf8_lossy(v)
        })
    }

    fn list(&self, field: F) -> Vec<Cow<'a, str>> {
        match self.raw(field) {
            None => Vec::new(),
            Some(v) => split(v, &self.state.set_separator)
                .map(String::from_utf8_lossy)
                .collect(),
        }
    }

    fn parsed<T: std::str::FromStr>(&self, field: F) -> FieldResult<Option<T>> {
        match self.raw(field) {
            None => Ok(None),
            Some(v) => std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "{}: cannot read {:?}",
                        field.name(),
                        String::from_utf8_lossy(v)
                    )
                }),
        }
    }

    fn required<T: std::str::FromStr>(&self, field: F) -> FieldResult<T> {
        self.parsed(field)?
            .ok_or_else(|| format!("{}: missing", field.name()))
    }

    fn ts(&self) -> FieldResult<Micros> {
        let secs: f64 = self.required(F::Ts)?;
        micros_from_secs(secs).ok_or_else(|| format!("ts: {secs} is not a time"))
    }

    fn bool(&self, field: F) -> Option<bool> {
        match self.raw(field)? {
            b"T" => Some(true),
            b"F" => Some(false),
            _ => None,
        }
    }

    fn label(&self) -> Label<'a> {
        Label {
            label: self.str(F::Label),
            detail: self
                .str(F::Detailedlabel)
                .or_else(|| self.str(F::DetailedLabelDash))
                .or_else(|| self.str(F::DetailedLabel)),
        }
    }

    fn conn_id(&self) -> FieldResult<ConnId> {
        Ok(ConnId {
            orig_h: self.required(F::IdOrigH)?,
            orig_p: self.parsed(F::IdOrigP)?,
            resp_h: self.required(F::IdRespH)?,
            resp_p: self.parsed(F::IdRespP)?,
        })
    }
}

struct ConnId {
    orig_h: IpAddr,
    orig_p: Option<u16>,
    resp_h: IpAddr,
    resp_p: Option<u16>,
}

fn read_tsv_line(
    kind: LogKind,
    layout: &Layout,
    state: &TsvState,
    n: u64,
    bytes: &[u8],
    sink: &mut dyn Sink,
) {
    let mut fields: Vec<&[u8]> = Vec::with_capacity(layout.width);
    for f in split(bytes, &state.separator) {
        fields.extend(split_spaced(f, layout.spaced_tail));
    }
    if fields.len() != layout.width {
        sink.reject(Rejection::at_line(
            n,
            format!(
                "expected {} fields as #fields says, found {}",
                layout.width,
                fields.len()
            ),
            bytes,
        ));
        return;
    }
    let row = TsvRow {
        fields,
        state,
        layout,
    };
    let result = match kind {
        LogKind::Conn => tsv_conn(&row, n).map(|r| sink.flow(&r)),
        LogKind::Dns => tsv_dns(&row, n).map(|r| sink.dns(&r)),
        LogKind::Http => tsv_http(&row, n).map(|r| sink.http(&r)),
        LogKind::Ssl => tsv_ssl(&row, n).map(|r| sink.tls(&r)),
    };
    if let Err(reason) = result {
        sink.reject(Rejection::at_line(n, reason, bytes));
    }
}

fn tsv_conn<'a>(r: &TsvRow<'a>, line: u64) -> FieldResult<Flow<'a>> {
    let id = r.conn_id()?;
    Ok(Flow {
        line,
        ts: r.ts()?,
        duration: r.parsed(F::Duration)?,
        src_ip: id.orig_h,
        src_port: id.orig_p,
        dst_ip: id.resp_h,
        dst_port: id.resp_p,
        transport: r.str(F::Proto).unwrap_or(Cow::Borrowed("unknown")),
        service: r.str(F::Service),
        // IP-level byte counts, as NetFlow and Argus count them, so sizes
        // compare across sources; payload bytes only when those are absent.
        src_bytes: r.parsed(F::OrigIpBytes)?.or(r.parsed(F::OrigBytes)?),
        dst_bytes: r.parsed(F::RespIpBytes)?.or(r.parsed(F::RespBytes)?),
        src_pkts: r.parsed(F::OrigPkts)?,
        dst_pkts: r.parsed(F::RespPkts)?,
        state: r.str(F::ConnState),
        history: r.str(F::History),
        uid: r.str(F::Uid),
        sampling_rate: 1,
        sensor: None,
        label: r.label(),
    })
}

fn tsv_dns<'a>(r: &TsvRow<'a>, line: u64) -> FieldResult<Dns<'a>> {
    let id = r.conn_id()?;
    let ttls = r
        .list(F::Ttls)
        .iter()
        .filter_map(|t| t.parse::<f64>().ok())
        .collect();
    Ok(Dns {
        line,
        ts: r.ts()?,
        uid: r.str(F::Uid),
        client_ip: id.orig_h,
        client_port: id.orig_p,
        server_ip: id.resp_h,
        server_port: id.resp_p,
        transport: r.str(F::Proto),
        query: r.str(F::Query),
        qtype: r.str(F::QtypeName).or_else(|| r.str(F::Qtype)),
        rcode: r.str(F::RcodeName).or_else(|| r.str(F::Rcode)),
        answers: r.list(F::Answers),
        ttls,
        label: r.label(),
    })
}

fn tsv_http<'a>(r: &TsvRow<'a>, line: u64) -> FieldResult<Http<'a>> {
    let id = r.conn_id()?;
    Ok(Http {
        line,
        ts: r.ts()?,
        uid: r.str(F::Uid),
        client_ip: id.orig_h,
        client_port: id.orig_p,
        server_ip: id.resp_h,
        server_port: id.resp_p,
        method: r.str(F::Method),
        host: r.str(F::Host),
        uri: r.str(F::Uri),
        status: r.parsed(F::StatusCode)?,
        user_agent: r.str(F::UserAgent),
        referrer: r.str(F::Referrer),
        request_bytes: r.parsed(F::RequestBodyLen)?,
        response_bytes: r.parsed(F::ResponseBodyLen)?,
        content_type: r.list(F::RespMimeTypes).into_iter().next(),
        label: r.label(),
    })
}

fn tsv_ssl<'a>(r: &TsvRow<'a>, line: u64) -> FieldResult<Tls<'a>> {
    let id = r.conn_id()?;
    Ok(Tls {
        line,
        ts: r.ts()?,
        uid: r.str(F::Uid),
        client_ip: id.orig_h,
        client_port: id.orig_p,
        server_ip: id.resp_h,
        server_port: id.resp_p,
        version: r.str(F::Version),
        sni: r.str(F::ServerName),
        ja3: r.str(F::Ja3),
        ja3s: r.str(F::Ja3s),
        ja4: r.str(F::Ja4),
        cert_subject: r.str(F::Subject),
        cert_issuer: r.str(F::Issuer),
        established: r.bool(F::Established),
        label: r.label(),
    })
}

// ---------------------------------------------------------------- JSON

fn json_log_kind(first: &[u8], opts: &ReadOptions) -> Option<LogKind> {
    LogKind::from_file_name(&opts.file_name).or_else(|| {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(first).ok()?;
        LogKind::from_fields(|f| map.contains_key(f))
    })
}

/// Zeek writes `ts` as epoch seconds by default and as ISO 8601 text with
/// `LogAscii::json_timestamps = JSON::TS_ISO8601`.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonTime<'a> {
    Secs(f64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

impl JsonTime<'_> {
    fn micros(&self) -> FieldResult<Micros> {
        match self {
            JsonTime::Secs(s) => {
                micros_from_secs(*s).ok_or_else(|| format!("ts: {s} is not a time"))
            }
            JsonTime::Text(t) => chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp_micros())
                .map_err(|e| format!("ts: {t:?}: {e}")),
        }
    }
}

/// Values Zeek JSON may give as number or string (ports in some exporters,
/// `qtype` as a number while `qtype_name` is text).
#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrText<'a> {
    Num(serde_json::Number),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

impl<'a> NumOrText<'a> {
    fn text(self) -> Cow<'a, str> {
        match self {
            NumOrText::Num(n) => Cow::Owned(n.to_string()),
            NumOrText::Text(t) => t,
        }
    }
}

#[derive(Deserialize)]
struct JsonCommon<'a> {
    ts: JsonTime<'a>,
    #[serde(borrow)]
    uid: Option<Cow<'a, str>>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.orig_p")]
    orig_p: Option<u16>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.resp_p")]
    resp_p: Option<u16>,
    #[serde(borrow)]
    label: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "detailed-label", alias = "detailed_label")]
    detailedlabel: Option<Cow<'a, str>>,
}

impl<'a> JsonCommon<'a> {
    fn conn_id(&self) -> FieldResult<ConnId> {
        let ip = |name: &str, v: &Option<Cow<'a, str>>| -> FieldResult<IpAddr> {
            let v = v.as_deref().ok_or_else(|| format!("{name}: missing"))?;
            v.parse()
                .map_err(|_| format!("{name}: not an IP address: {v:?}"))
        };
        Ok(ConnId {
            orig_h: ip("id.orig_h", &self.orig_h)?,
            orig_p: self.orig_p,
            resp_h: ip("id.resp_h", &self.resp_h)?,
            resp_p: self.resp_p,
        })
    }

    fn take_label(&mut self) -> Label<'a> {
        let keep =
            |v: Option<Cow<'a, str>>| v.filter(|s| !s.is_empty() && s != "(empty)" && s != "-");
        Label {
            label: keep(self.label.take()),
            detail: keep(self.detailedlabel.take()),
        }
    }
}

#[derive(Deserialize)]
struct JsonConn<'a> {
    #[serde(flatten, borrow)]
    common: JsonCommon<'a>,
    #[serde(borrow)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service: Option<Cow<'a, str>>,
    duration: Option<f64>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    orig_ip_bytes: Option<u64>,
    resp_ip_bytes: Option<u64>,
    orig_pkts: Option<u64>,
    resp_pkts: Option<u64>,
    #[serde(borrow)]
    conn_state: Option<Cow<'a, str>>,
    #[serde(borrow)]
    history: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct JsonDns<'a> {
    #[serde(flatten, borrow)]
    common: JsonCommon<'a>,
    #[serde(borrow)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    query: Option<Cow<'a, str>>,
    #[serde(borrow)]
    qtype_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    qtype: Option<NumOrText<'a>>,
    #[serde(borrow)]
    rcode_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rcode: Option<NumOrText<'a>>,
    #[serde(borrow, default)]
    answers: Vec<Cow<'a, str>>,
    #[serde(rename = "TTLs", default)]
    ttls: Vec<f64>,
}

#[derive(Deserialize)]
struct JsonHttp<'a> {
    #[serde(flatten, borrow)]
    common: JsonCommon<'a>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    host: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uri: Option<Cow<'a, str>>,
    status_code: Option<u16>,
    #[serde(borrow)]
    user_agent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    referrer: Option<Cow<'a, str>>,
    request_body_len: Option<u64>,
    response_body_len: Option<u64>,
    #[serde(borrow, default)]
    resp_mime_types: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct JsonSsl<'a> {
    #[serde(flatten, borrow)]
    common: JsonCommon<'a>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    server_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ja3: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ja3s: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ja4: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subject: Option<Cow<'a, str>>,
    #[serde(borrow)]
    issuer: Option<Cow<'a, str>>,
    established: Option<bool>,
}

fn read_json_line(kind: LogKind, n: u64, bytes: &[u8], sink: &mut dyn Sink) {
    let result = match kind {
        LogKind::Conn => parse(bytes)
            .and_then(|r| json_conn(r, n))
            .map(|r| sink.flow(&r)),
        LogKind::Dns => parse(bytes)
            .and_then(|r| json_dns(r, n))
            .map(|r| sink.dns(&r)),
        LogKind::Http => parse(bytes)
            .and_then(|r| json_http(r, n))
            .map(|r| sink.http(&r)),
        LogKind::Ssl => parse(bytes)
            .and_then(|r| json_ssl(r, n))
            .map(|r| sink.tls(&r)),
    };
    if let Err(reason) = result {
        sink.reject(Rejection::at_line(n, reason, bytes));
    }
}

fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> FieldResult<T> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a Zeek JSON record: {e}"))
}

fn json_conn(mut r: JsonConn<'_>, line: u64) -> FieldResult<Flow<'_>> {
    let id = r.common.conn_id()?;
    Ok(Flow {
        line,
        ts: r.common.ts.micros()?,
        duration: r.duration,
        src_ip: id.orig_h,
        src_port: id.orig_p,
        dst_ip: id.resp_h,
        dst_port: id.resp_p,
        transport: r.proto.take().unwrap_or(Cow::Borrowed("unknown")),
        service: r.service.take(),
        src_bytes: r.orig_ip_bytes.or(r.orig_bytes),
        dst_bytes: r.resp_ip_bytes.or(r.resp_bytes),
        src_pkts: r.orig_pkts,
        dst_pkts: r.resp_pkts,
        state: r.conn_state.take(),
        history: r.history.take(),
        uid: r.common.uid.take(),
        sampling_rate: 1,
        sensor: None,
        label: r.common.take_label(),
    })
}

fn json_dns(mut r: JsonDns<'_>, line: u64) -> FieldResult<Dns<'_>> {
    let id = r.common.conn_id()?;
    Ok(Dns {
        line,
        ts: r.common.ts.micros()?,
        uid: r.common.uid.take(),
        client_ip: id.orig_h,
        client_port: id.orig_p,
        server_ip: id.resp_h,
        server_port: id.resp_p,
        transport: r.proto.take(),
        query: r.query.take(),
        qtype: r
            .qtype_name
            .take()
            .or_else(|| r.qtype.take().map(NumOrText::text)),
        rcode: r
            .rcode_name
            .take()
            .or_else(|| r.rcode.take().map(NumOrText::text)),
        answers: std::mem::take(&mut r.answers),
        ttls: std::mem::take(&mut r.ttls),
        label: r.common.take_label(),
    })
}

fn json_http(mut r: JsonHttp<'_>, line: u64) -> FieldResult<Http<'_>> {
    let id = r.common.conn_id()?;
    Ok(Http {
        line,
        ts: r.common.ts.micros()?,
        uid: r.common.uid.take(),
        client_ip: id.orig_h,
        client_port: id.orig_p,
        server_ip: id.resp_h,
        server_port: id.resp_p,
        method: r.method.take(),
        host: r.host.take(),
        uri: r.uri.take(),
        status: r.status_code,
        user_agent: r.user_agent.take(),
        referrer: r.referrer.take(),
        request_bytes: r.request_body_len,
        response_bytes: r.response_body_len,
        content_type: std::mem::take(&mut r.resp_mime_types).into_iter().next(),
        label: r.common.take_label(),
    })
}

fn json_ssl(mut r: JsonSsl<'_>, line: u64) -> FieldResult<Tls<'_>> {
    let id = r.common.conn_id()?;
    Ok(Tls {
        line,
        ts: r.common.ts.micros()?,
        uid: r.common.uid.take(),
        client_ip: id.orig_h,
        client_port: id.orig_p,
        server_ip: id.resp_h,
        server_port: id.resp_p,
        version: r.version.take(),
        sni: r.server_name.take(),
        ja3: r.ja3.take(),
        ja3s: r.ja3s.take(),
        ja4: r.ja4.take(),
        cert_subject: r.subject.take(),
        cert_issuer: r.issuer.take(),
        established: r.established,
        label: r.common.take_label(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input;
    use crate::sink::VecSink;
    use borderscope_testdata::require_shared;
    use std::io::Cursor;
    use std::path::Path;

    fn read_bytes(bytes: &[u8], file_name: &str) -> VecSink {
        let mut sink = VecSink::default();
        let opts = ReadOptions {
            file_name: file_name.into(),
            ..ReadOptions::default()
        };
        read(&mut Cursor::new(bytes.to_vec()), &opts, &mut sink).unwrap();
        sink
    }

    fn read_file(path: &Path) -> VecSink {
        let (mut r, _) = input::open(path).unwrap();
        let mut sink = VecSink::default();
        let opts = ReadOptions {
            file_name: path.file_name().unwrap().to_string_lossy().into(),
            ..ReadOptions::default()
        };
        read(&mut r, &opts, &mut sink).unwrap();
        sink
    }

    /// Data lines (not `#` headers, not blank) in a TSV file, counted independently.
    fn data_lines(path: &Path) -> usize {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count()
    }

    const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n";

    #[test]
    fn sniffs_tsv_and_json_but_not_eve() {
        assert!(sniff_tsv(HEADER.as_bytes()));
        assert!(sniff_json(
            br#"{"ts":1.5,"uid":"C1","id.orig_h":"10.0.0.1"}"#
        ));
        assert!(!sniff_json(br#"{"timestamp":"x","event_type":"flow"}"#));
        assert!(!sniff_tsv(b"StartTime,Dur,Proto"));
        assert!(!sniff_json(b"\x00\x01garbage"));
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_and_extra_columns_ignored() {
        let text = format!(
            "{HEADER}#fields\tid.resp_h\tmy_extra\tts\tid.orig_h\tproto\tid.resp_p\tid.orig_p\n\
             #types\taddr\tstring\ttime\taddr\tenum\tport\tport\n\
             8.8.8.8\tfoo\t1600000000.5\t10.0.0.1\tudp\t53\t5353\n"
        );
        let s = read_bytes(text.as_bytes(), "x.log");
        assert_eq!(s.flows.len(), 1);
        let f = &s.flows[0];
        assert_eq!(f.src_ip.to_string(), "10.0.0.1");
        assert_eq!(f.dst_ip.to_string(), "8.8.8.8");
        assert_eq!((f.src_port, f.dst_port), (Some(5353), Some(53)));
        assert_eq!(f.ts, 1_600_000_000_500_000);
        assert_eq!(f.transport, "udp");
    }

    #[test]
    fn honours_declared_separators_and_unset_markers() {
        let text = "#separator |\n#set_separator|;\n#empty_field|EMPTY\n#unset_field|NONE\n#path|dns\n\
                    #fields|ts|id.orig_h|id.orig_p|id.resp_h|id.resp_p|query|qtype_name|answers|TTLs\n\
                    1.0|10.0.0.1|1|10.0.0.2|53|example.com|A|1.2.3.4;5.6.7.8|60.0;60.0\n\
                    2.0|10.0.0.1|1|10.0.0.2|53|NONE|NONE|EMPTY|NONE\n";
        let s = read_bytes(text.as_bytes(), "whatever");
        assert_eq!(s.dns.len(), 2, "{:?}", s.rejections);
        assert_eq!(s.dns[0].answers, vec!["1.2.3.4", "5.6.7.8"]);
        assert_eq!(s.dns[0].ttls, vec![60.0, 60.0]);
        assert_eq!(s.dns[1].query, None);
        assert!(s.dns[1].answers.is_empty());
    }

    #[test]
    fn bad_rows_are_rejected_with_reasons_and_neighbours_kept() {
        let text = format!(
            "{HEADER}#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n\
             1.0\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\n\
             2.0\tnot-an-ip\t1\t10.0.0.2\t80\ttcp\n\
             3.0\t10.0.0.1\t1\n\
             yesterday\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\n\
             \u{1}\u{2}\u{3}\u{ff}garbage\n\
             5.0\t10.0.0.1\t99999\t10.0.0.2\t80\ttcp\n\
             6.0\t10.0.0.3\t1\t10.0.0.2\t80\ttcp\n"
        );
        let s = read_bytes(text.as_bytes(), "conn.log");
        assert_eq!(s.flows.len(), 2);
        assert_eq!(s.flows[1].src_ip.to_string(), "10.0.0.3");
        let reasons: Vec<(u64, &str)> = s
            .rejections
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 5, "{reasons:?}");
        assert!(reasons[0].1.contains("id.orig_h"), "{reasons:?}");
        assert!(reasons[1].1.contains("expected 6 fields"), "{reasons:?}");
        assert!(reasons[2].1.contains("ts"), "{reasons:?}");
        assert!(reasons[4].1.contains("id.orig_p"), "{reasons:?}");
        assert_eq!(reasons[0].0, 8, "line numbers count header lines");
    }

    #[test]
    fn data_before_a_header_is_rejected_not_guessed() {
        let s = read_bytes(b"1.0\t10.0.0.1\t1\n", "conn.log");
        assert_eq!(s.rejections.len(), 1);
        assert!(s.rejections[0].reason.contains("before any #fields"));
    }

    #[test]
    fn a_second_header_mid_file_switches_the_layout() {
        let text = format!(
            "{HEADER}#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n\
             1.0\t10.0.0.1\t1\t10.0.0.2\t80\n#close\t2020\n\
             {HEADER}#fields\tid.resp_p\tid.resp_h\tid.orig_p\tid.orig_h\tts\n\
             443\t10.0.0.9\t2\t10.0.0.8\t2.0\n"
        );
        let s = read_bytes(text.as_bytes(), "conn.log");
        assert_eq!(s.flows.len(), 2);
        assert_eq!(s.flows[1].dst_port, Some(443));
        assert_eq!(s.flows[1].src_ip.to_string(), "10.0.0.8");
    }

    #[test]
    fn other_log_types_are_skipped_with_a_note() {
        let text =
            "#separator \\x09\n#path\tweird\n#fields\tts\tname\n1.0\tbad_thing\n2.0\tbad_thing\n";
        let s = read_bytes(text.as_bytes(), "weird.log");
        assert_eq!(s.rows(), 0);
        assert!(s.rejections.is_empty());
        assert_eq!(s.notes.len(), 1);
        assert!(s.notes[0].contains("weird") && s.notes[0].contains("2 rows"));
    }

    #[test]
    fn stratosphere_labels_packed_with_three_spaces_are_split() {
        let text = format!(
            "{HEADER}#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttunnel_parents   label   detailed-label\n\
             1.0\t10.0.0.1\t1\t10.0.0.2\t80\t(empty)   Malicious   C&C\n"
        );
        let s = read_bytes(text.as_bytes(), "conn.log.labeled");
        assert_eq!(s.flows.len(), 1, "{:?}", s.rejections);
        assert_eq!(s.flows[0].label.label.as_deref(), Some("Malicious"));
        assert_eq!(s.flows[0].label.detail.as_deref(), Some("C&C"));
    }

    #[test]
    fn json_logs_read_numbers_iso_times_and_labels() {
        let text = br#"{"ts":"2021-01-01T00:00:01.5Z","uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"1.1.1.1","id.resp_p":53,"proto":"udp","query":"a.example","qtype":1,"qtype_name":"A","rcode":0,"answers":["1.2.3.4"],"TTLs":[30.0],"label":"Benign"}
{"ts":2.0,"uid":"C2","id.orig_h":"bogus","id.resp_h":"1.1.1.1"}
not json
"#;
        let s = read_bytes(text, "dns.log");
        assert_eq!(s.dns.len(), 1);
        assert_eq!(s.dns[0].ts, 1_609_459_201_500_000);
        assert_eq!(s.dns[0].qtype.as_deref(), Some("A"));
        assert_eq!(s.dns[0].label.label.as_deref(), Some("Benign"));
        assert_eq!(s.rejections.len(), 2);
    }

    #[test]
    fn njrat_labelled_conn_log_reads_every_row_with_its_label() {
        let path = require_shared!("zeek/njrat-ctu-malware-230-1/labeled-conn.log");
        let s = read_file(&path);
        assert_eq!(s.rejections, vec![]);
        assert_eq!(s.flows.len(), data_lines(&path));
        let count = |l: &str| {
            s.flows
                .iter()
                .filter(|f| f.label.label.as_deref() == Some(l))
                .count()
        };
        // Figures from the data set's own README.
        assert_eq!(
            (count("Malicious"), count("Background"), count("Benign")),
            (244, 739, 9)
        );
        assert!(
            s.flows.iter().all(|f| f.ts < 86_400_000_000),
            "CTU relative times kept as is"
        );
    }

    #[test]
    fn every_shared_zeek_log_of_a_stored_type_reads_without_rejections() {
        let root = require_shared!("zeek");
        let mut checked = 0;
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            if dir.join("data").is_dir() {
                files.extend(
                    std::fs::read_dir(dir.join("data"))
                        .unwrap()
                        .map(|e| e.unwrap().path()),
                );
            }
            for f in files {
                let name = f.file_name().unwrap().to_string_lossy().to_string();
                if !name.contains(".log") || f.is_dir() {
                    continue;
                }
                let s = read_file(&f);
                assert_eq!(s.rejections, vec![], "{}", f.display());
                let stored = LogKind::from_file_name(&name).is_some();
                let text = std::fs::read_to_string(&f).unwrap();
                let data = text
                    .lines()
                    .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                    .count();
                if stored {
                    assert_eq!(s.rows(), data, "{}", f.display());
                    checked += 1;
                } else {
                    assert_eq!(s.rows(), 0, "{}", f.display());
                }
            }
        }
        assert!(checked >= 20, "only {checked} logs checked");
    }

    #[test]
    fn ctu50_http_and_ssl_fields_land_in_their_columns() {
        let http = require_shared!("zeek/ctu50-normal-attacked-008/data/http.log.labeled");
        let s = read_file(&http);
        let first = &s.http[0];
        assert_eq!(first.method.as_deref(), Some("POST"));
        assert_eq!(first.host.as_deref(), Some("i4.c.eset.com"));
        assert_eq!(first.status, Some(200));
        assert_eq!(first.label.detail.as_deref(), Some("ESET"));
        let ssl = require_shared!("zeek/ctu50-normal-attacked-008/data/ssl.log.labeled");
        let s = read_file(&ssl);
        assert_eq!(
            s.tls[0].sni.as_deref(),
            Some("settings-win.data.microsoft.com")
        );
        assert_eq!(s.tls[0].established, Some(false));
    }
}
