//! abuse.ch Feodo Tracker, the botnet C2 IP blocklist: CSV (current layout
//! `first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware` and the
//! older `Firstseen,DstIP,DstPort,LastOnline,Malware`, the header inside a
//! `#` comment) and JSON (an array of `ip_address, port, status, hostname,
//! as_number, as_name, country, first_seen, last_online, malware`).
//! Every entry is a `botnet_cc` IP; a JSON `hostname` adds a domain indicator.

use serde_json::{Map, Value};

use super::{field, json, json_with_keys, CsvFeed, Entry};
use crate::csv::Header;
use crate::indicator::{threat, Feed, Indicator, IndicatorKind};
use crate::normalise::{ip_text, opt_time, parse_domain, parse_ip, parse_port};

pub(super) fn sniff_csv(head: &str) -> bool {
    super::sniff_csv::<Csv>(head)
}

pub(super) fn sniff_json(head: &str) -> bool {
    json_with_keys(head, &['['], &["ip_address", "malware"]) && !head.contains("\"ioc_type\"")
}

/// One C2 as either layout gives it.
struct C2<'a> {
    ip: Option<&'a str>,
    port: Option<&'a str>,
    hostname: Option<&'a str>,
    first_seen: Option<&'a str>,
    last_online: Option<&'a str>,
    malware: Option<&'a str>,
}

impl C2<'_> {
    fn indicators(&self, line: u64) -> Result<Entry, String> {
        let ip = parse_ip(self.ip.ok_or("no C2 address (dst_ip / ip_address)")?)?;
        let mut ip_ind = Indicator::new(
            IndicatorKind::Ip,
            ip_text(ip),
            threat::BOTNET_CC,
            Feed::Feodo,
            line,
        );
        ip_ind.port = self.port.map(parse_port).transpose()?;
        ip_ind.family = self.malware.map(str::to_string);
        ip_ind.first_seen = opt_time(self.first_seen)?;
        // Feodo's last_online is the last day the C2 answered: the last sighting.
        ip_ind.last_seen = opt_time(self.last_online)?;
        let mut out = vec![ip_ind];
        // A hostname that is not a name (some rows carry junk) does not make
        // the C2 address any less known: the address is kept either way.
        if let Some(name) = self.hostname.and_then(|h| parse_domain(h).ok()) {
            let mut dom = out[0].clone();
            dom.kind = IndicatorKind::Domain;
            dom.value = name;
            out.push(dom);
        }
        Ok(Entry::Indicators(out))
    }
}

pub(super) struct Csv;

pub(super) struct Columns {
    ip: usize,
    port: Option<usize>,
    first_seen: Option<usize>,
    last_online: Option<usize>,
    malware: Option<usize>,
}

impl CsvFeed for Csv {
    type Columns = Columns;

    fn columns(h: &Header) -> Option<Columns> {
        if !h.has_all(&["malware"]) {
            return None;
        }
        Some(Columns {
            ip: h.find(&["dst_ip"])?,
            port: h.find(&["dst_port"]),
            first_seen: h.find(&["first_seen_utc", "firstseen"]),
            last_online: h.find(&["last_online"]),
            malware: h.find(&["malware"]),
        })
    }

    fn row(c: &Columns, fields: &[String], line: u64) -> Result<Entry, String> {
        C2 {
            ip: field(fields, Some(c.ip)),
            port: field(fields, c.port),
            hostname: None,
            first_seen: field(fields, c.first_seen),
            last_online: field(fields, c.last_online),
            malware: field(fields, c.malware),
        }
        .indicators(line)
    }
}

pub(super) fn json_record(r: &Map<String, Value>, line: u64) -> Result<Entry, String> {
    let get = |k: &str| json::text(r, &[k]);
    let (ip, port, hostname) = (get("ip_address"), get("port"), get("hostname"));
    let (first_seen, last_online, malware) =
        (get("first_seen"), get("last_online"), get("malware"));
    C2 {
        ip: ip.as_deref(),
        port: port.as_deref(),
        hostname: hostname.as_deref(),
        first_seen: first_seen.as_deref(),
        last_online: last_online.as_deref(),
        malware: malware.as_deref(),
    }
    .indicators(line)
}
