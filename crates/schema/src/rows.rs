//! Typed rows as readers produce them, before they become Arrow columns.
//!
//! Rows borrow from the reader's line buffer where they can (`Cow<'a, str>`), so
//! that parsing a multi-gigabyte Zeek log does not allocate a `String` per field.
//! Addresses are `IpAddr`: a reader that cannot parse an address rejects the row
//! instead of storing text that later joins and geolocation would choke on.

use std::borrow::Cow;
use std::net::IpAddr;

/// Microseconds since the Unix epoch, UTC. Delta Lake's `timestamp` type has
/// microsecond precision, so nothing finer is kept.
pub type Micros = i64;

/// Converts fractional epoch seconds (Zeek's `time`) to [`Micros`], rejecting
/// values no sensor could have produced (NaN, infinities, beyond year 9999).
pub fn micros_from_secs(secs: f64) -> Option<Micros> {
    const MAX_SECS: f64 = 253_402_300_799.0; // 9999-12-31T23:59:59Z
    if !secs.is_finite() || secs.abs() > MAX_SECS {
        return None;
    }
    Some((secs * 1_000_000.0).round() as Micros)
}

/// Ground truth carried by labelled captures (Stratosphere/CTU `label` and
/// `detailedlabel` columns, the CTU-13 `Label` column).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Label<'a> {
    pub label: Option<Cow<'a, str>>,
    pub detail: Option<Cow<'a, str>>,
}

/// One connection or flow record (Zeek conn, Argus, Suricata flow, NetFlow/IPFIX).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow<'a> {
    /// Where the row came from in its file: line number (1-based) for text
    /// formats, byte offset of the record for binary ones.
    pub line: u64,
    pub ts: Micros,
    pub duration: Option<f64>,
    pub src_ip: IpAddr,
    pub src_port: Option<u16>,
    pub dst_ip: IpAddr,
    pub dst_port: Option<u16>,
    /// Lower-case transport name: `tcp`, `udp`, `icmp`, ... or the protocol number.
    pub transport: Cow<'a, str>,
    /// Application protocol as the sensor saw it (Zeek `service`, Suricata `app_proto`).
    pub service: Option<Cow<'a, str>>,
    pub src_bytes: Option<u64>,
    pub dst_bytes: Option<u64>,
    pub src_pkts: Option<u64>,
    pub dst_pkts: Option<u64>,
    /// Connection state in the sensor's own vocabulary (Zeek `conn_state`, Argus `State`).
    pub state: Option<Cow<'a, str>>,
    /// Zeek `history` or Argus direction marker.
    pub history: Option<Cow<'a, str>>,
    /// Sensor's own id for the connection (Zeek `uid`, Suricata `flow_id`).
    pub uid: Option<Cow<'a, str>>,
    /// 1 for unsampled sources; N when one packet in N was sampled. Byte and
    /// packet counts are stored as exported, not multiplied.
    pub sampling_rate: u32,
    /// Overrides the file's sensor name (NetFlow: the exporter address).
    pub sensor: Option<Cow<'a, str>>,
    pub label: Label<'a>,
}

/// One DNS transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Dns<'a> {
    pub line: u64,
    pub ts: Micros,
    pub uid: Option<Cow<'a, str>>,
    pub client_ip: IpAddr,
    pub client_port: Option<u16>,
    pub server_ip: IpAddr,
    pub server_port: Option<u16>,
    pub transport: Option<Cow<'a, str>>,
    pub query: Option<Cow<'a, str>>,
    /// Query type by name (`A`, `AAAA`, `TXT`, ...), or its number when unnamed.
    pub qtype: Option<Cow<'a, str>>,
    /// Response code by name (`NOERROR`, `NXDOMAIN`, ...).
    pub rcode: Option<Cow<'a, str>>,
    pub answers: Vec<Cow<'a, str>>,
    pub ttls: Vec<f64>,
    pub label: Label<'a>,
}

/// One HTTP request/response as a network sensor saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Http<'a> {
    pub line: u64,
    pub ts: Micros,
    pub uid: Option<Cow<'a, str>>,
    pub client_ip: IpAddr,
    pub client_port: Option<u16>,
    pub server_ip: IpAddr,
    pub server_port: Option<u16>,
    pub method: Option<Cow<'a, str>>,
    pub host: Option<Cow<'a, str>>,
    pub uri: Option<Cow<'a, str>>,
    pub status: Option<u16>,
    pub user_agent: Option<Cow<'a, str>>,
    pub referrer: Option<Cow<'a, str>>,
    pub request_bytes: Option<u64>,
    pub response_bytes: Option<u64>,
    pub content_type: Option<Cow<'a, str>>,
    pub label: Label<'a>,
}

/// One TLS session.
#[derive(Debug, Clone, PartialEq)]
pub struct Tls<'a> {
    pub line: u64,
    pub ts: Micros,
    pub uid: Option<Cow<'a, str>>,
    pub client_ip: IpAddr,
    pub client_port: Option<u16>,
    pub server_ip: IpAddr,
    pub server_port: Option<u16>,
    pub version: Option<Cow<'a, str>>,
    pub sni: Option<Cow<'a, str>>,
    pub ja3: Option<Cow<'a, str>>,
    pub ja3s: Option<Cow<'a, str>>,
    pub ja4: Option<Cow<'a, str>>,
    pub cert_subject: Option<Cow<'a, str>>,
    pub cert_issuer: Option<Cow<'a, str>>,
    pub established: Option<bool>,
    pub label: Label<'a>,
}

/// One IDS alert (Suricata EVE `alert`, Zeek `notice`).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert<'a> {
    pub line: u64,
    pub ts: Micros,
    pub uid: Option<Cow<'a, str>>,
    pub src_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_ip: Option<IpAddr>,
    pub dst_port: Option<u16>,
    pub transport: Option<Cow<'a, str>>,
    pub signature_id: Option<i64>,
    pub signature: Cow<'a, str>,
    pub category: Option<Cow<'a, str>>,
    /// Suricata's scale: 1 is the most severe.
    pub severity: Option<i32>,
    pub action: Option<Cow<'a, str>>,
    pub label: Label<'a>,
}

/// One web server access log row (Apache/Nginx combined or common, IIS W3C).
#[derive(Debug, Clone, PartialEq)]
pub struct WebRequest<'a> {
    pub line: u64,
    pub ts: Micros,
    pub client_ip: IpAddr,
    /// Virtual host / site when the log format carries it.
    pub site: Option<Cow<'a, str>>,
    pub server_ip: Option<IpAddr>,
    pub server_port: Option<u16>,
    pub user: Option<Cow<'a, str>>,
    pub method: Option<Cow<'a, str>>,
    /// Path without the query string.
    pub path: Option<Cow<'a, str>>,
    /// Query string without the leading `?`.
    pub query: Option<Cow<'a, str>>,
    pub protocol: Option<Cow<'a, str>>,
    pub status: Option<u16>,
    pub response_bytes: Option<u64>,
    pub referrer: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub label: Label<'a>,
}

/// A line or record that could not be turned into a row. Kept, never dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// Line number for text formats, byte offset for binary ones (see `unit`).
    pub line: u64,
    pub unit: PositionUnit,
    pub reason: String,
    /// The raw text (lossy UTF-8), cut to [`MAX_RAW_BYTES`]; `raw_len` says how
    /// long it really was so a cut is never silent.
    pub raw: String,
    pub raw_len: u64,
}

/// Longest raw text kept with a rejected row; the rest stays in the source file,
/// which the row names.
pub const MAX_RAW_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionUnit {
    Line,
    ByteOffset,
}

impl PositionUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            PositionUnit::Line => "line",
            PositionUnit::ByteOffset => "offset",
        }
    }
}

impl Rejection {
    pub fn at_line(line: u64, reason: impl Into<String>, raw: &[u8]) -> Self {
        Self::new(line, PositionUnit::Line, reason, raw)
    }

    /// A line longer than the reader keeps: `kept` is its cut start, `len`
    /// its real length, which the rejection reports.
    pub fn overlong_line(line: u64, len: u64, max: usize, kept: &[u8]) -> Self {
        let mut r = Self::at_line(
            line,
            format!("line of {len} bytes exceeds the {max} byte limit"),
            kept,
        );
        r.raw_len = len.max(r.raw_len);
        r
    }

    pub fn at_offset(offset: u64, reason: impl Into<String>, raw: &[u8]) -> Self {
        Self::new(offset, PositionUnit::ByteOffset, reason, raw)
    }

    fn new(line: u64, unit: PositionUnit, reason: impl Into<String>, raw: &[u8]) -> Self {
        let cut = &raw[..raw.len().min(MAX_RAW_BYTES)];
        Rejection {
            line,
            unit,
            reason: reason.into(),
            raw: String::from_utf8_lossy(cut).into_owned(),
            raw_len: raw.len() as u64,
        }
    }
}

fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(|s| Cow::Owned(s.into_owned()))
}

fn own_vec(v: Vec<Cow<'_, str>>) -> Vec<Cow<'static, str>> {
    v.into_iter().map(|s| Cow::Owned(s.into_owned())).collect()
}

// Owned copies that no longer borrow from a reader's buffer (tests, buffering).

impl Label<'_> {
    pub fn into_owned(self) -> Label<'static> {
        Label {
            label: own(self.label),
            detail: own(self.detail),
        }
    }
}

impl Flow<'_> {
    pub fn into_owned(self) -> Flow<'static> {
        Flow {
            line: self.line,
            ts: self.ts,
            duration: self.duration,
            src_ip: self.src_ip,
            src_port: self.src_port,
            dst_ip: self.dst_ip,
            dst_port: self.dst_port,
            transport: Cow::Owned(self.transport.into_owned()),
            service: own(self.service),
            src_bytes: self.src_bytes,
            dst_bytes: self.dst_bytes,
            src_pkts: self.src_pkts,
            dst_pkts: self.dst_pkts,
            state: own(self.state),
            history: own(self.history),
            uid: own(self.uid),
            sampling_rate: self.sampling_rate,
            sensor: own(self.sensor),
            label: self.label.into_owned(),
        }
    }
}

impl Dns<'_> {
    pub fn into_owned(self) -> Dns<'static> {
        Dns {
            line: self.line,
            ts: self.ts,
            uid: own(self.uid),
            client_ip: self.client_ip,
            client_port: self.client_port,
            server_ip: self.server_ip,
            server_port: self.server_port,
            transport: own(self.transport),
            query: own(self.query),
            qtype: own(self.qtype),
            rcode: own(self.rcode),
            answers: own_vec(self.answers),
            ttls: self.ttls,
            label: self.label.into_owned(),
        }
    }
}

impl Http<'_> {
    pub fn into_owned(self) -> Http<'static> {
        Http {
            line: self.line,
            ts: self.ts,
            uid: own(self.uid),
            client_ip: self.client_ip,
            client_port: self.client_port,
            server_ip: self.server_ip,
            server_port: self.server_port,
            method: own(self.method),
            host: own(self.host),
            uri: own(self.uri),
            status: self.status,
            user_agent: own(self.user_agent),
            referrer: own(self.referrer),
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            content_type: own(self.content_type),
            label: self.label.into_owned(),
        }
    }
}

impl Tls<'_> {
    pub fn into_owned(self) -> Tls<'static> {
        Tls {
            line: self.line,
            ts: self.ts,
            uid: own(self.uid),
            client_ip: self.client_ip,
            client_port: self.client_port,
            server_ip: self.server_ip,
            server_port: self.server_port,
            version: own(self.version),
            sni: own(self.sni),
            ja3: own(self.ja3),
            ja3s: own(self.ja3s),
            ja4: own(self.ja4),
            cert_subject: own(self.cert_subject),
            cert_issuer: own(self.cert_issuer),
            established: self.established,
            label: self.label.into_owned(),
        }
    }
}

impl Alert<'_> {
    pub fn into_owned(self) -> Alert<'static> {
        Alert {
            line: self.line,
            ts: self.ts,
            uid: own(self.uid),
            src_ip: self.src_ip,
            src_port: self.src_port,
            dst_ip: self.dst_ip,
            dst_port: self.dst_port,
            transport: own(self.transport),
            signature_id: self.signature_id,
            signature: Cow::Owned(self.signature.into_owned()),
            category: own(self.category),
            severity: self.severity,
            action: own(self.action),
            label: self.label.into_owned(),
        }
    }
}

impl WebRequest<'_> {
    pub fn into_owned(self) -> WebRequest<'static> {
        WebRequest {
            line: self.line,
            ts: self.ts,
            client_ip: self.client_ip,
            site: own(self.site),
            server_ip: self.server_ip,
            server_port: self.server_port,
            user: own(self.user),
            method: own(self.method),
            path: own(self.path),
            query: own(self.query),
            protocol: own(self.protocol),
            status: self.status,
            response_bytes: self.response_bytes,
            referrer: own(self.referrer),
            user_agent: own(self.user_agent),
            label: self.label.into_owned(),
        }
    }
}
