//! Argus bidirectional flows as CSV, in the column layout of the CTU-13 data
//! sets (`*.binetflow`):
//!
//! ```text
//! StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label
//! ```
//!
//! Columns are located by their header name, so any order works and extra
//! columns are ignored; only `StartTime`, `Proto`, `SrcAddr` and `DstAddr` are
//! required (older CTU-13 files have no `SrcPkts`). Fields are separated by
//! commas or, when the header has tabs, by tabs (some Stratosphere captures
//! were exported with `ra -c '\t'`). A header line met again later (files
//! concatenated with `cat`) re-maps the columns.
//!
//! `StartTime` (`2018/12/18 14:00:00.075359`) carries no time zone: `ra`
//! prints it in the local time of the machine that ran it, which the file does
//! not record. It is read as **UTC**. Epoch seconds (`ra -u`) are accepted too.
//!
//! Argus management records (`Proto` `man`) and non-IP flows (`llc`, with MAC
//! addresses) have no place in the flow table, which is keyed by IP address:
//! they are skipped and counted in a note rather than rejected.

use std::borrow::Cow;
use std::io::{self, BufRead};
use std::net::IpAddr;
use std::ops::Range;

use borderscope_schema::{micros_from_secs, Flow, Label, Micros, Rejection};
use chrono::NaiveDateTime;

use crate::formats::ReadOptions;
use crate::lines::LineReader;
use crate::sink::Sink;

/// Columns without which a line cannot become a flow.
const REQUIRED: [&str; 4] = ["StartTime", "Proto", "SrcAddr", "DstAddr"];

/// Largest |micros| accepted: 9999-12-31T23:59:59Z, as `micros_from_secs`.
const MAX_MICROS: Micros = 253_402_300_799_000_000;

/// True when the first non-blank line is an Argus CSV header.
pub fn sniff(head: &[u8]) -> bool {
    let first = head
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty());
    first.is_some_and(|l| Header::parse(&String::from_utf8_lossy(l)).is_ok())
}

pub fn read(input: &mut dyn BufRead, opts: &ReadOptions, sink: &mut dyn Sink) -> io::Result<()> {
    let mut lines = LineReader::with_max_len(input, opts.max_line);
    let mut reader = Reader::default();
    while let Some(line) = lines.next_line()? {
        match line.overlong_rejection() {
            Some(r) => sink.reject(r),
            None => reader.line(line.number, line.bytes, sink),
        }
    }
    reader.not_ip.report(sink);
    Ok(())
}

/// What one file's lines so far have established.
#[derive(Default)]
struct Reader {
    header: Option<Header>,
    /// Field positions of the current line, reused to spare an allocation.
    spans: Vec<Range<usize>>,
    not_ip: NotIpCounts,
}

impl Reader {
    fn line(&mut self, number: u64, bytes: &[u8], sink: &mut dyn Sink) {
        let text = String::from_utf8_lossy(bytes);
        if text.trim().is_empty() {
            sink.skip(1);
            return;
        }
        // Only a line naming `SrcAddr` can be a header; checking that first
        // keeps data lines from being split twice.
        match text.contains("SrcAddr").then(|| Header::parse(&text)) {
            Some(Ok(h)) => {
                self.header = Some(h);
                sink.skip(1);
                return;
            }
            Some(Err(why)) if self.header.is_none() => {
                sink.reject(Rejection::at_line(number, why, bytes));
                return;
            }
            _ => {}
        }
        let Some(h) = &self.header else {
            let why = "data line before any Argus header line";
            sink.reject(Rejection::at_line(number, why, bytes));
            return;
        };
        match parse_row(h, number, &text, &mut self.spans) {
            Ok(Record::Flow(flow)) => sink.flow(&flow),
            Ok(Record::Management) => {
                self.not_ip.management += 1;
                sink.skip(1);
            }
            Ok(Record::NonIp) => {
                self.not_ip.non_ip += 1;
                sink.skip(1);
            }
            Err(why) => sink.reject(Rejection::at_line(number, why, bytes)),
        }
    }
}

/// Records read but not stored, reported once per file.
#[derive(Default)]
struct NotIpCounts {
    management: u64,
    non_ip: u64,
}

impl NotIpCounts {
    fn report(&self, sink: &mut dyn Sink) {
        if self.management > 0 {
            sink.note(format!(
                "{} Argus management records (Proto `man`) skipped: they describe the sensor, not traffic",
                self.management
            ));
        }
        if self.non_ip > 0 {
            sink.note(format!(
                "{} non-IP Argus flows (MAC addresses, e.g. Proto `llc`) skipped: the flow table holds IP flows only",
                self.non_ip
            ));
        }
    }
}

/// Column positions, found by name in the header line.
#[derive(Debug)]
struct Header {
    sep: char,
    width: usize,
    start_time: usize,
    proto: usize,
    src_addr: usize,
    dst_addr: usize,
    dur: Option<usize>,
    sport: Option<usize>,
    dport: Option<usize>,
    dir: Option<usize>,
    state: Option<usize>,
    tot_pkts: Option<usize>,
    tot_bytes: Option<usize>,
    src_bytes: Option<usize>,
    src_pkts: Option<usize>,
    label: Option<usize>,
}

impl Header {
    fn parse(line: &str) -> Result<Header, String> {
        // Spreadsheet tools put a byte order mark before the first name.
        let line = line.trim_start_matches('\u{feff}');
        let sep = if line.contains('\t') { '\t' } else { ',' };
        let names: Vec<&str> = line.split(sep).map(str::trim).collect();
        let find = |name: &str| names.iter().position(|n| *n == name);
        let (Some(start_time), Some(proto), Some(src_addr), Some(dst_addr)) = (
            find("StartTime"),
            find("Proto"),
            find("SrcAddr"),
            find("DstAddr"),
        ) else {
            let missing: Vec<&str> = REQUIRED.into_iter().filter(|n| find(n).is_none()).collect();
            return Err(format!(
                "not an Argus header: no {} column",
                missing.join(", ")
            ));
        };
        Ok(Header {
            sep,
            width: names.len(),
            start_time,
            proto,
            src_addr,
            dst_addr,
            dur: find("Dur"),
            sport: find("Sport"),
            dport: find("Dport"),
            dir: find("Dir"),
            state: find("State"),
            tot_pkts: find("TotPkts"),
            tot_bytes: find("TotBytes"),
            src_bytes: find("SrcBytes"),
            src_pkts: find("SrcPkts"),
            label: find("Label"),
        })
    }
}

/// What a data line turned out to be.
// Made and consumed once per line; boxing the flow would allocate per row.
#[allow(clippy::large_enum_variant)]
enum Record<'a> {
    Flow(Flow<'a>),
    /// An Argus management (`man`) record: sensor status, not traffic.
    Management,
    /// A flow between MAC addresses (`llc`, ...), which has no IP address.
    NonIp,
}

/// The fields of one data line, located by byte ranges so that no `Vec<&str>`
/// is allocated per line.
struct Fields<'t, 's> {
    text: &'t str,
    spans: &'s [Range<usize>],
}

impl<'t> Fields<'t, '_> {
    /// The trimmed field in column `col`; empty when the column is absent.
    fn get(&self, col: Option<usize>) -> &'t str {
        col.and_then(|c| self.spans.get(c))
            .and_then(|r| self.text.get(r.clone()))
            .map_or("", str::trim)
    }

    fn opt(&self, col: Option<usize>) -> Option<&'t str> {
        Some(self.get(col)).filter(|s| !s.is_empty())
    }
}

fn split_spans(text: &str, sep: char, out: &mut Vec<Range<usize>>) {
    out.clear();
    let mut start = 0;
    for (i, _) in text.match_indices(sep) {
        out.push(start..i);
        start = i + sep.len_utf8();
    }
    out.push(start..text.len());
}

fn parse_row<'a>(
    h: &Header,
    number: u64,
    text: &'a str,
    spans: &mut Vec<Range<usize>>,
) -> Result<Record<'a>, String> {
    split_spans(text, h.sep, spans);
    if spans.len() != h.width {
        let sep = if h.sep == '\t' { "tab" } else { "comma" };
        return Err(format!(
            "expected {} {sep}-separated fields as in the header, found {}",
            h.width,
            spans.len()
        ));
    }
    let f = Fields { text, spans };
    let proto = f.get(Some(h.proto));
    if proto.eq_ignore_ascii_case("man") {
        return Ok(Record::Management);
    }
    let (src, dst) = (f.get(Some(h.src_addr)), f.get(Some(h.dst_addr)));
    if is_mac(src) || is_mac(dst) {
        return Ok(Record::NonIp);
    }
    if proto.is_empty() {
        return Err("Proto is empty".to_owned());
    }
    let (tot_pkts, src_pkts) = (
        count("TotPkts", f.get(h.tot_pkts))?,
        count("SrcPkts", f.get(h.src_pkts))?,
    );
    let (tot_bytes, src_bytes) = (
        count("TotBytes", f.get(h.tot_bytes))?,
        count("SrcBytes", f.get(h.src_bytes))?,
    );
    Ok(Record::Flow(Flow {
        line: number,
        ts: start_time(f.get(Some(h.start_time)))?,
        duration: duration(f.get(h.dur))?,
        src_ip: ip("SrcAddr", src)?,
        src_port: port("Sport", f.get(h.sport))?,
        dst_ip: ip("DstAddr", dst)?,
        dst_port: port("Dport", f.get(h.dport))?,
        transport: lower(proto),
        service: None,
        src_bytes,
        dst_bytes: difference(tot_bytes, src_bytes),
        src_pkts,
        dst_pkts: difference(tot_pkts, src_pkts),
        state: f.opt(h.state).map(Cow::Borrowed),
        history: f.opt(h.dir).map(Cow::Borrowed),
        uid: None,
        sampling_rate: 1,
        sensor: None,
        label: label(f.get(h.label)),
    }))
}

/// Argus writes flows between MAC addresses with `aa:bb:cc:dd:ee:ff` in the
/// address columns.
fn is_mac(s: &str) -> bool {
    s.len() == 17
        && s.split(':').count() == 6
        && s.split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn ip(column: &str, value: &str) -> Result<IpAddr, String> {
    value
        .parse()
        .map_err(|_| format!("{column} `{value}` is not an IP address"))
}

/// A port, in decimal or, for ICMP where Argus puts type and code in the port
/// columns, in hex (`0x0303`). Empty means none (ARP, IGMP).
fn port(column: &str, value: &str) -> Result<Option<u16>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    let parsed = match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed
        .map(Some)
        .map_err(|_| format!("{column} `{value}` is not a port (0 to 65535, or hex like 0x0303)"))
}

fn count(column: &str, value: &str) -> Result<Option<u64>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| format!("{column} `{value}` is not a non-negative integer"))
}

fn duration(value: &str) -> Result<Option<f64>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<f64>() {
        Ok(d) if d.is_finite() && d >= 0.0 => Ok(Some(d)),
        _ => Err(format!("Dur `{value}` is not a duration in seconds")),
    }
}

/// The reverse direction's count: Argus gives totals and the source's share.
fn difference(total: Option<u64>, src: Option<u64>) -> Option<u64> {
    Some(total?.saturating_sub(src?))
}

fn start_time(value: &str) -> Result<Micros, String> {
    let bad = || format!("StartTime `{value}` is not a time like 2018/12/18 14:00:00.075359");
    let micros = ["%Y/%m/%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(value, fmt).ok())
        .map(|t| t.and_utc().timestamp_micros())
        .or_else(|| value.parse::<f64>().ok().and_then(micros_from_secs));
    micros.filter(|m| m.abs() <= MAX_MICROS).ok_or_else(bad)
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Keeps the raw CTU label as detail and adds the class it names.
fn label(raw: &str) -> Label<'_> {
    if raw.is_empty() {
        return Label::default();
    }
    Label {
        label: label_class(raw).map(Cow::Borrowed),
        detail: Some(Cow::Borrowed(raw)),
    }
}

/// Normalises CTU labels (`flow=From-Botnet-V42-...`, `flow=Background-...`,
/// `flow=From-Normal-...`, Stratosphere's `Malicious`/`Benign`) to the three
/// classes the Zeek readers use. Captures of single malware samples say
/// `Malware` where CTU-13 says `Botnet`; both mean malicious.
fn label_class(raw: &str) -> Option<&'static str> {
    let lower = raw.to_ascii_lowercase();
    let text = lower.strip_prefix("flow=").unwrap_or(&lower);
    if text.contains("botnet") || text.contains("malware") || text.starts_with("malicious") {
        Some("Malicious")
    } else if text.contains("normal") || text.starts_with("benign") {
        Some("Benign")
    } else if text.contains("background") {
        Some("Background")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::{mutated_lines, sniff_matches_shared_files};
    use crate::sink::VecSink;
    use std::io::Cursor;
    use std::net::Ipv4Addr;

    const HEADER: &str = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label";

    const PREAMBLE: &[u8] = b"StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label\n";
    const SEEDS: &[&[u8]] = &[
        b"2018/12/18 14:00:00.075359,0.5,tcp,10.0.0.1,1234,   ->,10.0.0.2,80,S_,0,0,3,300,100,1,flow=From-Botnet-V1",
        b"2019/04/04 16:49:22.840553,0.000000,icmp,10.8.0.69,0x0303,   ->,211.233.40.78,0x97af,URP,192,,1,104,104,1,",
        b"1970/01/01 01:00:08.160634,3496.1,udp,fe80::74:a6ed:d0dd:53e7,546,   ->,ff02::1:2,547,INT,0,,63,9324,9324,63,flow=Background",
    ];

    #[test]
    fn mutated_lines_never_panic_and_every_line_is_accounted_for() {
        let lines = mutated_lines(SEEDS, 3000);
        let mut input = PREAMBLE.to_vec();
        for line in &lines {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        let preamble_lines = PREAMBLE.iter().filter(|&&b| b == b'\n').count();
        let sink = read_bytes(&input);
        let accounted = sink.rows() + sink.rejections.len() + sink.skipped as usize;
        assert_eq!(accounted, lines.len() + preamble_lines);
        assert!(sink.rows() > 0 && !sink.rejections.is_empty());
    }

    fn read_bytes(input: &[u8]) -> VecSink {
        read_with(input, &ReadOptions::default())
    }

    fn read_with(input: &[u8], opts: &ReadOptions) -> VecSink {
        let mut sink = VecSink::default();
        read(&mut Cursor::new(input.to_vec()), opts, &mut sink).expect("in-memory read");
        sink
    }

    fn read_shared(path: &std::path::Path) -> (VecSink, u64) {
        let bytes = std::fs::read(path).expect("shared data file");
        let lines = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64;
        (read_bytes(&bytes), lines)
    }

    fn total(sink: &VecSink) -> u64 {
        sink.rows() as u64 + sink.rejections.len() as u64 + sink.skipped
    }

    fn micros(text: &str) -> Micros {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .expect("test timestamp")
            .and_utc()
            .timestamp_micros()
    }

    // Expected counts were taken with `wc -l` / `grep -c` and a Python csv
    // pass over each file (see the report of the change that added them).

    #[test]
    fn test2_every_flow_becomes_a_row() {
        let path = borderscope_testdata::require_shared!("argus/test2-malicious.binetflow");
        let (sink, lines) = read_shared(&path);
        assert_eq!(lines, 6752);
        assert_eq!(
            (sink.flows.len(), sink.rejections.len(), sink.skipped),
            (6751, 0, 1)
        );
        assert_eq!(total(&sink), lines);
        // ICMP type/code in the port column, in hex: 0x0303 is port unreachable.
        let icmp = sink.flows.iter().filter(|f| f.transport == "icmp");
        assert_eq!(icmp.clone().count(), 65);
        assert!(icmp.clone().any(|f| f.src_port == Some(0x0303)));
        let igmp = sink
            .flows
            .iter()
            .find(|f| f.transport == "igmp")
            .expect("an igmp flow");
        assert_eq!((igmp.src_port, igmp.dst_port), (None, None));
        let first = &sink.flows[0];
        assert_eq!(first.ts, micros("2019-04-04 16:23:00.325010"));
        assert_eq!(first.history.as_deref(), Some("<->"));
        assert_eq!((first.src_bytes, first.dst_bytes), (Some(63), Some(79)));
        assert_eq!((first.src_pkts, first.dst_pkts), (Some(1), Some(1)));
        assert!(sink.flows.iter().all(|f| f.label == Label::default()));
    }

    #[test]
    fn test3_decodes_fields() {
        let path = borderscope_testdata::require_shared!("argus/test3-mixed.binetflow");
        let (sink, lines) = read_shared(&path);
        assert_eq!(lines, 90);
        assert_eq!(
            (sink.flows.len(), sink.rejections.len(), sink.skipped),
            (89, 0, 1)
        );
        let f = &sink.flows[0];
        assert_eq!(f.line, 2);
        assert_eq!(f.ts, micros("2018-12-18 14:00:00.075359"));
        assert_eq!(f.duration, Some(0.0));
        assert_eq!(f.transport, "tcp");
        assert_eq!(f.src_ip, IpAddr::V4(Ipv4Addr::new(216, 73, 23, 146)));
        assert_eq!(f.src_port, Some(52691));
        assert_eq!(f.dst_ip, IpAddr::V4(Ipv4Addr::new(147, 32, 81, 57)));
        assert_eq!(f.dst_port, Some(445));
        assert_eq!(f.state.as_deref(), Some("S_"));
        assert_eq!(f.history.as_deref(), Some("->"));
        assert_eq!(
            (f.src_bytes, f.dst_bytes, f.src_pkts, f.dst_pkts),
            (Some(70), Some(0), Some(1), Some(0))
        );
        // One Dir field in this file carries text before the arrow; kept as is.
        assert!(sink
            .flows
            .iter()
            .any(|f| f.history.as_deref() == Some("get_message  ->")));
        assert_eq!(
            sink.flows
                .iter()
                .filter(|f| f.transport == "ipv6-icmp")
                .count(),
            6
        );
    }

    #[test]
    fn test4_has_no_src_pkts_column() {
        let path = borderscope_testdata::require_shared!("argus/test4-malicious.binetflow");
        let (sink, lines) = read_shared(&path);
        assert_eq!(lines, 395);
        assert_eq!(
            (sink.flows.len(), sink.rejections.len(), sink.skipped),
            (394, 0, 1)
        );
        let f = &sink.flows[0];
        assert_eq!(f.duration, Some(193.831726));
        assert_eq!(f.history.as_deref(), Some("<?>"));
        assert_eq!((f.src_bytes, f.dst_bytes), (Some(1224), Some(3766 - 1224)));
        assert_eq!((f.src_pkts, f.dst_pkts), (None, None));
        // ICMP with a one-byte hex "port".
        assert!(sink
            .flows
            .iter()
            .any(|f| f.transport == "icmp" && f.src_port == Some(3) && f.dst_port == Some(3)));
        assert_eq!(
            sink.flows
                .iter()
                .filter(|f| f.history.as_deref() == Some("who"))
                .count(),
            2
        );
    }

    #[test]
    fn test5_is_tab_separated_labelled_and_has_non_ip_records() {
        let path = borderscope_testdata::require_shared!("argus/test5-mixed.binetflow");
        let (sink, lines) = read_shared(&path);
        // 301 lines (the last one has no newline, so `wc -l` says 300): the
        // header, one `man` record, one `llc` flow between MAC addresses and
        // 298 IP flows.
        assert_eq!(lines, 301);
        assert_eq!(
            (sink.flows.len(), sink.rejections.len(), sink.skipped),
            (298, 0, 3)
        );
        assert_eq!(sink.notes.len(), 2, "{:?}", sink.notes);
        let class = |name: &str| {
            sink.flows
                .iter()
                .filter(|f| f.label.label.as_deref() == Some(name))
                .count()
        };
        // 197 Malware-UDP-DNS + 80 Malware-TCP; 21 Background minus the llc one.
        assert_eq!(class("Malicious"), 277);
        assert_eq!(class("Background"), 20);
        assert_eq!(class("Benign"), 0);
        let unclassified: Vec<_> = sink
            .flows
            .iter()
            .filter(|f| f.label.label.is_none())
            .collect();
        assert_eq!(unclassified.len(), 1);
        assert_eq!(
            unclassified[0].label.detail.as_deref(),
            Some("flow=TCP-Established-To-Microsoft-7")
        );
        let dhcp = &sink.flows[0];
        assert_eq!(dhcp.line, 4);
        assert_eq!(dhcp.ts, micros("1970-01-01 01:00:08.140073"));
        assert_eq!(
            dhcp.label.detail.as_deref(),
            Some("flow=Background-UDP-Attempt")
        );
        assert_eq!(dhcp.label.label.as_deref(), Some("Background"));
        assert!(sink
            .flows
            .iter()
            .any(|f| f.src_ip == "fe80::74:a6ed:d0dd:53e7".parse::<IpAddr>().unwrap()));
    }

    #[test]
    fn labels_are_classified() {
        assert_eq!(
            label_class("flow=From-Botnet-V42-TCP-CC6-Plain-HTTP-Encrypted-Data"),
            Some("Malicious")
        );
        assert_eq!(
            label_class("flow=Background-Established-cmpgw-CVUT"),
            Some("Background")
        );
        assert_eq!(label_class("flow=From-Normal-V42-Stribrek"), Some("Benign"));
        assert_eq!(label_class("Malicious C&C"), Some("Malicious"));
        assert_eq!(label_class("benign"), Some("Benign"));
        assert_eq!(label_class("flow=To-Something-Else"), None);
        assert_eq!(label(""), Label::default());
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let input = "Label,DstAddr,SrcAddr,Extra,Proto,StartTime\n\
                     flow=From-Botnet-V1,10.0.0.2,10.0.0.1,x,UDP,2011/08/10 09:46:53\n";
        let sink = read_bytes(input.as_bytes());
        assert_eq!(sink.flows.len(), 1, "{:?}", sink.rejections);
        let f = &sink.flows[0];
        assert_eq!(f.transport, "udp");
        assert_eq!(f.ts, micros("2011-08-10 09:46:53.0"));
        assert_eq!(
            (f.src_port, f.duration, f.src_bytes, f.dst_bytes),
            (None, None, None, None)
        );
        assert_eq!(f.label.label.as_deref(), Some("Malicious"));
    }

    #[test]
    fn malformed_lines_are_rejected_and_neighbours_kept() {
        let good = "2018/12/18 14:00:00.075359,0.5,tcp,10.0.0.1,1234,   ->,10.0.0.2,80,S_,0,0,3,300,100,1,";
        let mut input = format!("{HEADER}\n{good}\n").into_bytes();
        let bad: [&[u8]; 8] = [
            b"2018/12/18 14:00:00,0.5,tcp,10.0.0.999,1234,->,10.0.0.2,80,S_,0,0,3,300,100,1,",
            b"18.12.2018 14:00,0.5,tcp,10.0.0.1,1234,->,10.0.0.2,80,S_,0,0,3,300,100,1,",
            b"2018/12/18 14:00:00,0.5,tcp,10.0.0.1,1234,->,10.0.0.2",
            b"2018/12/18 14:00:00,0.5,tcp,10.0.0.1,99999,->,10.0.0.2,80,S_,0,0,3,300,100,1,",
            b"2018/12/18 14:00:00,0.5,tcp,10.0.0.1,1,->,10.0.0.2,80,S_,0,0,99999999999999999999999,300,100,1,",
            b"2018/12/18 14:00:00,NaN,tcp,10.0.0.1,1,->,10.0.0.2,80,S_,0,0,3,300,100,1,",
            b"\x00\x01\x02\xff\xfe binary \x89PNG",
            b"2018/12/18 14:00:00,0.5,tcp,10.0.0.\xff,1,->,10.0.0.2,80,S_,0,0,3,300,100,1,",
        ];
        for line in bad {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        input.extend_from_slice(b"\n");
        input.extend_from_slice(good.as_bytes());
        let sink = read_bytes(&input);
        assert_eq!(sink.flows.len(), 2);
        assert_eq!((sink.flows[0].line, sink.flows[1].line), (2, 12));
        assert_eq!(sink.skipped, 2, "header and the blank line");
        let reasons: Vec<(u64, &str)> = sink
            .rejections
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 8, "{reasons:?}");
        assert!(reasons[0].1.contains("SrcAddr `10.0.0.999`"), "{reasons:?}");
        assert!(
            reasons[1].1.contains("StartTime `18.12.2018 14:00`"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].1.contains("expected 16 comma-separated fields"),
            "{reasons:?}"
        );
        assert!(reasons[3].1.contains("Sport `99999`"), "{reasons:?}");
        assert!(reasons[4].1.contains("TotPkts"), "{reasons:?}");
        assert!(reasons[5].1.contains("Dur `NaN`"), "{reasons:?}");
        assert!(reasons[6].1.contains("expected 16"), "{reasons:?}");
        assert!(
            reasons[7].1.contains("SrcAddr `10.0.0.\u{fffd}`"),
            "{reasons:?}"
        );
        assert_eq!(
            reasons.iter().map(|r| r.0).collect::<Vec<_>>(),
            (3..=10).collect::<Vec<_>>()
        );
        assert_eq!(sink.rejections[6].raw_len, 17);
    }

    #[test]
    fn lines_before_a_header_are_rejected() {
        let sink = read_bytes(b"2018/12/18 14:00:00,0.5,tcp,10.0.0.1\nStartTime,Proto,SrcAddr\n");
        assert_eq!(sink.rejections.len(), 2);
        assert_eq!(
            sink.rejections[0].reason,
            "data line before any Argus header line"
        );
        assert_eq!(
            sink.rejections[1].reason,
            "not an Argus header: no DstAddr column"
        );
    }

    #[test]
    fn an_overlong_line_is_rejected_with_its_length() {
        let good =
            "2018/12/18 14:00:00.075359,0.5,tcp,10.0.0.1,1234,->,10.0.0.2,80,S_,0,0,3,300,100,1,";
        let long = format!("{good}{}", "x".repeat(500));
        let input = format!("{HEADER}\n{good}\n{long}\n{good}\n");
        let opts = ReadOptions {
            max_line: 200,
            ..ReadOptions::default()
        };
        let sink = read_with(input.as_bytes(), &opts);
        assert_eq!(sink.flows.len(), 2);
        assert_eq!(sink.rejections.len(), 1);
        let r = &sink.rejections[0];
        assert_eq!(r.line, 3);
        assert_eq!(
            r.raw_len,
            long.len() as u64,
            "the real length, not the cut one"
        );
        assert!(
            r.reason.contains(&format!("{} bytes", long.len())),
            "{}",
            r.reason
        );
    }

    #[test]
    fn a_repeated_header_remaps_columns() {
        let input = "StartTime,Proto,SrcAddr,DstAddr\n2018/12/18 14:00:00,tcp,10.0.0.1,10.0.0.2\n\
                     DstAddr,SrcAddr,StartTime,Proto\n10.0.0.4,10.0.0.3,2018/12/18 14:00:01,udp\n";
        let sink = read_bytes(input.as_bytes());
        assert_eq!((sink.flows.len(), sink.skipped), (2, 2));
        assert_eq!(sink.flows[1].src_ip, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3)));
    }

    #[test]
    fn sniff_accepts_argus_headers_only() {
        assert!(sniff(
            format!("{HEADER}\n2018/12/18 14:00:00,...").as_bytes()
        ));
        assert!(sniff(
            "\u{feff}StartTime,Proto,SrcAddr,DstAddr\n".as_bytes()
        ));
        assert!(sniff(b"\n\nStartTime\tDur\tProto\tSrcAddr\tDstAddr\n"));
        assert!(sniff(b"StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n"));
        assert!(!sniff(
            b"#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\n"
        ));
        assert!(!sniff(br#"{"ts":1.0,"uid":"C1","id.orig_h":"1.2.3.4"}"#));
        assert!(!sniff(br#"{"timestamp":"2021-06-06T15:59:46.457984+0200","event_type":"alert","src_ip":"1.2.3.4"}"#));
        assert!(!sniff(
            br#"1.2.3.4 - - [22/Dec/2016:16:30:52 +0300] "GET / HTTP/1.1" 200 5 "-" "curl""#
        ));
        assert!(!sniff(b"\x00\x01\x02\xff\xd4\xc3\xb2\xa1"));
        assert!(!sniff(b""));
        // A data line of another CSV that mentions the names is not enough.
        assert!(!sniff(b"StartTime,Proto\n"));
    }

    #[test]
    fn sniff_claims_exactly_the_argus_samples() {
        sniff_matches_shared_files(sniff, |p| p.starts_with("argus"));
    }
}
