//! Plain indicator lists: one IP, CIDR network, domain or URL per line, as
//! published with reports and as LOKI/THOR read them (Neo23x0
//! signature-base `c2-iocs.txt`).
//!
//! - `#` starts a comment line. The comment line directly above a block of
//!   entries names the block's `campaign`; a URL in it becomes the entries'
//!   `reference` (`# Sofacy report Dec 2015 https://goo.gl/WSvEM8`). A blank
//!   line ends the block, so a file's introductory comments name nothing.
//! - `value # comment` and `value;comment` are allowed. LOKI/THOR write a
//!   score after `;` (`192.0.2.1;65`): a number from 0 to 100 there is kept as
//!   the `confidence`.
//! - `ip:port` and `host:port` give a port. Defanged values (`example[.]com`,
//!   `hxxp://`) are re-fanged so they match traffic.
//! - Every entry gets the threat of [`LoadOptions::threat`], `botnet_cc` by
//!   default: a list says nothing of what its entries are.

use std::collections::HashSet;
use std::io::BufRead;

use borderscope_schema::Rejection;

use super::{for_each_line, Out};
use crate::csv::comment_text;
use crate::indicator::{threat, Feed, Indicator, IndicatorKind};
use crate::normalise::{
    classify, looks_like_url, normalise_threat, parse_confidence, refang, Value,
};
use crate::LoadOptions;

/// A list is recognised when at least two thirds of the entries in the head
/// parse: a real list may have a few bad lines (which are quarantined), while
/// CSV rows, log lines and prose never parse as single values.
pub(super) fn sniff(head: &str) -> bool {
    let (mut good, mut bad) = (0usize, 0usize);
    for line in head.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_entry(line) {
            Ok(_) => good += 1,
            Err(_) => bad += 1,
        }
    }
    good > 0 && bad * 2 <= good
}

pub(super) fn read(input: &mut dyn BufRead, opts: &LoadOptions, out: &mut Out<'_>) {
    let threat = opts
        .threat
        .as_deref()
        .map_or(threat::BOTNET_CC.into(), normalise_threat);
    let mut heading: Option<Heading> = None;
    let mut seen: HashSet<(IndicatorKind, String)> = HashSet::new();
    for_each_line(input, opts, out, |n, text, out| {
        let line = text.trim();
        if line.is_empty() {
            heading = None;
            return out.skip();
        }
        if let Some(comment) = comment_text(line) {
            if !comment.is_empty() {
                heading = Some(Heading::parse(comment));
            }
            return out.skip();
        }
        match parse_entry(line) {
            Ok(entry) => {
                let ind = entry.indicator(&threat, heading.as_ref(), n, out);
                if !seen.insert((ind.kind, ind.value.clone())) {
                    out.tally("values listed more than once (each occurrence kept, with its line and campaign)");
                }
                out.accept(vec![ind]);
            }
            Err(reason) => out.reject(Rejection::at_line(n, reason, text.as_bytes())),
        }
    });
    if out.counts.accepted > 0 && opts.threat.is_none() {
        out.note(format!(
            "a plain list says nothing of its entries' threat: `{threat}` assumed (set the threat option to say otherwise)"
        ));
    }
}

/// The campaign and reference a comment line gives the block below it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Heading {
    campaign: Option<String>,
    reference: Option<String>,
}

impl Heading {
    fn parse(comment: &str) -> Heading {
        let is_url = |w: &&str| w.starts_with("http://") || w.starts_with("https://");
        let reference = comment.split_whitespace().find(is_url).map(str::to_string);
        let words: Vec<&str> = comment.split_whitespace().filter(|w| !is_url(w)).collect();
        // "NOBELIUM IOCS - https://..." names "NOBELIUM IOCS".
        let campaign = words
            .join(" ")
            .trim_end_matches([' ', '-', ':', '|', ',', '–'])
            .to_string();
        Heading {
            campaign: (!campaign.is_empty()).then_some(campaign),
            reference,
        }
    }
}

/// One parsed list entry.
#[derive(Debug)]
struct ListEntry {
    value: Value,
    confidence: Option<u8>,
    refanged: bool,
}

impl ListEntry {
    fn indicator(
        self,
        threat: &str,
        heading: Option<&Heading>,
        line: u64,
        out: &mut Out<'_>,
    ) -> Indicator {
        let (kind, value, port) = match self.value {
            Value::Host(h, port) => (h.kind(), h.value(), port),
            Value::Cidr(net) => (IndicatorKind::Cidr, net.to_string(), None),
            Value::Url(u) => (IndicatorKind::Url, u.text, u.port),
        };
        let mut ind = Indicator::new(kind, value, threat, Feed::List, line);
        ind.port = port;
        ind.confidence = self.confidence;
        if self.confidence.is_some() {
            out.tally("entries with a LOKI/THOR score after `;`, kept as confidence");
        }
        if self.refanged {
            out.tally("defanged values re-fanged");
        }
        if let Some(h) = heading {
            ind.campaign = h.campaign.clone();
            ind.reference = h.reference.clone();
        }
        ind
    }
}

fn parse_entry(line: &str) -> Result<ListEntry, String> {
    let (value, suffix) = split_suffix(strip_inline_comment(line));
    let value = value.trim();
    if value.is_empty() {
        return Err("no value before the comment".into());
    }
    if value.contains(char::is_whitespace) {
        return Err(format!("`{value}`: more than one value on the line"));
    }
    let fanged = refang(value);
    Ok(ListEntry {
        value: classify(&fanged)?,
        // Anything else after `;` is a comment, which costs the entry nothing.
        confidence: suffix.and_then(|s| parse_confidence(s).ok().flatten()),
        refanged: fanged != value,
    })
}

/// The line without a ` # comment`. A `#` not preceded by a blank is part of
/// the value (a URL fragment).
fn strip_inline_comment(line: &str) -> &str {
    line.char_indices()
        .find(|&(i, c)| c == '#' && line[..i].ends_with(char::is_whitespace))
        .map_or(line, |(i, _)| &line[..i])
        .trim()
}

/// Splits `value;comment`. URLs may contain `;` themselves, so only a
/// trailing score is split off them.
fn split_suffix(text: &str) -> (&str, Option<&str>) {
    if looks_like_url(text) {
        return match text.rsplit_once(';') {
            Some((v, s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => (v, Some(s)),
            _ => (text, None),
        };
    }
    match text.split_once(';') {
        Some((v, s)) => (v, Some(s.trim())),
        None => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_split_campaign_and_reference() {
        let h = Heading::parse("NOBELIUM IOCS - https://example.org/report");
        assert_eq!(h.campaign.as_deref(), Some("NOBELIUM IOCS"));
        assert_eq!(h.reference.as_deref(), Some("https://example.org/report"));
        let h = Heading::parse("APT10 C2 IOCs - Source: AlienVault OTX");
        assert_eq!(
            h.campaign.as_deref(),
            Some("APT10 C2 IOCs - Source: AlienVault OTX")
        );
        assert_eq!(h.reference, None);
        let h = Heading::parse("https://example.org/only-a-link");
        assert_eq!(h.campaign, None);
    }

    #[test]
    fn entries_with_comments_scores_and_ports() {
        let e = parse_entry("192.0.2.1;65").unwrap();
        assert_eq!(e.confidence, Some(65));
        let e = parse_entry("c2.example.com ; seen in March").unwrap();
        assert_eq!(e.confidence, None);
        assert!(matches!(e.value, Value::Host(_, None)));
        let e = parse_entry("198.51.100.3:8080 # panel").unwrap();
        assert!(matches!(e.value, Value::Host(_, Some(8080))));
        let e = parse_entry("http://example.net/a;b=1#top").unwrap();
        match e.value {
            Value::Url(u) => assert_eq!(u.text, "http://example.net/a;b=1#top"),
            v => panic!("{v:?}"),
        }
        let e = parse_entry("http://example.net/x;80").unwrap();
        assert_eq!(e.confidence, Some(80));
        assert!(parse_entry("evil[.]example[.]com").unwrap().refanged);
        assert!(parse_entry("two values.example.com").is_err());
        assert!(parse_entry("; only a comment").is_err());
        assert!(parse_entry("192.0.2.300").is_err());
    }
}
