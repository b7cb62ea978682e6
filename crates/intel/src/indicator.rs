//! The `intel` table: one row per indicator, its Arrow schema and the builder
//! that turns [`Indicator`]s into record batches.
//!
//! Types follow the store's conventions (`crates/schema/src/tables.rs`): Delta
//! has no unsigned integers, so ports and confidences are `Int32`; times are
//! microseconds in UTC; addresses are canonical text so any engine can join
//! them against the event tables.

use std::sync::Arc;

use borderscope_schema::Micros;
use datafusion::arrow::array::{
    ArrayRef, Int32Builder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

/// Name of the table in the store.
pub const INTEL_TABLE: &str = "intel";

/// What an indicator's `value` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndicatorKind {
    /// One address, canonical text (`192.0.2.1`, `2001:db8::1`).
    Ip,
    /// A network, normalised to its network address (`192.0.2.0/24`).
    Cidr,
    /// A host name, ASCII lower-case, no trailing dot.
    Domain,
    /// A URL as the feed gave it (trimmed).
    Url,
}

impl IndicatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "ip",
            IndicatorKind::Cidr => "cidr",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
        }
    }
}

/// The feed an indicator came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feed {
    /// abuse.ch Feodo Tracker (botnet C2 IP blocklist).
    Feodo,
    /// abuse.ch ThreatFox.
    ThreatFox,
    /// abuse.ch URLhaus.
    Urlhaus,
    /// A plain list of IPs, networks, domains or URLs.
    List,
}

impl Feed {
    pub fn as_str(self) -> &'static str {
        match self {
            Feed::Feodo => "feodo",
            Feed::ThreatFox => "threatfox",
            Feed::Urlhaus => "urlhaus",
            Feed::List => "list",
        }
    }
}

/// Well-known threat words; a feed's own word is kept when it is none of these.
pub mod threat {
    pub const BOTNET_CC: &str = "botnet_cc";
    pub const MALWARE_DOWNLOAD: &str = "malware_download";
    pub const PHISHING: &str = "phishing";
    pub const PAYLOAD_DELIVERY: &str = "payload_delivery";
}

/// One indicator of one feed entry. The file it came from and the load time are
/// per file, given to [`IndicatorBatch::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub kind: IndicatorKind,
    /// Normalised value (see [`IndicatorKind`]).
    pub value: String,
    pub port: Option<u16>,
    /// `botnet_cc`, `malware_download`, `phishing`, `payload_delivery`, or the
    /// feed's own word (lower-case, `_` for spaces).
    pub threat: String,
    /// Malware family, as the feed prints it (`Dridex`, `Agent Tesla`).
    pub family: Option<String>,
    /// 0-100 where the feed gives one.
    pub confidence: Option<u8>,
    pub first_seen: Option<Micros>,
    pub last_seen: Option<Micros>,
    pub feed: Feed,
    /// Campaign or report the entry belongs to (the comment heading a block of
    /// a plain list).
    pub campaign: Option<String>,
    pub tags: Vec<String>,
    /// Where the feed says more about the entry (a report or feed page URL).
    pub reference: Option<String>,
    /// 1-based line of the entry; for JSON feeds the line its object opens on.
    pub source_line: u64,
}

impl Indicator {
    /// An indicator with only the required fields; the rest start empty.
    pub fn new(
        kind: IndicatorKind,
        value: impl Into<String>,
        threat: impl Into<String>,
        feed: Feed,
        source_line: u64,
    ) -> Self {
        Indicator {
            kind,
            value: value.into(),
            port: None,
            threat: threat.into(),
            family: None,
            confidence: None,
            first_seen: None,
            last_seen: None,
            feed,
            campaign: None,
            tags: Vec::new(),
            reference: None,
            source_line,
        }
    }
}

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Arrow schema of the `intel` table (not partitioned: feeds are small next to
/// telemetry, and every detector reads all of it).
pub fn schema() -> SchemaRef {
    let f = Field::new;
    let tags = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    Arc::new(Schema::new(vec![
        f("kind", DataType::Utf8, false),
        f("value", DataType::Utf8, false),
        f("port", DataType::Int32, true),
        f("threat", DataType::Utf8, false),
        f("family", DataType::Utf8, true),
        f("confidence", DataType::Int32, true),
        f("first_seen", ts_type(), true),
        f("last_seen", ts_type(), true),
        f("feed", DataType::Utf8, false),
        f("campaign", DataType::Utf8, true),
        f("tags", tags, false),
        f("reference", DataType::Utf8, true),
        f("source_file", DataType::Utf8, false),
        f("source_line", DataType::Int64, false),
        f("loaded_at", ts_type(), false),
    ]))
}

fn ts_builder() -> TimestampMicrosecondBuilder {
    TimestampMicrosecondBuilder::new().with_timezone("UTC")
}

/// Builds `intel` record batches.
pub struct IndicatorBatch {
    kind: StringBuilder,
    value: StringBuilder,
    port: Int32Builder,
    threat: StringBuilder,
    family: StringBuilder,
    confidence: Int32Builder,
    first_seen: TimestampMicrosecondBuilder,
    last_seen: TimestampMicrosecondBuilder,
    feed: StringBuilder,
    campaign: StringBuilder,
    tags: ListBuilder<StringBuilder>,
    reference: StringBuilder,
    source_file: StringBuilder,
    source_line: Int64Builder,
    loaded_at: TimestampMicrosecondBuilder,
    len: usize,
}

impl Default for IndicatorBatch {
    fn default() -> Self {
        IndicatorBatch {
            kind: StringBuilder::new(),
            value: StringBuilder::new(),
            port: Int32Builder::new(),
            threat: StringBuilder::new(),
            family: StringBuilder::new(),
            confidence: Int32Builder::new(),
            first_seen: ts_builder(),
            last_seen: ts_builder(),
            feed: StringBuilder::new(),
            campaign: StringBuilder::new(),
            tags: ListBuilder::new(StringBuilder::new()),
            reference: StringBuilder::new(),
            source_file: StringBuilder::new(),
            source_line: Int64Builder::new(),
            loaded_at: ts_builder(),
            len: 0,
        }
    }
}

impl IndicatorBatch {
    /// Appends one row. `loaded_at` is passed in so a whole load shares one
    /// instant.
    pub fn append(&mut self, source_file: &str, loaded_at: Micros, r: &Indicator) {
        self.kind.append_value(r.kind.as_str());
        self.value.append_value(&r.value);
        self.port.append_option(r.port.map(i32::from));
        self.threat.append_value(&r.threat);
        self.family.append_option(r.family.as_deref());
        self.confidence.append_option(r.confidence.map(i32::from));
        self.first_seen.append_option(r.first_seen);
        self.last_seen.append_option(r.last_seen);
        self.feed.append_value(r.feed.as_str());
        self.campaign.append_option(r.campaign.as_deref());
        for t in &r.tags {
            self.tags.values().append_value(t);
        }
        self.tags.append(true);
        self.reference.append_option(r.reference.as_deref());
        self.source_file.append_value(source_file);
        self.source_line.append_value(r.source_line as i64);
        self.loaded_at.append_value(loaded_at);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The rows appended since the last call, as a batch; the builder is empty
    /// afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.kind.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.port.finish()),
            Arc::new(self.threat.finish()),
            Arc::new(self.family.finish()),
            Arc::new(self.confidence.finish()),
            Arc::new(self.first_seen.finish()),
            Arc::new(self.last_seen.finish()),
            Arc::new(self.feed.finish()),
            Arc::new(self.campaign.finish()),
            Arc::new(self.tags.finish()),
            Arc::new(self.reference.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.source_line.finish()),
            Arc::new(self.loaded_at.finish()),
        ];
        self.len = 0;
        RecordBatch::try_new(schema(), cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, ListArray, StringArray};

    #[test]
    fn a_batch_matches_the_schema_and_resets() {
        let mut b = IndicatorBatch::default();
        let mut ind = Indicator::new(IndicatorKind::Ip, "192.0.2.7", "botnet_cc", Feed::Feodo, 3);
        ind.tags = vec!["a".into(), "b".into()];
        ind.port = Some(443);
        b.append("feed.csv", 1, &ind);
        b.append(
            "feed.csv",
            1,
            &Indicator::new(IndicatorKind::Domain, "c2.example.com", "x", Feed::List, 4),
        );
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), schema());
        let tags = batch
            .column_by_name("tags")
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        assert_eq!(tags.value(0).len(), 2);
        assert_eq!(tags.value(1).len(), 0);
        let kind = batch
            .column_by_name("kind")
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!((kind.value(0), kind.value(1)), ("ip", "domain"));
        assert!(b.is_empty());
    }
}
