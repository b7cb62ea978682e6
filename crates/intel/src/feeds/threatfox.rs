//! abuse.ch ThreatFox: IOCs with their type, threat, malware family and
//! confidence. JSON export (an object keyed by IOC id, each value an array of
//! records with `ioc_value`), the API answer (`{"query_status", "data": [...]}`
//! with `ioc`), and the CSV export (header inside a `#` comment, fields
//! separated by `", "`). `ip:port` IOCs become an IP with its port; file hashes
//! have nothing to match in network telemetry and are skipped (counted).

use serde_json::{Map, Value};

use super::{field, json, json_with_keys, CsvFeed, Entry};
use crate::csv::Header;
use crate::indicator::{Feed, Indicator, IndicatorKind};
use crate::normalise::{
    self, ip_text, normalise_threat, opt_time, parse_confidence, parse_domain, parse_url,
    split_host_port, Host,
};

pub(super) fn sniff_csv(head: &str) -> bool {
    super::sniff_csv::<Csv>(head)
}

pub(super) fn sniff_json(head: &str) -> bool {
    json_with_keys(head, &['{', '['], &["ioc_type"])
        && (head.contains("\"ioc_value\"") || head.contains("\"ioc\""))
}

/// One IOC as any of the layouts gives it.
#[derive(Default)]
struct Ioc {
    id: Option<String>,
    value: Option<String>,
    ioc_type: Option<String>,
    threat: Option<String>,
    /// `malware_printable` (`Agent Tesla`), else the Malpedia name
    /// (`win.agent_tesla`).
    family: Option<String>,
    confidence: Option<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    tags: Vec<String>,
    reference: Option<String>,
}

/// ThreatFox's placeholder family, which says nothing.
const UNKNOWN_FAMILY: &str = "Unknown malware";

impl Ioc {
    fn indicators(self, line: u64) -> Result<Entry, String> {
        let value = self
            .value
            .as_deref()
            .ok_or("no IOC value (ioc_value / ioc)")?;
        let ioc_type = self.ioc_type.as_deref().unwrap_or("").to_ascii_lowercase();
        let (kind, value, port) = match ioc_type.as_str() {
            "ip:port" => ip_port(value)?,
            "ip" => (
                IndicatorKind::Ip,
                ip_text(normalise::parse_ip(value)?),
                None,
            ),
            "domain" => (IndicatorKind::Domain, parse_domain(value)?, None),
            "url" => {
                let url = parse_url(value)?;
                (IndicatorKind::Url, url.text, url.port)
            }
            t if t.ends_with("_hash") || t == "md5" || t.starts_with("sha") => {
                return Ok(Entry::Skip(format!(
                    "file-hash IOCs skipped ({t}: nothing to match in network telemetry)"
                )));
            }
            t => {
                return Ok(Entry::Skip(format!(
                    "IOCs of a type with no indicator kind skipped (ioc_type `{t}`)"
                )));
            }
        };
        let threat = self
            .threat
            .as_deref()
            .map_or("unknown".into(), normalise_threat);
        let mut ind = Indicator::new(kind, value, threat, Feed::ThreatFox, line);
        ind.port = port;
        ind.family = self.family.filter(|f| f != UNKNOWN_FAMILY);
        ind.confidence = self
            .confidence
            .as_deref()
            .map(parse_confidence)
            .transpose()?
            .flatten();
        ind.first_seen = opt_time(self.first_seen.as_deref())?;
        ind.last_seen = opt_time(self.last_seen.as_deref())?;
        ind.tags = self.tags;
        // The reporter's reference when there is one, else ThreatFox's own page.
        ind.reference = self.reference.or_else(|| {
            self.id
                .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
                .map(|id| format!("https://threatfox.abuse.ch/ioc/{id}/"))
        });
        Ok(Entry::Indicators(vec![ind]))
    }
}

fn ip_port(value: &str) -> Result<(IndicatorKind, String, Option<u16>), String> {
    match split_host_port(value.trim()) {
        Ok((Host::Ip(ip), port)) => Ok((IndicatorKind::Ip, ip_text(ip), port)),
        Ok((Host::Domain(_), _)) | Err(_) => {
            Err(format!("ip:port `{value}`: not an IP address with a port"))
        }
    }
}

pub(super) struct Csv;

pub(super) struct Columns {
    id: Option<usize>,
    value: usize,
    ioc_type: usize,
    threat: Option<usize>,
    malware: Option<usize>,
    printable: Option<usize>,
    confidence: Option<usize>,
    first_seen: Option<usize>,
    last_seen: Option<usize>,
    tags: Option<usize>,
    reference: Option<usize>,
}

impl CsvFeed for Csv {
    type Columns = Columns;

    fn columns(h: &Header) -> Option<Columns> {
        Some(Columns {
            id: h.find(&["ioc_id", "id"]),
            value: h.find(&["ioc_value", "ioc"])?,
            ioc_type: h.find(&["ioc_type"])?,
            threat: h.find(&["threat_type"]),
            malware: h.find(&["fk_malware", "malware"]),
            printable: h.find(&["malware_printable"]),
            confidence: h.find(&["confidence_level"]),
            first_seen: h.find(&["first_seen_utc", "first_seen"]),
            last_seen: h.find(&["last_seen_utc", "last_seen"]),
            tags: h.find(&["tags"]),
            reference: h.find(&["reference"]),
        })
    }

    fn row(c: &Columns, fields: &[String], line: u64) -> Result<Entry, String> {
        let get = |col: Option<usize>| field(fields, col).map(str::to_string);
        Ioc {
            id: get(c.id),
            value: get(Some(c.value)),
            ioc_type: get(Some(c.ioc_type)),
            threat: get(c.threat),
            family: get(c.printable).or_else(|| get(c.malware)),
            confidence: get(c.confidence),
            first_seen: get(c.first_seen),
            last_seen: get(c.last_seen),
            tags: normalise::split_tags(field(fields, c.tags)),
            reference: get(c.reference),
        }
        .indicators(line)
    }
}

pub(super) fn json_record(r: &Map<String, Value>, line: u64) -> Result<Entry, String> {
    let get = |keys: &[&str]| json::text(r, keys);
    Ioc {
        id: get(&["id", "ioc_id"]),
        value: get(&["ioc_value", "ioc"]),
        ioc_type: get(&["ioc_type"]),
        threat: get(&["threat_type"]),
        family: get(&["malware_printable", "malware"]),
        confidence: get(&["confidence_level"]),
        first_seen: get(&["first_seen_utc", "first_seen"]),
        last_seen: get(&["last_seen_utc", "last_seen"]),
        tags: json::tags(r, "tags"),
        reference: get(&["reference"]),
    }
    .indicators(line)
}
