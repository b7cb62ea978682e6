//! Each feed layout from in-memory samples: what becomes an indicator, what is
//! rejected and why, compression, and recognition from content.

mod samples;

use std::io::{Cursor, Write};

use borderscope_intel::{
    read_from, sniff, FeedContents, FeedFormat, IndicatorKind, LoadOptions, ReadError, URL_HOST_TAG,
};
use samples::*;

fn read(bytes: impl AsRef<[u8]>) -> FeedContents {
    read_with(bytes, &LoadOptions::default())
}

fn read_with(bytes: impl AsRef<[u8]>, opts: &LoadOptions) -> FeedContents {
    let c = read_from(Box::new(Cursor::new(bytes.as_ref().to_vec())), opts).expect("a feed");
    // Every record is exactly one of accepted, rejected, skipped.
    let n = &c.counts;
    assert_eq!(n.records, n.accepted + n.rejected + n.skipped, "{n:?}");
    assert_eq!(n.indicators as usize, c.indicators.len());
    assert_eq!(n.rejected as usize, c.rejections.len());
    c
}

fn values(c: &FeedContents) -> Vec<(&str, &str, Option<u16>)> {
    c.indicators
        .iter()
        .map(|i| (i.kind.as_str(), i.value.as_str(), i.port))
        .collect()
}

fn rejected_lines(c: &FeedContents) -> Vec<u64> {
    c.rejections.iter().map(|r| r.line).collect()
}

const UTC_2025_11_30: i64 = 1_764_460_800_000_000;

#[test]
fn feodo_csv() {
    let c = read(FEODO_CSV);
    assert_eq!(c.format, FeedFormat::FeodoCsv);
    assert_eq!(
        values(&c),
        vec![
            ("ip", "192.0.2.10", Some(443)),
            ("ip", "198.51.100.23", Some(8080)),
            ("ip", "203.0.113.5", Some(2222)),
            ("ip", "2001:db8::c2", Some(447)),
        ]
    );
    let first = &c.indicators[0];
    assert_eq!(first.threat, "botnet_cc");
    assert_eq!(first.family.as_deref(), Some("QakBot"));
    assert_eq!(first.feed.as_str(), "feodo");
    assert_eq!(first.first_seen, Some(1_759_391_086_000_000));
    assert_eq!(first.last_seen, Some(UTC_2025_11_30));
    assert_eq!(first.source_line, 10);
    assert_eq!((c.counts.records, c.counts.skipped), (14, 10));
    assert!(c.rejections.is_empty());
}

#[test]
fn feodo_csv_older_layout() {
    let c = read(FEODO_CSV_OLD);
    assert_eq!(c.format, FeedFormat::FeodoCsv);
    assert_eq!(
        values(&c),
        vec![
            ("ip", "192.0.2.44", Some(447)),
            ("ip", "198.51.100.45", Some(449))
        ]
    );
    assert_eq!(c.indicators[1].family.as_deref(), Some("Heodo"));
}

#[test]
fn feodo_csv_bad_rows_are_rejected_and_neighbours_kept() {
    let c = read(FEODO_CSV_BAD);
    assert_eq!(
        values(&c),
        vec![
            ("ip", "192.0.2.10", Some(443)),
            ("ip", "192.0.2.15", Some(443))
        ]
    );
    assert_eq!(rejected_lines(&c), vec![3, 4, 5, 6, 7]);
    let reasons: Vec<&str> = c.rejections.iter().map(|r| r.reason.as_str()).collect();
    assert!(
        reasons[0].contains("`192.0.2.300` is not an IP address"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("`last tuesday` is not a date"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("expected 6 columns, found 4"),
        "{reasons:?}"
    );
    assert!(reasons[3].contains("`70000` is not a port"), "{reasons:?}");
    assert!(reasons[4].contains("after a quoted field"), "{reasons:?}");
    assert!(c.rejections[0].raw.contains("192.0.2.300"));
}

#[test]
fn byte_order_marks_and_crlf_line_ends() {
    let crlf = read(FEODO_CSV.replace('\n', "\r\n"));
    assert_eq!(crlf.indicators, read(FEODO_CSV).indicators);
    let bom = read(format!("\u{feff}{FEODO_JSON}"));
    assert_eq!(bom.format, FeedFormat::FeodoJson);
    assert_eq!(bom.indicators, read(FEODO_JSON).indicators);
    let bom = read(format!("\u{feff}{PLAIN_LIST}"));
    assert_eq!(bom.indicators, read(PLAIN_LIST).indicators);
}

#[test]
fn feodo_json_with_hostname_gives_a_domain_too() {
    let c = read(FEODO_JSON);
    assert_eq!(c.format, FeedFormat::FeodoJson);
    assert_eq!(
        values(&c),
        vec![
            ("ip", "192.0.2.10", Some(443)),
            ("domain", "c2-node.example.net", Some(443)),
            ("ip", "198.51.100.23", Some(8080)),
        ]
    );
    // Lines are those the objects open on.
    let lines: Vec<u64> = c.indicators.iter().map(|i| i.source_line).collect();
    assert_eq!(lines, vec![2, 2, 14]);
    assert_eq!(c.indicators[1].family.as_deref(), Some("QakBot"));
    assert_eq!(c.indicators[1].threat, "botnet_cc");
    assert_eq!(c.counts.accepted, 2);
}

#[test]
fn feodo_json_bad_records_and_a_cut_document() {
    let c = read(FEODO_JSON_BAD);
    assert_eq!(
        values(&c),
        vec![
            ("ip", "192.0.2.10", Some(443)),
            ("ip", "192.0.2.22", Some(443))
        ]
    );
    assert_eq!(rejected_lines(&c), vec![3, 4, 5, 7]);
    assert!(c.rejections[0].reason.contains("192.0.2.999"));
    assert!(
        c.rejections[0].raw.contains("192.0.2.999"),
        "the record is kept as raw text"
    );
    assert!(c.rejections[1].reason.contains("expected a JSON object"));
    assert!(c.rejections[2]
        .reason
        .contains("`02/10/2025` is not a date"));
    assert!(
        c.rejections[3].reason.contains("ends early"),
        "{:?}",
        c.rejections[3]
    );
}

#[test]
fn threatfox_json_export() {
    let c = read(THREATFOX_JSON);
    assert_eq!(c.format, FeedFormat::ThreatFoxJson);
    assert_eq!(
        values(&c),
        vec![
            ("ip", "192.0.2.77", Some(4444)),
            ("domain", "update-check.example.com", None),
            (
                "url",
                "http://198.51.100.88:8080/payload/stage2.bin",
                Some(8080)
            ),
        ]
    );
    let cs = &c.indicators[0];
    assert_eq!(cs.threat, "botnet_cc");
    assert_eq!(cs.family.as_deref(), Some("Cobalt Strike"));
    assert_eq!(cs.confidence, Some(100));
    assert_eq!(cs.tags, vec!["c2", "CobaltStrike"]);
    assert_eq!(
        cs.reference.as_deref(),
        Some("https://example.org/report/cs-beacons")
    );
    assert_eq!(cs.last_seen, None);
    assert_eq!(cs.source_line, 3);
    let remcos = &c.indicators[1];
    assert_eq!(
        remcos.reference.as_deref(),
        Some("https://threatfox.abuse.ch/ioc/1500002/"),
        "without a reporter's reference, ThreatFox's own page"
    );
    assert_eq!(remcos.last_seen, Some(1_764_464_400_000_000));
    assert_eq!(c.indicators[2].threat, "payload_delivery");
    assert!(c.indicators[2].tags.is_empty());
    assert_eq!(c.counts.skipped, 2, "two file hashes");
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("md5_hash") && n.ends_with(": 1")),
        "{:?}",
        c.notes
    );
    assert!(
        c.notes.iter().any(|n| n.contains("sha256_hash")),
        "{:?}",
        c.notes
    );
}

#[test]
fn threatfox_api_answer() {
    let c = read(THREATFOX_API);
    assert_eq!(c.format, FeedFormat::ThreatFoxJson);
    assert_eq!(values(&c), vec![("ip", "2001:db8::77", Some(8443))]);
    let mirai = &c.indicators[0];
    assert_eq!(mirai.tags, vec!["mirai", "elf"]);
    assert_eq!(mirai.confidence, Some(90));
    assert_eq!(mirai.first_seen, Some(1_763_632_800_000_000));
    assert_eq!(
        mirai.reference.as_deref(),
        Some("https://threatfox.abuse.ch/ioc/1500010/")
    );
    assert_eq!(rejected_lines(&c), vec![3]);
    assert!(c.rejections[0].reason.contains("confidence `high`"));
}

#[test]
fn threatfox_csv() {
    let c = read(THREATFOX_CSV);
    assert_eq!(c.format, FeedFormat::ThreatFoxCsv);
    assert_eq!(
        values(&c),
        vec![
            ("ip", "203.0.113.50", Some(443)),
            ("domain", "malware-drop.example.net", None),
            ("ip", "203.0.113.51", None),
        ]
    );
    let rat = &c.indicators[0];
    assert_eq!(rat.family.as_deref(), Some("AsyncRAT"));
    assert_eq!(rat.tags, vec!["AsyncRAT", "RAT"]);
    assert_eq!(
        rat.reference.as_deref(),
        Some("https://threatfox.abuse.ch/ioc/1500101/")
    );
    let drop = &c.indicators[1];
    assert_eq!(
        drop.family, None,
        "ThreatFox's `Unknown malware` says nothing"
    );
    assert_eq!(drop.threat, "payload_delivery");
    assert_eq!(drop.confidence, Some(50));
    assert!(drop.tags.is_empty());
    assert_eq!(
        drop.reference.as_deref(),
        Some("https://example.org/post/1")
    );
    assert_eq!(c.counts.skipped, 9 + 1, "comments, header and one hash");
}

#[test]
fn urlhaus_csv_gives_url_and_host() {
    let c = read(URLHAUS_CSV);
    assert_eq!(c.format, FeedFormat::UrlhausCsv);
    assert_eq!(
        values(&c),
        vec![
            ("url", "http://198.51.100.60:40123/i", Some(40123)),
            ("ip", "198.51.100.60", Some(40123)),
            ("url", "https://Files.Example.com/invoice.zip", None),
            ("domain", "files.example.com", None),
        ]
    );
    let url = &c.indicators[0];
    assert_eq!(url.threat, "malware_download");
    assert_eq!(url.tags, vec!["32-bit", "elf", "mips", "Mozi"]);
    assert_eq!(
        url.reference.as_deref(),
        Some("https://urlhaus.abuse.ch/url/3300001/")
    );
    assert_eq!(url.first_seen, url.last_seen);
    let host = &c.indicators[1];
    assert_eq!(host.threat, "malware_download");
    assert!(host.tags.iter().any(|t| t == URL_HOST_TAG));
    assert_eq!(c.indicators[2].last_seen, None);
    assert_eq!(rejected_lines(&c), vec![12]);
    assert!(c.rejections[0].reason.contains("`not a url` is not a URL"));
    assert_eq!(c.counts.accepted, 2);
}

#[test]
fn urlhaus_older_and_host_column_layouts() {
    let old = read(URLHAUS_CSV_OLD);
    assert_eq!(old.format, FeedFormat::UrlhausCsv);
    assert_eq!(
        values(&old),
        vec![
            ("url", "http://203.0.113.70/bins/x86", None),
            ("ip", "203.0.113.70", None)
        ]
    );
    assert_eq!(old.indicators[0].last_seen, None);
    let hosts = read(URLHAUS_CSV_HOSTS);
    assert_eq!(hosts.format, FeedFormat::UrlhausCsv);
    assert_eq!(
        values(&hosts),
        vec![
            ("url", "http://dl.example.org/a.exe", None),
            ("domain", "dl.example.org", None)
        ]
    );
}

#[test]
fn plain_list_with_campaigns() {
    let c = read(PLAIN_LIST);
    assert_eq!(c.format, FeedFormat::PlainList);
    assert_eq!(
        values(&c),
        vec![
            ("domain", "c2.storm.example", None),
            ("ip", "192.0.2.200", None),
            ("cidr", "198.51.100.0/25", None),
            ("ip", "203.0.113.9", Some(8443)),
            ("domain", "update.storm.example", None),
            ("domain", "cdn.storm.example", None),
            ("url", "https://dl.example.net/a.exe", None),
            ("domain", "evil.example.org", None),
            ("ip", "2001:db8::bad", None),
            ("domain", "c2.storm.example", None),
        ]
    );
    let campaigns: Vec<Option<&str>> = c.indicators.iter().map(|i| i.campaign.as_deref()).collect();
    assert_eq!(campaigns[..6], [Some("Operation Example Storm"); 6]);
    assert_eq!(campaigns[6..], [Some("Second wave"); 4]);
    assert_eq!(
        c.indicators[0].reference.as_deref(),
        Some("https://example.org/reports/storm")
    );
    assert_eq!(
        c.indicators[9].reference.as_deref(),
        Some("https://example.org/reports/storm-2")
    );
    assert_eq!(c.indicators[4].confidence, Some(65), "LOKI/THOR score");
    assert!(c.indicators.iter().all(|i| i.threat == "botnet_cc"));
    assert_eq!(c.indicators[9].source_line, 18);
    assert_eq!((c.counts.records, c.counts.skipped), (18, 8));
    for note in [
        "listed more than once",
        "re-fanged",
        "score",
        "botnet_cc` assumed",
    ] {
        assert!(
            c.notes.iter().any(|n| n.contains(note)),
            "{note}: {:?}",
            c.notes
        );
    }
}

#[test]
fn plain_list_threat_option_and_bad_lines() {
    let opts = LoadOptions {
        threat: Some("Phishing".into()),
        ..LoadOptions::default()
    };
    let c = read_with(PLAIN_LIST_BAD, &opts);
    assert_eq!(c.format, FeedFormat::PlainList);
    assert_eq!(c.indicators.len(), 5);
    assert!(c.indicators.iter().all(|i| i.threat == "phishing"));
    assert!(c
        .indicators
        .iter()
        .all(|i| i.campaign.as_deref() == Some("Campaign with typos")));
    assert_eq!(rejected_lines(&c), vec![3, 6]);
    assert!(c.rejections[0]
        .reason
        .contains("`192.0.2.256` is not an IP address"));
    assert!(c.rejections[1].reason.contains("more than one value"));
    assert!(!c.notes.iter().any(|n| n.contains("assumed")));
}

#[test]
fn non_ascii_domains_are_kept_and_noted() {
    let c = read("# IDN\nbücher-update.example\nplain.example.com\n");
    assert_eq!(c.indicators[0].value, "bücher-update.example");
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("not in ASCII") && n.ends_with(": 1")),
        "{:?}",
        c.notes
    );
}

#[test]
fn overlong_and_non_utf8_lines_are_rejected() {
    let mut bytes = b"192.0.2.1\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 300));
    bytes.extend_from_slice(b".example.com\nbad\xff.example.com\n198.51.100.1\n");
    let opts = LoadOptions {
        max_line: 200,
        ..LoadOptions::default()
    };
    let c = read_with(&bytes, &opts);
    assert_eq!(
        values(&c),
        vec![("ip", "192.0.2.1", None), ("ip", "198.51.100.1", None)]
    );
    assert_eq!(rejected_lines(&c), vec![2, 3]);
    assert!(c.rejections[0].reason.contains("exceeds"));
    assert!(c.rejections[1].reason.contains("not UTF-8"));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn compressed_feeds_read_the_same() {
    for sample in [FEODO_CSV, THREATFOX_JSON, URLHAUS_CSV, PLAIN_LIST] {
        let plain = read(sample);
        for (bytes, name) in [
            (gzip(sample.as_bytes()), "gzip"),
            (bzip2(sample.as_bytes()), "bzip2"),
            (zstd::encode_all(sample.as_bytes(), 1).unwrap(), "zstd"),
        ] {
            let c = read(bytes);
            assert_eq!(c.compression.name(), name);
            assert_eq!(c.format, plain.format);
            assert_eq!(c.indicators, plain.indicators, "{name} {:?}", plain.format);
            assert_eq!(c.counts, plain.counts);
        }
    }
}

#[test]
fn a_truncated_gzip_keeps_the_lines_before_the_cut() {
    let list: String = (0..20_000)
        .map(|i| format!("host-{i}.example.com\n"))
        .collect();
    let mut gz = gzip(list.as_bytes());
    gz.truncate(gz.len() / 2);
    let c = read(gz);
    assert_eq!(c.format, FeedFormat::PlainList);
    assert!(c.indicators.len() > 1000, "{}", c.indicators.len());
    assert!(c.indicators.len() < 20_000);
    assert_eq!(c.rejections.len(), 1);
    let r = &c.rejections[0];
    assert!(r.reason.contains("input ended early"), "{}", r.reason);
    assert!(
        r.line as usize > c.indicators.len(),
        "at the line after the last read"
    );
}

/// Every sample, with the format it is.
fn recognised_samples() -> Vec<(&'static str, FeedFormat)> {
    vec![
        (FEODO_CSV, FeedFormat::FeodoCsv),
        (FEODO_CSV_OLD, FeedFormat::FeodoCsv),
        (FEODO_CSV_BAD, FeedFormat::FeodoCsv),
        (FEODO_JSON, FeedFormat::FeodoJson),
        (FEODO_JSON_BAD, FeedFormat::FeodoJson),
        (THREATFOX_JSON, FeedFormat::ThreatFoxJson),
        (THREATFOX_API, FeedFormat::ThreatFoxJson),
        (THREATFOX_CSV, FeedFormat::ThreatFoxCsv),
        (URLHAUS_CSV, FeedFormat::UrlhausCsv),
        (URLHAUS_CSV_OLD, FeedFormat::UrlhausCsv),
        (URLHAUS_CSV_HOSTS, FeedFormat::UrlhausCsv),
        (PLAIN_LIST, FeedFormat::PlainList),
        (PLAIN_LIST_BAD, FeedFormat::PlainList),
    ]
}

#[test]
fn each_sniffer_takes_its_own_format_only() {
    for (sample, format) in recognised_samples() {
        let takers: Vec<FeedFormat> = FeedFormat::ALL
            .into_iter()
            .filter(|f| f.sniff(sample.as_bytes()))
            .collect();
        assert_eq!(takers, vec![format], "{sample:.80}");
        assert_eq!(sniff(sample.as_bytes()), Some(format));
    }
}

#[test]
fn telemetry_and_binary_are_no_feed() {
    let others: [&[u8]; 6] = [
        ZEEK_TSV.as_bytes(),
        ZEEK_JSON.as_bytes(),
        EVE_JSON.as_bytes(),
        ACCESS_LOG.as_bytes(),
        BINARY,
        b"# only comments\n#\n",
    ];
    for bytes in others {
        for f in FeedFormat::ALL {
            assert!(
                !f.sniff(bytes),
                "{f:?} took {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        let err = read_from(
            Box::new(Cursor::new(bytes.to_vec())),
            &LoadOptions::default(),
        );
        assert!(matches!(err, Err(ReadError::Unrecognized(_))), "{err:?}");
    }
    let zeek = read_from(Box::new(Cursor::new(ZEEK_TSV)), &LoadOptions::default()).unwrap_err();
    assert!(zeek.to_string().contains("Zeek"), "{zeek}");
    let zip = read_from(
        Box::new(Cursor::new(b"PK\x03\x04\x14\x00\x00\x00".to_vec())),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(zip.to_string().contains("unzip"), "{zip}");
    let empty = read_from(Box::new(Cursor::new(Vec::new())), &LoadOptions::default());
    assert!(matches!(empty, Err(ReadError::Empty)));
}

#[test]
fn kinds_are_exhaustive() {
    // The kinds the table can hold, by name, as detectors will filter them.
    let names: Vec<&str> = [
        IndicatorKind::Ip,
        IndicatorKind::Cidr,
        IndicatorKind::Domain,
        IndicatorKind::Url,
    ]
    .iter()
    .map(|k| k.as_str())
    .collect();
    assert_eq!(names, ["ip", "cidr", "domain", "url"]);
}
