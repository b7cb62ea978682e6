//! The real Neo23x0 signature-base C2 list (`../shared/data/intel`).
//!
//! Counts cross-checked outside Rust:
//! `grep -v '^#' signature-base-c2-iocs.txt | grep -cv '^[[:space:]]*$'` → 1844
//! entries; of them `grep -cE '^[0-9.]+(;[0-9]+)?$'` → 135 IPv4 addresses and
//! the other 1709 domains; 1911 lines (the last without a newline), of which
//! 38 comments and 29 blank; `sort -u` of the entries → 1773 distinct. The
//! data README's "1,873" is not the number of entries in this file.

use std::collections::{BTreeMap, BTreeSet};

use borderscope_intel::{read_feed, FeedFormat, IndicatorKind};

#[test]
fn signature_base_c2_list() {
    let path = borderscope_testdata::require_shared!("intel/signature-base-c2-iocs.txt");
    let c = read_feed(&path).expect("the list is read");
    assert_eq!(c.format, FeedFormat::PlainList);
    assert!(c.rejections.is_empty(), "{:?}", c.rejections);
    assert_eq!(c.indicators.len(), 1844);
    assert_eq!(c.counts.records, 1911);
    assert_eq!(c.counts.skipped, 38 + 29);

    // An independent count: every line that is neither blank nor a comment.
    let text = std::fs::read_to_string(&path).unwrap();
    let entries = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(c.indicators.len(), entries);

    let mut kinds: BTreeMap<IndicatorKind, usize> = BTreeMap::new();
    for i in &c.indicators {
        *kinds.entry(i.kind).or_default() += 1;
    }
    assert_eq!(
        kinds,
        BTreeMap::from([(IndicatorKind::Ip, 135), (IndicatorKind::Domain, 1709)])
    );
    let distinct: BTreeSet<&str> = c.indicators.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(distinct.len(), 1773, "71 values are listed more than once");

    // Every entry sits under a heading naming its campaign.
    assert!(c.indicators.iter().all(|i| i.campaign.is_some()));
    let mut per_campaign: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &c.indicators {
        *per_campaign
            .entry(i.campaign.as_deref().unwrap())
            .or_default() += 1;
    }
    // 27 headings; the two "NOBELIUM IOCS - <url>" differ only by their link.
    assert_eq!(per_campaign.len(), 26);
    let headings: BTreeSet<(Option<&str>, Option<&str>)> = c
        .indicators
        .iter()
        .map(|i| (i.campaign.as_deref(), i.reference.as_deref()))
        .collect();
    assert_eq!(headings.len(), 27);
    assert_eq!(per_campaign["APT10 C2 IOCs - Source: AlienVault OTX"], 1433);
    assert_eq!(per_campaign["FireEye Operation Snowman"], 17);
    assert_eq!(per_campaign["Monero Mining Pools"], 20);
    assert_eq!(
        per_campaign["NOBELIUM IOCS"],
        44 + 4,
        "two NOBELIUM IOCS blocks"
    );

    let first = &c.indicators[0];
    assert_eq!(
        (first.value.as_str(), first.source_line),
        ("suroot.com", 13)
    );
    assert_eq!(first.campaign.as_deref(), Some("FireEye Operation Snowman"));
    assert_eq!(first.reference.as_deref(), Some("https://goo.gl/x1v7mT"));
    assert_eq!(first.threat, "botnet_cc");

    // The last block carries LOKI/THOR scores: `176.123.5.126;65`.
    let cleo: Vec<_> = c
        .indicators
        .iter()
        .filter(|i| i.campaign.as_deref() == Some("Cleo Software Exploitation"))
        .collect();
    assert_eq!(cleo.len(), 6);
    assert!(cleo
        .iter()
        .all(|i| i.kind == IndicatorKind::Ip && i.confidence == Some(65)));
    assert_eq!(
        c.indicators
            .iter()
            .filter(|i| i.confidence.is_some())
            .count(),
        6
    );
}
