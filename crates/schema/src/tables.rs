//! The store's tables: their Arrow schemas and the builders that turn typed rows
//! into record batches. `docs/schema.md` documents every column; keep it in step.
//!
//! Types are chosen for Delta Lake, whose type system has no unsigned integers
//! and whose timestamps are microseconds in UTC: ports are `Int32`, counters
//! `Int64`, addresses canonical text (`IpAddr`'s `Display`), which every engine
//! that reads Delta (Spark, DuckDB, Trino) can compare and join on.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder,
    ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

use crate::rows::{Alert, Dns, Flow, Http, Label, Micros, Rejection, Tls, WebRequest};

/// The event tables readers fill, plus the quarantine of rejected rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventTable {
    Flows,
    Dns,
    Http,
    Tls,
    Alerts,
    Weblog,
    Quarantine,
}

impl EventTable {
    pub const ALL: [EventTable; 7] = [
        EventTable::Flows,
        EventTable::Dns,
        EventTable::Http,
        EventTable::Tls,
        EventTable::Alerts,
        EventTable::Weblog,
        EventTable::Quarantine,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventTable::Flows => "flows",
            EventTable::Dns => "dns",
            EventTable::Http => "http",
            EventTable::Tls => "tls",
            EventTable::Alerts => "alerts",
            EventTable::Weblog => "weblog",
            EventTable::Quarantine => "quarantine",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Column the table is partitioned by in the store.
    pub fn partition_column(self) -> &'static str {
        match self {
            EventTable::Quarantine => "ingest_date",
            _ => "event_date",
        }
    }

    pub fn schema(self) -> SchemaRef {
        let fields = match self {
            EventTable::Flows => flow_fields(),
            EventTable::Dns => dns_fields(),
            EventTable::Http => http_fields(),
            EventTable::Tls => tls_fields(),
            EventTable::Alerts => alert_fields(),
            EventTable::Weblog => weblog_fields(),
            EventTable::Quarantine => quarantine_fields(),
        };
        Arc::new(Schema::new(fields))
    }
}

/// Time as every table stores it: microseconds, UTC.
pub fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// A list column of `item` values (which may be null).
pub fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

/// A nullable column, as every column of the findings tables is.
pub fn column(name: &str, dt: DataType) -> Field {
    Field::new(name, dt, true)
}

fn f(name: &str, dt: DataType, nullable: bool) -> Field {
    Field::new(name, dt, nullable)
}

/// Columns every event table ends with: where the row came from, the ground
/// truth where the source carries it, and the date partition.
fn provenance_fields() -> Vec<Field> {
    vec![
        f("sensor", DataType::Utf8, true),
        f("source_file", DataType::Utf8, false),
        f("source_line", DataType::Int64, false),
        f("label", DataType::Utf8, true),
        f("label_detail", DataType::Utf8, true),
        f("event_date", DataType::Date32, false),
    ]
}

fn endpoint_fields(a: &str, b: &str) -> Vec<Field> {
    vec![
        f(&format!("{a}_ip"), DataType::Utf8, false),
        f(&format!("{a}_port"), DataType::Int32, true),
        f(&format!("{b}_ip"), DataType::Utf8, false),
        f(&format!("{b}_port"), DataType::Int32, true),
    ]
}

fn flow_fields() -> Vec<Field> {
    let mut v = vec![
        f("ts", utc_micros(), false),
        f("duration", DataType::Float64, true),
    ];
    v.extend(endpoint_fields("src", "dst"));
    v.extend([
        f("transport", DataType::Utf8, false),
        f("service", DataType::Utf8, true),
        f("src_bytes", DataType::Int64, true),
        f("dst_bytes", DataType::Int64, true),
        f("src_pkts", DataType::Int64, true),
        f("dst_pkts", DataType::Int64, true),
        f("state", DataType::Utf8, true),
        f("history", DataType::Utf8, true),
        f("uid", DataType::Utf8, true),
        f("sampling_rate", DataType::Int64, false),
    ]);
    v.extend(provenance_fields());
    v
}

fn dns_fields() -> Vec<Field> {
    let mut v = vec![f("ts", utc_micros(), false), f("uid", DataType::Utf8, true)];
    v.extend(endpoint_fields("client", "server"));
    v.extend([
        f("transport", DataType::Utf8, true),
        f("query", DataType::Utf8, true),
        f("qtype", DataType::Utf8, true),
        f("rcode", DataType::Utf8, true),
        f("answers", list_of(DataType::Utf8), true),
        f(
            "ttls",
            DataType::List(Arc::new(Field::new("item", DataType::Float64, true))),
            true,
        ),
    ]);
    v.extend(provenance_fields());
    v
}

fn http_fields() -> Vec<Field> {
    let mut v = vec![f("ts", utc_micros(), false), f("uid", DataType::Utf8, true)];
    v.extend(endpoint_fields("client", "server"));
    v.extend([
        f("method", DataType::Utf8, true),
        f("host", DataType::Utf8, true),
        f("uri", DataType::Utf8, true),
        f("status", DataType::Int32, true),
        f("user_agent", DataType::Utf8, true),
        f("referrer", DataType::Utf8, true),
        f("request_bytes", DataType::Int64, true),
        f("response_bytes", DataType::Int64, true),
        f("content_type", DataType::Utf8, true),
    ]);
    v.extend(provenance_fields());
    v
}

fn tls_fields() -> Vec<Field> {
    let mut v = vec![f("ts", utc_micros(), false), f("uid", DataType::Utf8, true)];
    v.extend(endpoint_fields("client", "server"));
    v.extend([
        f("version", DataType::Utf8, true),
        f("sni", DataType::Utf8, true),
        f("ja3", DataType::Utf8, true),
        f("ja3s", DataType::Utf8, true),
        f("ja4", DataType::Utf8, true),
        f("cert_subject", DataType::Utf8, true),
        f("cert_issuer", DataType::Utf8, true),
        f("established", DataType::Boolean, true),
    ]);
    v.extend(provenance_fields());
    v
}

fn alert_fields() -> Vec<Field> {
    let mut v = vec![
        f("ts", utc_micros(), false),
        f("uid", DataType::Utf8, true),
        f("src_ip", DataType::Utf8, true),
        f("src_port", DataType::Int32, true),
        f("dst_ip", DataType::Utf8, true),
        f("dst_port", DataType::Int32, true),
        f("transport", DataType::Utf8, true),
        f("signature_id", DataType::Int64, true),
        f("signature", DataType::Utf8, false),
        f("category", DataType::Utf8, true),
        f("severity", DataType::Int32, true),
        f("action", DataType::Utf8, true),
    ];
    v.extend(provenance_fields());
    v
}

fn weblog_fields() -> Vec<Field> {
    let mut v = vec![
        f("ts", utc_micros(), false),
        f("client_ip", DataType::Utf8, false),
        f("site", DataType::Utf8, true),
        f("server_ip", DataType::Utf8, true),
        f("server_port", DataType::Int32, true),
        f("user", DataType::Utf8, true),
        f("method", DataType::Utf8, true),
        f("path", DataType::Utf8, true),
        f("query", DataType::Utf8, true),
        f("protocol", DataType::Utf8, true),
        f("status", DataType::Int32, true),
        f("response_bytes", DataType::Int64, true),
        f("referrer", DataType::Utf8, true),
        f("user_agent", DataType::Utf8, true),
    ];
    v.extend(provenance_fields());
    v
}

fn quarantine_fields() -> Vec<Field> {
    vec![
        f("source_file", DataType::Utf8, false),
        f("format", DataType::Utf8, true),
        f("position", DataType::Int64, false),
        f("position_unit", DataType::Utf8, false),
        f("reason", DataType::Utf8, false),
        f("raw", DataType::Utf8, false),
        f("raw_len", DataType::Int64, false),
        f("ingested_at", utc_micros(), false),
        f("ingest_date", DataType::Date32, false),
    ]
}

/// Per-file values every row of that file shares.
#[derive(Debug, Clone)]
pub struct FileContext {
    pub source_file: String,
    pub sensor: Option<String>,
    pub format: String,
}

/// Days since the Unix epoch for a timestamp, as Arrow's `Date32` wants it.
pub fn date32_of(ts: Micros) -> i32 {
    ts.div_euclid(86_400_000_000) as i32
}

/// Canonical text of an address, written into a reusable buffer: this runs
/// twice per stored event, and going through `ToString` allocated each time.
/// IPv4-mapped IPv6 addresses are stored as the IPv4 address they stand for,
/// so one host never appears under two spellings.
fn ip_text<'b>(ip: &IpAddr, buf: &'b mut String) -> &'b str {
    use std::fmt::Write;
    buf.clear();
    let v4 = match ip {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    match (v4, ip) {
        (Some(v4), _) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf.push('.');
                }
                push_decimal(buf, octet);
            }
        }
        // Writing to a String cannot fail.
        (None, ip) => {
            let _ = write!(buf, "{ip}");
        }
    }
    buf.as_str()
}

/// Owned canonical text, for the tables that are not on the hot path.
fn ip_string(ip: &IpAddr) -> String {
    let mut buf = String::new();
    ip_text(ip, &mut buf);
    buf
}

fn push_decimal(buf: &mut String, n: u8) {
    if n >= 100 {
        buf.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        buf.push(char::from(b'0' + n / 10 % 10));
    }
    buf.push(char::from(b'0' + n % 10));
}

fn port(p: Option<u16>) -> Option<i32> {
    p.map(i32::from)
}

fn count(c: Option<u64>) -> Option<i64> {
    // Counters beyond i64::MAX are corrupt exports, not real traffic.
    c.and_then(|c| i64::try_from(c).ok())
}

fn opt<'s>(s: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    s.as_deref()
}

fn ts_builder(cap: usize) -> TimestampMicrosecondBuilder {
    TimestampMicrosecondBuilder::with_capacity(cap).with_timezone("UTC")
}

/// Provenance columns, shared by every event table builder.
struct Provenance {
    sensor: StringBuilder,
    source_file: StringBuilder,
    source_line: Int64Builder,
    label: StringBuilder,
    label_detail: StringBuilder,
    event_date: Date32Builder,
}

impl Provenance {
    fn new() -> Self {
        Provenance {
            sensor: StringBuilder::new(),
            source_file: StringBuilder::new(),
            source_line: Int64Builder::new(),
            label: StringBuilder::new(),
            label_detail: StringBuilder::new(),
            event_date: Date32Builder::new(),
        }
    }

    fn append(
        &mut self,
        ctx: &FileContext,
        sensor: Option<&str>,
        line: u64,
        ts: Micros,
        label: &Label<'_>,
    ) {
        self.sensor.append_option(sensor.or(ctx.sensor.as_deref()));
        self.source_file.append_value(&ctx.source_file);
        self.source_line.append_value(line as i64);
        self.label.append_option(opt(&label.label));
        self.label_detail.append_option(opt(&label.detail));
        self.event_date.append_value(date32_of(ts));
    }

    fn finish(&mut self, cols: &mut Vec<ArrayRef>) {
        cols.push(Arc::new(self.sensor.finish()));
        cols.push(Arc::new(self.source_file.finish()));
        cols.push(Arc::new(self.source_line.finish()));
        cols.push(Arc::new(self.label.finish()));
        cols.push(Arc::new(self.label_detail.finish()));
        cols.push(Arc::new(self.event_date.finish()));
    }
}

/// The four endpoint columns of a two-party event.
struct Endpoints {
    text: String,
    a_ip: StringBuilder,
    a_port: Int32Builder,
    b_ip: StringBuilder,
    b_port: Int32Builder,
}

impl Endpoints {
    fn new() -> Self {
        Endpoints {
            text: String::with_capacity(48),
            a_ip: StringBuilder::new(),
            a_port: Int32Builder::new(),
            b_ip: StringBuilder::new(),
            b_port: Int32Builder::new(),
        }
    }

    fn append(&mut self, a: &IpAddr, ap: Option<u16>, b: &IpAddr, bp: Option<u16>) {
        self.a_ip.append_value(ip_text(a, &mut self.text));
        self.a_port.append_option(port(ap));
        self.b_ip.append_value(ip_text(b, &mut self.text));
        self.b_port.append_option(port(bp));
    }

    fn finish(&mut self, cols: &mut Vec<ArrayRef>) {
        cols.push(Arc::new(self.a_ip.finish()));
        cols.push(Arc::new(self.a_port.finish()));
        cols.push(Arc::new(self.b_ip.finish()));
        cols.push(Arc::new(self.b_port.finish()));
    }
}

/// Builds `flows` batches.
pub struct FlowBatch {
    ts: TimestampMicrosecondBuilder,
    duration: Float64Builder,
    ends: Endpoints,
    transport: StringBuilder,
    service: StringBuilder,
    src_bytes: Int64Builder,
    dst_bytes: Int64Builder,
    src_pkts: Int64Builder,
    dst_pkts: Int64Builder,
    state: StringBuilder,
    history: StringBuilder,
    uid: StringBuilder,
    sampling_rate: Int64Builder,
    prov: Provenance,
    len: usize,
}

impl Default for FlowBatch {
    fn default() -> Self {
        FlowBatch {
            ts: ts_builder(0),
            duration: Float64Builder::new(),
            ends: Endpoints::new(),
            transport: StringBuilder::new(),
            service: StringBuilder::new(),
            src_bytes: Int64Builder::new(),
            dst_bytes: Int64Builder::new(),
            src_pkts: Int64Builder::new(),
            dst_pkts: Int64Builder::new(),
            state: StringBuilder::new(),
            history: StringBuilder::new(),
            uid: StringBuilder::new(),
            sampling_rate: Int64Builder::new(),
            prov: Provenance::new(),
            len: 0,
        }
    }
}

impl FlowBatch {
    pub fn append(&mut self, ctx: &FileContext, r: &Flow<'_>) {
        self.ts.append_value(r.ts);
        self.duration.append_option(r.duration);
        self.ends
            .append(&r.src_ip, r.src_port, &r.dst_ip, r.dst_port);
        self.transport.append_value(&r.transport);
        self.service.append_option(opt(&r.service));
        self.src_bytes.append_option(count(r.src_bytes));
        self.dst_bytes.append_option(count(r.dst_bytes));
        self.src_pkts.append_option(count(r.src_pkts));
        self.dst_pkts.append_option(count(r.dst_pkts));
        self.state.append_option(opt(&r.state));
        self.history.append_option(opt(&r.history));
        self.uid.append_option(opt(&r.uid));
        self.sampling_rate
            .append_value(i64::from(r.sampling_rate.max(1)));
        self.prov
            .append(ctx, opt(&r.sensor), r.line, r.ts, &r.label);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut c: Vec<ArrayRef> =
            vec![Arc::new(self.ts.finish()), Arc::new(self.duration.finish())];
        self.ends.finish(&mut c);
        c.push(Arc::new(self.transport.finish()));
        c.push(Arc::new(self.service.finish()));
        c.push(Arc::new(self.src_bytes.finish()));
        c.push(Arc::new(self.dst_bytes.finish()));
        c.push(Arc::new(self.src_pkts.finish()));
        c.push(Arc::new(self.dst_pkts.finish()));
        c.push(Arc::new(self.state.finish()));
        c.push(Arc::new(self.history.finish()));
        c.push(Arc::new(self.uid.finish()));
        c.push(Arc::new(self.sampling_rate.finish()));
        self.prov.finish(&mut c);
        self.len = 0;
        RecordBatch::try_new(EventTable::Flows.schema(), c)
    }
}

/// Builds `dns` batches.
pub struct DnsBatch {
    ts: TimestampMicrosecondBuilder,
    uid: StringBuilder,
    ends: Endpoints,
    transport: StringBuilder,
    query: StringBuilder,
    qtype: StringBuilder,
    rcode: StringBuilder,
    answers: ListBuilder<StringBuilder>,
    ttls: ListBuilder<Float64Builder>,
    prov: Provenance,
    len: usize,
}

impl Default for DnsBatch {
    fn default() -> Self {
        DnsBatch {
            ts: ts_builder(0),
            uid: StringBuilder::new(),
            ends: Endpoints::new(),
            transport: StringBuilder::new(),
            query: StringBuilder::new(),
            qtype: StringBuilder::new(),
            rcode: StringBuilder::new(),
            answers: ListBuilder::new(StringBuilder::new()),
            ttls: ListBuilder::new(Float64Builder::new()),
            prov: Provenance::new(),
            len: 0,
        }
    }
}

impl DnsBatch {
    pub fn append(&mut self, ctx: &FileContext, r: &Dns<'_>) {
        self.ts.append_value(r.ts);
        self.uid.append_option(opt(&r.uid));
        self.ends
            .append(&r.client_ip, r.client_port, &r.server_ip, r.server_port);
        self.transport.append_option(opt(&r.transport));
        self.query.append_option(opt(&r.query));
        self.qtype.append_option(opt(&r.qtype));
        self.rcode.append_option(opt(&r.rcode));
        for a in &r.answers {
            self.answers.values().append_value(a);
        }
        self.answers.append(true);
        for t in &r.ttls {
            self.ttls.values().append_value(*t);
        }
        self.ttls.append(true);
        self.prov.append(ctx, None, r.line, r.ts, &r.label);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut c: Vec<ArrayRef> = vec![Arc::new(self.ts.finish()), Arc::new(self.uid.finish())];
        self.ends.finish(&mut c);
        c.push(Arc::new(self.transport.finish()));
        c.push(Arc::new(self.query.finish()));
        c.push(Arc::new(self.qtype.finish()));
        c.push(Arc::new(self.rcode.finish()));
        c.push(Arc::new(self.answers.finish()));
        c.push(Arc::new(self.ttls.finish()));
        self.prov.finish(&mut c);
        self.len = 0;
        RecordBatch::try_new(EventTable::Dns.schema(), c)
    }
}

/// Builds `http` batches.
pub struct HttpBatch {
    ts: TimestampMicrosecondBuilder,
    uid: StringBuilder,
    ends: Endpoints,
    method: StringBuilder,
    host: StringBuilder,
    uri: StringBuilder,
    status: Int32Builder,
    user_agent: StringBuilder,
    referrer: StringBuilder,
    request_bytes: Int64Builder,
    response_bytes: Int64Builder,
    content_type: StringBuilder,
    prov: Provenance,
    len: usize,
}

impl Default for HttpBatch {
    fn default() -> Self {
        HttpBatch {
            ts: ts_builder(0),
            uid: StringBuilder::new(),
            ends: Endpoints::new(),
            method: StringBuilder::new(),
            host: StringBuilder::new(),
            uri: StringBuilder::new(),
            status: Int32Builder::new(),
            user_agent: StringBuilder::new(),
            referrer: StringBuilder::new(),
            request_bytes: Int64Builder::new(),
            response_bytes: Int64Builder::new(),
            content_type: StringBuilder::new(),
            prov: Provenance::new(),
            len: 0,
        }
    }
}

impl HttpBatch {
    pub fn append(&mut self, ctx: &FileContext, r: &Http<'_>) {
        self.ts.append_value(r.ts);
        self.uid.append_option(opt(&r.uid));
        self.ends
            .append(&r.client_ip, r.client_port, &r.server_ip, r.server_port);
        self.method.append_option(opt(&r.method));
        self.host.append_option(opt(&r.host));
        self.uri.append_option(opt(&r.uri));
        self.status.append_option(r.status.map(i32::from));
        self.user_agent.append_option(opt(&r.user_agent));
        self.referrer.append_option(opt(&r.referrer));
        self.request_bytes.append_option(count(r.request_bytes));
        self.response_bytes.append_option(count(r.response_bytes));
        self.content_type.append_option(opt(&r.content_type));
        self.prov.append(ctx, None, r.line, r.ts, &r.label);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut c: Vec<ArrayRef> = vec![Arc::new(self.ts.finish()), Arc::new(self.uid.finish())];
        self.ends.finish(&mut c);
        c.push(Arc::new(self.method.finish()));
        c.push(Arc::new(self.host.finish()));
        c.push(Arc::new(self.uri.finish()));
        c.push(Arc::new(self.status.finish()));
        c.push(Arc::new(self.user_agent.finish()));
        c.push(Arc::new(self.referrer.finish()));
        c.push(Arc::new(self.request_bytes.finish()));
        c.push(Arc::new(self.response_bytes.finish()));
        c.push(Arc::new(self.content_type.finish()));
        self.prov.finish(&mut c);
        self.len = 0;
        RecordBatch::try_new(EventTable::Http.schema(), c)
    }
}

/// Builds `tls` batches.
pub struct TlsBatch {
    ts: TimestampMicrosecondBuilder,
    uid: StringBuilder,
    ends: Endpoints,
    version: StringBuilder,
    sni: StringBuilder,
    ja3: StringBuilder,
    ja3s: StringBuilder,
    ja4: StringBuilder,
    cert_subject: StringBuilder,
    cert_issuer: StringBuilder,
    established: BooleanBuilder,
    prov: Provenance,
    len: usize,
}

impl Default for TlsBatch {
    fn default() -> Self {
        TlsBatch {
            ts: ts_builder(0),
            uid: StringBuilder::new(),
            ends: Endpoints::new(),
            version: StringBuilder::new(),
            sni: StringBuilder::new(),
            ja3: StringBuilder::new(),
            ja3s: StringBuilder::new(),
            ja4: StringBuilder::new(),
            cert_subject: StringBuilder::new(),
            cert_issuer: StringBuilder::new(),
            established: BooleanBuilder::new(),
            prov: Provenance::new(),
            len: 0,
        }
    }
}

impl TlsBatch {
    pub fn append(&mut self, ctx: &FileContext, r: &Tls<'_>) {
        self.ts.append_value(r.ts);
        self.uid.append_option(opt(&r.uid));
        self.ends
            .append(&r.client_ip, r.client_port, &r.server_ip, r.server_port);
        self.version.append_option(opt(&r.version));
        self.sni.append_option(opt(&r.sni));
        self.ja3.append_option(opt(&r.ja3));
        self.ja3s.append_option(opt(&r.ja3s));
        self.ja4.append_option(opt(&r.ja4));
        self.cert_subject.append_option(opt(&r.cert_subject));
        self.cert_issuer.append_option(opt(&r.cert_issuer));
        self.established.append_option(r.established);
        self.prov.append(ctx, None, r.line, r.ts, &r.label);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut c: Vec<ArrayRef> = vec![Arc::new(self.ts.finish()), Arc::new(self.uid.finish())];
        self.ends.finish(&mut c);
        c.push(Arc::new(self.version.finish()));
        c.push(Arc::new(self.sni.finish()));
        c.push(Arc::new(self.ja3.finish()));
        c.push(Arc::new(self.ja3s.finish()));
        c.push(Arc::new(self.ja4.finish()));
        c.push(Arc::new(self.cert_subject.finish()));
        c.push(Arc::new(self.cert_issuer.finish()));
        c.push(Arc::new(self.established.finish()));
        self.prov.finish(&mut c);
        self.len = 0;
        RecordBatch::try_new(EventTable::Tls.schema(), c)
    }
}

/// Builds `alerts` batches.
pub struct AlertBatch {
    ts: TimestampMicrosecondBuilder,
    uid: StringBuilder,
    src_ip: StringBuilder,
    src_port: Int32Builder,
    dst_ip: StringBuilder,
    dst_port: Int32Builder,
    transport: StringBuilder,
    signature_id: Int64Builder,
    signature: StringBuilder,
    category: StringBuilder,
    severity: Int32Builder,
    action: StringBuilder,
    prov: Provenance,
    len: usize,
}

impl Default for AlertBatch {
    fn default() -> Self {
        AlertBatch {
            ts: ts_builder(0),
            uid: StringBuilder::new(),
            src_ip: StringBuilder::new(),
            src_port: Int32Builder::new(),
            dst_ip: StringBuilder::new(),
            dst_port: Int32Builder::new(),
            transport: StringBuilder::new(),
            signature_id: Int64Builder::new(),
            signature: StringBuilder::new(),
            category: StringBuilder::new(),
            severity: Int32Builder::new(),
            action: StringBuilder::new(),
            prov: Provenance::new(),
            len: 0,
        }
    }
}

impl AlertBatch {
    pub fn append(&mut self, ctx: &FileContext, r: &Alert<'_>) {
        self.ts.append_value(r.ts);
        self.uid.append_option(opt(&r.uid));
        self.src_ip.append_option(r.src_ip.as_ref().map(ip_string));
        self.src_port.append_option(port(r.src_port));
        self.dst_ip.append_option(r.dst_ip.as_ref().map(ip_string));
        self.dst_port.append_option(port(r.dst_port));
        self.transport.append_option(opt(&r.transport));
        self.signature_id.append_option(r.signature_id);
        self.signature.append_value(&r.signature);
        self.category.append_option(opt(&r.category));
        self.severity.append_option(r.severity);
        self.action.append_option(opt(&r.action));
        self.prov.append(ctx, None, r.line, r.ts, &r.label);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let c: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.uid.finish()),
            Arc::new(self.src_ip.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.dst_ip.finish()),
            Arc::new(self.dst_port.finish()),
            Arc::new(self.transport.finish()),
            Arc::new(self.signature_id.finish()),
            Arc::new(self.signature.finish()),
            Arc::new(self.category.finish()),
            Arc::new(self.severity.finish()),
            Arc::new(self.action.finish()),
        ];
        let mut c = c;
        self.prov.finish(&mut c);
        self.len = 0;
        RecordBatch::try_new(EventTable::Alerts.schema(), c)
    }
}

/// Builds `weblog` batches.
pub struct WeblogBatch {
    ts: TimestampMicrosecondBuilder,
    client_ip: StringBuilder,
    site: StringBuilder,
    server_ip: StringBuilder,
    server_port: Int32Builder,
    user: StringBuilder,
    method: StringBuilder,
    path: StringBuilder,
    query: StringBuilder,
    protocol: StringBuilder,
    status: Int32Builder,
    response_bytes: Int64Builder,
    referrer: StringBuilder,
    user_agent: StringBuilder,
    prov: Provenance,
    len: usize,
}

impl Default for WeblogBatch {
    fn default() -> Self {
        WeblogBatch {
            ts: ts_builder(0),
            client_ip: StringBuilder::new(),
            site: StringBuilder::new(),
            server_ip: StringBuilder::new(),
            server_port: Int32Builder::new(),
            user: StringBuilder::new(),
            method: StringBuilder::new(),
            path: StringBuilder::new(),
            query: StringBuilder::new(),
            protocol: StringBuilder::new(),
            status: Int32Builder::new(),
            response_bytes: Int64Builder::new(),
            referrer: StringBuilder::new(),
            user_agent: StringBuilder::new(),
            prov: Provenance::new(),
            len: 0,
        }
    }
}

impl WeblogBatch {
    pub fn append(&mut self, ctx: &FileContext, r: &WebRequest<'_>) {
        self.ts.append_value(r.ts);
        self.client_ip.append_value(ip_string(&r.client_ip));
        self.site.append_option(opt(&r.site));
        self.server_ip
            .append_option(r.server_ip.as_ref().map(ip_string));
        self.server_port.append_option(port(r.server_port));
        self.user.append_option(opt(&r.user));
        self.method.append_option(opt(&r.method));
        self.path.append_option(opt(&r.path));
        self.query.append_option(opt(&r.query));
        self.protocol.append_option(opt(&r.protocol));
        self.status.append_option(r.status.map(i32::from));
        self.response_bytes.append_option(count(r.response_bytes));
        self.referrer.append_option(opt(&r.referrer));
        self.user_agent.append_option(opt(&r.user_agent));
        self.prov.append(ctx, None, r.line, r.ts, &r.label);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut c: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.client_ip.finish()),
            Arc::new(self.site.finish()),
            Arc::new(self.server_ip.finish()),
            Arc::new(self.server_port.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.method.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.query.finish()),
            Arc::new(self.protocol.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.response_bytes.finish()),
            Arc::new(self.referrer.finish()),
            Arc::new(self.user_agent.finish()),
        ];
        self.prov.finish(&mut c);
        self.len = 0;
        RecordBatch::try_new(EventTable::Weblog.schema(), c)
    }
}

/// Builds `quarantine` batches.
pub struct QuarantineBatch {
    source_file: StringBuilder,
    format: StringBuilder,
    position: Int64Builder,
    position_unit: StringBuilder,
    reason: StringBuilder,
    raw: StringBuilder,
    raw_len: Int64Builder,
    ingested_at: TimestampMicrosecondBuilder,
    ingest_date: Date32Builder,
    len: usize,
}

impl Default for QuarantineBatch {
    fn default() -> Self {
        QuarantineBatch {
            source_file: StringBuilder::new(),
            format: StringBuilder::new(),
            position: Int64Builder::new(),
            position_unit: StringBuilder::new(),
            reason: StringBuilder::new(),
            raw: StringBuilder::new(),
            raw_len: Int64Builder::new(),
            ingested_at: ts_builder(0),
            ingest_date: Date32Builder::new(),
            len: 0,
        }
    }
}

impl QuarantineBatch {
    /// `now` is passed in, not read here, so a whole ingest shares one instant.
    pub fn append(&mut self, ctx: &FileContext, r: &Rejection, now: Micros) {
        self.source_file.append_value(&ctx.source_file);
        self.format.append_value(&ctx.format);
        self.position.append_value(r.line as i64);
        self.position_unit.append_value(r.unit.as_str());
        self.reason.append_value(&r.reason);
        self.raw.append_value(&r.raw);
        self.raw_len.append_value(r.raw_len as i64);
        self.ingested_at.append_value(now);
        self.ingest_date.append_value(date32_of(now));
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let c: Vec<ArrayRef> = vec![
            Arc::new(self.source_file.finish()),
            Arc::new(self.format.finish()),
            Arc::new(self.position.finish()),
            Arc::new(self.position_unit.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.raw.finish()),
            Arc::new(self.raw_len.finish()),
            Arc::new(self.ingested_at.finish()),
            Arc::new(self.ingest_date.finish()),
        ];
        self.len = 0;
        RecordBatch::try_new(EventTable::Quarantine.schema(), c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::Label;
    use datafusion::arrow::array::Array;

    fn ctx() -> FileContext {
        FileContext {
            source_file: "x.log".into(),
            sensor: Some("s1".into()),
            format: "zeek-tsv".into(),
        }
    }

    #[test]
    fn address_text_is_the_display_form() {
        let mut buf = String::new();
        for octet in [0u8, 1, 9, 10, 42, 99, 100, 109, 110, 199, 200, 255] {
            let ip = IpAddr::from([octet, 255 - octet, octet / 2, 7]);
            assert_eq!(ip_text(&ip, &mut buf), ip.to_string());
        }
        let v6: IpAddr = "2001:db8::ff00:42:8329".parse().unwrap();
        assert_eq!(ip_text(&v6, &mut buf), "2001:db8::ff00:42:8329");
        let mapped: IpAddr = "::ffff:192.0.2.128".parse().unwrap();
        assert_eq!(ip_text(&mapped, &mut buf), "192.0.2.128");
    }

    #[test]
    fn flow_batch_matches_schema_and_canonicalises_mapped_addresses() {
        let mut b = FlowBatch::default();
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        b.append(
            &ctx(),
            &Flow {
                line: 9,
                ts: 86_400_000_001,
                duration: Some(1.5),
                src_ip: mapped,
                src_port: Some(1234),
                dst_ip: "2001:db8::1".parse().unwrap(),
                dst_port: None,
                transport: "tcp".into(),
                service: None,
                src_bytes: Some(u64::MAX),
                dst_bytes: Some(5),
                src_pkts: None,
                dst_pkts: None,
                state: None,
                history: None,
                uid: None,
                sampling_rate: 0,
                sensor: None,
                label: Label::default(),
            },
        );
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        let src = batch
            .column_by_name("src_ip")
            .unwrap()
            .as_any()
            .downcast_ref::<datafusion::arrow::array::StringArray>()
            .unwrap();
        assert_eq!(src.value(0), "10.1.2.3");
        let bytes = batch
            .column_by_name("src_bytes")
            .unwrap()
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Int64Array>()
            .unwrap();
        assert!(
            bytes.is_null(0),
            "a counter past i64::MAX is stored as unknown"
        );
        let date = batch
            .column_by_name("event_date")
            .unwrap()
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Date32Array>()
            .unwrap();
        assert_eq!(date.value(0), 1);
        assert_eq!(b.len(), 0, "finish resets the builder");
    }

    #[test]
    fn every_table_has_a_partition_column_in_its_schema() {
        for t in EventTable::ALL {
            assert!(t.schema().field_with_name(t.partition_column()).is_ok());
            assert_eq!(EventTable::from_name(t.name()), Some(t));
        }
    }

    #[test]
    fn dates_before_the_epoch_round_down() {
        assert_eq!(date32_of(-1), -1);
        assert_eq!(date32_of(0), 0);
    }
}
