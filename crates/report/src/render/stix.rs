//! The report as a STIX 2.1 bundle: for every counted control server,
//! phishing page and backdoor implanter, an indicator of its address or URL,
//! the infrastructure it belongs to (command-and-control, phishing) and a
//! sighting in the target country with the report's counts.
//!
//! Identifiers are derived from the content (a SHA-256 of the object's kind
//! and value laid out as a UUID), and times from the rows and the period, so
//! the same report gives the same bundle byte for byte.

use std::collections::HashSet;
use std::io::Write;

use anyhow::Result;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::table::Table;
use crate::Report;

pub fn write(r: &Report, out: &mut dyn Write) -> Result<()> {
    let bundle = bundle(r);
    serde_json::to_writer_pretty(&mut *out, &bundle)?;
    writeln!(out)?;
    Ok(())
}

/// Everything shares one creation time: the end of the period.
struct Ctx {
    created: String,
    identity: String,
    location: String,
    objects: Vec<Value>,
    ids: HashSet<String>,
}

fn bundle(r: &Report) -> Value {
    let created = format!("{}T23:59:59.000Z", r.period.to);
    let identity = stix_id("identity", "borderscope");
    let location = stix_id("location", &r.target.code);
    let mut cx = Ctx {
        created: created.clone(),
        identity: identity.clone(),
        location: location.clone(),
        objects: Vec::new(),
        ids: HashSet::new(),
    };
    cx.push(json!({
        "type": "identity", "spec_version": "2.1", "id": identity,
        "created": created, "modified": created,
        "name": "borderscope", "identity_class": "system",
        "description": "Cross-border figures from security telemetry; every count reproducible by SQL."
    }));
    cx.push(json!({
        "type": "location", "spec_version": "2.1", "id": location,
        "created": created, "modified": created, "created_by_ref": cx.identity,
        "name": r.target.name, "country": r.target.code
    }));
    for t in &r.listed {
        match t.title.as_str() {
            "Counted control servers" => c2(&mut cx, t),
            "Counted phishing pages" => phishing(&mut cx, t),
            "Counted backdoor implanters" => implanters(&mut cx, t),
            _ => {}
        }
    }
    let bundle_id = stix_id(
        "bundle",
        &format!(
            "{}|{}|{}|{}",
            r.period.from,
            r.period.to,
            r.target.code,
            r.source.as_ref().map_or("*", |s| s.code.as_str())
        ),
    );
    json!({ "type": "bundle", "id": bundle_id, "objects": cx.objects })
}

fn c2(cx: &mut Ctx, t: &Table) {
    for row in 0..t.rows.len() {
        let Some(ip) = text(t, row, "ip") else {
            continue;
        };
        let family = text(t, row, "family");
        let name = match &family {
            Some(f) => format!("{f} control server {ip}"),
            None => format!("control server {ip}"),
        };
        let infra = cx.infrastructure("command-and-control", &ip, &name);
        let indicator = cx.indicator(&ip_pattern(&ip), &name, t, row);
        cx.relate(&indicator, "indicates", &infra);
        cx.sighting(&indicator, t, row, t.count(row, "hosts"));
    }
}

fn phishing(cx: &mut Ctx, t: &Table) {
    for row in 0..t.rows.len() {
        let (Some(url), Some(ip)) = (text(t, row, "url"), text(t, row, "ip")) else {
            continue;
        };
        let brand = text(t, row, "brand").unwrap_or_default();
        let name = format!("phishing page impersonating {brand}: {url}");
        let infra = cx.infrastructure("phishing", &ip, &format!("phishing host {ip}"));
        let indicator = cx.indicator(&url_pattern(&url), &name, t, row);
        cx.relate(&indicator, "indicates", &infra);
        cx.sighting(&indicator, t, row, 1);
    }
}

fn implanters(cx: &mut Ctx, t: &Table) {
    for row in 0..t.rows.len() {
        let Some(ip) = text(t, row, "ip") else {
            continue;
        };
        let name = format!("backdoor implanter {ip}");
        let infra = cx.infrastructure("unknown", &ip, &name);
        let indicator = cx.indicator(&ip_pattern(&ip), &name, t, row);
        cx.relate(&indicator, "indicates", &infra);
        cx.sighting(&indicator, t, row, t.count(row, "websites"));
    }
}

impl Ctx {
    /// Adds an object unless one with its id is already in the bundle (a
    /// server or page that several rows name is one object).
    fn push(&mut self, object: Value) {
        let id = object["id"].as_str().unwrap_or_default().to_string();
        if self.ids.insert(id) {
            self.objects.push(object);
        }
    }

    fn infrastructure(&mut self, kind: &str, ip: &str, name: &str) -> String {
        let id = stix_id("infrastructure", &format!("{kind}|{ip}"));
        self.push(json!({
            "type": "infrastructure", "spec_version": "2.1", "id": id,
            "created": self.created, "modified": self.created,
            "created_by_ref": self.identity,
            "name": name,
            "description": format!("{name}, seen in the telemetry behind a borderscope report"),
            "infrastructure_types": [kind]
        }));
        id
    }

    fn indicator(&mut self, pattern: &str, name: &str, t: &Table, row: usize) -> String {
        let id = stix_id("indicator", pattern);
        let valid_from = stix_time(t, row, "first_seen").unwrap_or_else(|| self.created.clone());
        self.push(json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": self.created, "modified": self.created,
            "created_by_ref": self.identity,
            "name": name,
            "description": format!("{name}: a finding of borderscope's report; its evidence and the SQL behind it are in the report"),
            "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix", "valid_from": valid_from
        }));
        id
    }

    fn relate(&mut self, from: &str, kind: &str, to: &str) {
        let id = stix_id("relationship", &format!("{from}|{kind}|{to}"));
        self.push(json!({
            "type": "relationship", "spec_version": "2.1", "id": id,
            "created": self.created, "modified": self.created,
            "created_by_ref": self.identity,
            "relationship_type": kind, "source_ref": from, "target_ref": to
        }));
    }

    /// Seen in the target country, `count` times (hosts, pages or websites).
    fn sighting(&mut self, indicator: &str, t: &Table, row: usize, count: u64) {
        let id = stix_id("sighting", indicator);
        let mut s = json!({
            "type": "sighting", "spec_version": "2.1", "id": id,
            "created": self.created, "modified": self.created,
            "created_by_ref": self.identity,
            "sighting_of_ref": indicator,
            "where_sighted_refs": [self.location],
            "count": count.min(999_999_999)
        });
        let first = stix_time(t, row, "first_seen");
        let last = stix_time(t, row, "last_seen");
        if let (Some(f), Some(l)) = (first, last) {
            s["first_seen"] = f.into();
            s["last_seen"] = l.into();
        }
        self.push(s);
    }
}

fn text(t: &Table, row: usize, col: &str) -> Option<String> {
    t.get(row, col)?.as_str().map(str::to_string)
}

/// Arrow prints `2026-03-19T10:00:00Z` or with fractions; STIX wants
/// millisecond precision with a `Z`.
fn stix_time(t: &Table, row: usize, col: &str) -> Option<String> {
    let s = text(t, row, col)?;
    let s = s.trim_end_matches('Z');
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.len() != 19 {
        return None;
    }
    let millis: String = frac.chars().chain("000".chars()).take(3).collect();
    Some(format!("{secs}.{millis}Z"))
}

fn ip_pattern(ip: &str) -> String {
    let kind = if ip.contains(':') {
        "ipv6-addr"
    } else {
        "ipv4-addr"
    };
    format!("[{kind}:value = '{}']", escape(ip))
}

fn url_pattern(url: &str) -> String {
    format!("[url:value = '{}']", escape(url))
}

/// STIX pattern strings escape `\` and `'`.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// `type--uuid` from a hash of the object's identity, laid out as a
/// version-4-shaped UUID so validators accept it.
fn stix_id(kind: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("borderscope|{kind}|{key}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{kind}--{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_uuids() {
        let a = stix_id("indicator", "x");
        assert_eq!(a, stix_id("indicator", "x"));
        assert_ne!(a, stix_id("indicator", "y"));
        let uuid = a.strip_prefix("indicator--").unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }

    #[test]
    fn patterns_escape_quotes() {
        assert_eq!(
            url_pattern("http://a/b'c"),
            "[url:value = 'http://a/b\\'c']"
        );
        assert_eq!(
            ip_pattern("2001:db8::1"),
            "[ipv6-addr:value = '2001:db8::1']"
        );
    }
}
