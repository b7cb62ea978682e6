//! NetFlow v5, NetFlow v9 and IPFIX export packets, as a collector host
//! captured them in pcap or pcapng files.
//!
//! Each captured packet is decoded down to its UDP payload (Ethernet with
//! 802.1Q/QinQ tags, Linux cooked SLL/SLL2, BSD loopback or raw IP; IPv4 or
//! IPv6). Packets that are not UDP are skipped; a UDP payload that is not a
//! NetFlow/IPFIX export (sFlow, other protocols) is rejected with the reason.
//! Every flow record becomes one [`Flow`] row located by the byte offset of the
//! pcap record that carried it.
//!
//! v9 and IPFIX data records can only be read with the template their exporter
//! sent earlier, often in another capture file. The [`Collector`] therefore
//! lives for a whole ingest run and keeps one `netflow_parser` instance per
//! exporter (source address and port) and observation domain, so one
//! exporter's templates never decode another's data. Data whose template has
//! not been seen yet is rejected, not guessed at.
//!
//! Conventions of the rows:
//! - `ts` is the flow start; `duration` is set when the end is known too.
//! - NetFlow records are unidirectional: `dst_bytes`/`dst_pkts` stay empty
//!   unless the record carries reverse counters (IPFIX biflows, RFC 5103, or
//!   Cisco's initiator/responder counters).
//! - ICMP type and code are reported the way exporters put them, in the
//!   destination port: `type * 256 + code`.
//! - `history` lists the TCP flags seen in Zeek's letters (`S` SYN, `A` ACK,
//!   `D` PSH, `F` FIN, `R` RST; lower case, with `h` for SYN+ACK, for the
//!   reverse direction of a biflow). Flags are ORed over the flow by the
//!   exporter, so the letters say which flags were seen, not in what order.
//! - `sampling_rate` is the exporter's sampling interval as exported; byte
//!   and packet counts are not multiplied by it.
//! - Records that carry a sampled packet header (`dataLinkFrameSection`)
//!   instead of flow keys are decoded from that header.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;
use std::sync::OnceLock;

use borderscope_schema::{Flow, Label, Micros, Rejection};
use netflow_parser::static_versions::v5::V5;
use netflow_parser::variable_versions::ipfix::lookup::{
    IANAIPFixField, IPFixField, ReverseInformationElement,
};
use netflow_parser::variable_versions::ipfix::{FlowSetBody as IpfixBody, IPFix};
use netflow_parser::variable_versions::v9::{FlowSetBody as V9Body, V9};
use netflow_parser::{FieldValue, NetflowPacket, NetflowParser, V9Field};
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{Block, LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};

use crate::formats::ReadOptions;
use crate::sink::Sink;

// ---------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------

/// What one ingest run has learned from the exporters: their templates and
/// sampling rates. Kept across files because exporters send templates rarely
/// and collectors rotate capture files often.
#[derive(Default)]
pub struct Collector {
    exporters: HashMap<ExporterKey, Exporter>,
}

impl Collector {
    /// Capture time, in microseconds since the epoch, of the first packet of a
    /// pcap or pcapng file, read from its first bytes. Files are read in this
    /// order so that templates are learned before the data that needs them.
    pub fn first_packet_time(head: &[u8]) -> Option<Micros> {
        match capture_kind(head)? {
            CaptureKind::Legacy => legacy_first_time(head),
            CaptureKind::Ng => ng_first_time(head),
        }
    }
}

/// True for legacy pcap (either byte order, micro- or nanosecond timestamps)
/// and pcapng files.
pub fn sniff(head: &[u8]) -> bool {
    capture_kind(head).is_some()
}

/// Reads every packet of a pcap or pcapng file. Malformed packets and a
/// truncated tail are rejections; only a failure of `input` itself is an
/// `Err`.
pub fn read(
    input: &mut dyn BufRead,
    _opts: &ReadOptions,
    collector: &mut Collector,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    let Some(kind) = capture_kind(input.fill_buf()?) else {
        let why = "not a pcap or pcapng file (unknown magic number)";
        sink.reject(Rejection::at_offset(0, why, b""));
        return Ok(());
    };
    let mut source = Source {
        inner: input,
        error: None,
    };
    read_capture(&mut source, kind, collector, sink);
    match source.error.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Capture files
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaptureKind {
    Legacy,
    Ng,
}

fn capture_kind(head: &[u8]) -> Option<CaptureKind> {
    const LEGACY_MAGICS: [u32; 3] = [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34];
    const NG_BLOCK_TYPE: u32 = 0x0a0d_0d0a;
    const NG_BYTE_ORDER: u32 = 0x1a2b_3c4d;
    let magic = be32(head, 0)?;
    if LEGACY_MAGICS.contains(&magic) || LEGACY_MAGICS.contains(&magic.swap_bytes()) {
        return Some(CaptureKind::Legacy);
    }
    let order = be32(head, 8);
    let is_ng = magic == NG_BLOCK_TYPE
        && (order == Some(NG_BYTE_ORDER) || order == Some(NG_BYTE_ORDER.swap_bytes()));
    is_ng.then_some(CaptureKind::Ng)
}

fn legacy_first_time(head: &[u8]) -> Option<Micros> {
    let (records, header) = pcap_parser::parse_pcap_header(head).ok()?;
    // Only the record header is needed: the first packet itself may be cut
    // off at the end of `head`.
    let read = if header.is_bigendian() { be32 } else { le32 };
    let secs = read(records, 0)?;
    let fraction = read(records, 4)?;
    let micros = if header.is_nanosecond_precision() {
        fraction / 1000
    } else {
        fraction
    };
    Some(i64::from(secs) * 1_000_000 + i64::from(micros))
}

fn ng_first_time(head: &[u8]) -> Option<Micros> {
    let mut rest = head;
    let mut big_endian = false;
    // Timestamp resolution (units per second) and offset (seconds) per interface.
    let mut clocks: Vec<(u64, i64)> = Vec::new();
    loop {
        let parsed = if big_endian {
            pcap_parser::parse_block_be(rest)
        } else {
            pcap_parser::parse_block_le(rest)
        };
        let (next, block) = parsed.ok()?;
        match block {
            Block::SectionHeader(shb) => {
                big_endian = shb.big_endian();
                clocks.clear();
            }
            Block::InterfaceDescription(idb) => {
                clocks.push((idb.ts_resolution()?, idb.ts_offset()));
            }
            Block::EnhancedPacket(epb) => {
                let (resolution, offset) = *clocks.get(usize::try_from(epb.if_id).ok()?)?;
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                return ng_micros(units, resolution, offset);
            }
            // Simple packet blocks carry no timestamp.
            Block::SimplePacket(_) => return None,
            _ => {}
        }
        if next.len() >= rest.len() {
            return None;
        }
        rest = next;
    }
}

fn ng_micros(units: u64, resolution: u64, offset_secs: i64) -> Option<Micros> {
    let micros = u128::from(units) * 1_000_000 / u128::from(resolution.max(1));
    i64::try_from(micros)
        .ok()?
        .checked_add(offset_secs.checked_mul(1_000_000)?)
}

/// Feeds the input to pcap-parser, keeping the first I/O error: pcap-parser
/// reports read failures as a bare `ReadError`, and the caller must get the
/// real error.
struct Source<'a> {
    inner: &'a mut dyn BufRead,
    error: Option<io::Error>,
}

impl Read for Source<'_> {
    /// Fills as much of `buf` as the input allows: pcap-parser checks the file
    /// header on its first read alone, so a short first read (a decompressor
    /// handing out a few bytes) would look like a bad header.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() && self.error.is_none() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled = (filled + n).min(buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.error = Some(e),
            }
        }
        match &self.error {
            Some(e) if filled == 0 => Err(io::Error::from(e.kind())),
            _ => Ok(filled),
        }
    }
}

/// Initial room for pcap records; grown up to [`MAX_BUFFER`] for larger ones.
const INITIAL_BUFFER: usize = 1 << 20;
/// No legitimate capture record comes near this (snap lengths are ≤ 256 KiB).
const MAX_BUFFER: usize = 64 << 20;

fn read_capture(
    source: &mut Source,
    kind: CaptureKind,
    collector: &mut Collector,
    sink: &mut dyn Sink,
) {
    let opened = match kind {
        CaptureKind::Legacy => LegacyPcapReader::new(INITIAL_BUFFER, source)
            .map(|r| Box::new(r) as Box<dyn PcapReaderIterator + '_>),
        CaptureKind::Ng => PcapNGReader::new(INITIAL_BUFFER, source)
            .map(|r| Box::new(r) as Box<dyn PcapReaderIterator + '_>),
    };
    match opened {
        Ok(mut reader) => Walker::new(collector, sink).run(reader.as_mut()),
        // A read failure is reported by `read` from the source's error.
        Err(PcapError::ReadError) => {}
        Err(e) => {
            let why = format!(
                "capture file header is unreadable ({})",
                pcap_error_text(&e)
            );
            sink.reject(Rejection::at_offset(0, why, b""));
        }
    }
}

/// What to do after one call to the capture reader's `next`.
enum Step {
    Consumed(usize),
    Refill,
    Grow,
    End,
    /// The rest of the file cannot be read; the reason.
    BadTail(String),
}

/// Walks the blocks of one capture file and hands its packets to the collector.
struct Walker<'w> {
    collector: &'w mut Collector,
    sink: &'w mut dyn Sink,
    /// Link type per interface of the current pcapng section (one for legacy pcap).
    links: Vec<Linktype>,
    buffer: usize,
}

impl<'w> Walker<'w> {
    fn new(collector: &'w mut Collector, sink: &'w mut dyn Sink) -> Self {
        Walker {
            collector,
            sink,
            links: Vec::new(),
            buffer: INITIAL_BUFFER,
        }
    }

    fn run(&mut self, reader: &mut dyn PcapReaderIterator) {
        loop {
            let offset = reader.consumed() as u64;
            let step = match reader.next() {
                Ok((size, block)) => {
                    self.block(offset, block);
                    Step::Consumed(size)
                }
                Err(e) => step_after(e),
            };
            match step {
                Step::Consumed(size) => reader.consume(size),
                Step::Refill => {
                    let before = reader.data().len();
                    if reader.refill().is_err() {
                        return; // the source kept the I/O error
                    }
                    // A full buffer that still holds no whole record: make room.
                    if reader.data().len() == before
                        && !reader.reader_exhausted()
                        && !self.grow(reader)
                    {
                        return self.reject_tail(
                            reader,
                            offset,
                            "record is larger than the read buffer",
                        );
                    }
                }
                Step::Grow => {
                    if !self.grow(reader) {
                        return self.reject_tail(
                            reader,
                            offset,
                            "record is larger than the read buffer",
                        );
                    }
                }
                Step::End => return,
                Step::BadTail(why) => return self.reject_tail(reader, offset, &why),
            }
        }
    }

    fn grow(&mut self, reader: &mut dyn PcapReaderIterator) -> bool {
        if self.buffer >= MAX_BUFFER {
            return false;
        }
        self.buffer = (self.buffer * 2).min(MAX_BUFFER);
        reader.grow(self.buffer)
    }

    fn reject_tail(&mut self, reader: &dyn PcapReaderIterator, offset: u64, why: &str) {
        let tail = reader.data();
        // Running out exactly at a record boundary is the normal end.
        if tail.is_empty() {
            return;
        }
        let why = format!(
            "capture file ends in an unreadable record: {why}; {} bytes left",
            tail.len()
        );
        self.sink.reject(Rejection::at_offset(offset, why, tail));
    }

    fn block(&mut self, offset: u64, block: PcapBlockOwned) {
        match block {
            PcapBlockOwned::LegacyHeader(header) => self.links = vec![header.network],
            PcapBlockOwned::Legacy(b) => {
                let link = self.links.first().copied();
                self.packet(offset, link, b.data, b.origlen);
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => self.links.clear(),
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => self.links.push(idb.linktype),
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                let link = usize::try_from(epb.if_id)
                    .ok()
                    .and_then(|i| self.links.get(i).copied());
                self.packet(offset, link, epb.packet_data(), epb.origlen);
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                let link = self.links.first().copied();
                self.packet(offset, link, spb.packet_data(), spb.origlen);
            }
            PcapBlockOwned::NG(_) => {}
        }
    }

    fn packet(&mut self, offset: u64, link: Option<Linktype>, frame: &[u8], orig_len: u32) {
        let mut out = Out::new(&mut *self.sink, offset);
        let Some(link) = link else {
            out.reject(
                "packet names an interface the capture never described".into(),
                frame,
            );
            return;
        };
        let ip = match decode_link(link, frame) {
            Ok(ip) => ip,
            Err(Undecoded::NotIp) => return out.sink.skip(1),
            Err(Undecoded::Link(code)) => {
                return out.reject(format!("link type {code} is not supported"), frame);
            }
            Err(Undecoded::Malformed(why)) => return out.reject(why.into(), frame),
        };
        if ip.proto != PROTO_UDP {
            return out.sink.skip(1);
        }
        match export_payload(&ip, frame.len(), orig_len) {
            Ok((port, payload)) => {
                self.collector
                    .datagram(SocketAddr::new(ip.src, port), payload, &mut out);
                if out.emitted == 0 {
                    // Templates and options only: nothing to show, nothing wrong.
                    out.sink.skip(1);
                }
            }
            Err(why) => out.reject(why, frame),
        }
    }
}

fn step_after(error: PcapError<&[u8]>) -> Step {
    match error {
        PcapError::Eof => Step::End,
        PcapError::Incomplete(_) => Step::Refill,
        PcapError::BufferTooSmall => Step::Grow,
        // The source kept the I/O error; `read` returns it.
        PcapError::ReadError => Step::End,
        PcapError::UnexpectedEof => Step::BadTail("file is truncated".into()),
        other => Step::BadTail(pcap_error_text(&other)),
    }
}

fn pcap_error_text(error: &PcapError<&[u8]>) -> String {
    match error {
        PcapError::HeaderNotRecognized => "header not recognized".into(),
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("malformed block ({})", kind.description())
        }
        other => format!("{other:?}"),
    }
}

/// The UDP source port and payload of an export packet, or why there is none.
fn export_payload<'p>(
    ip: &IpPacket<'p>,
    captured: usize,
    orig_len: u32,
) -> Result<(u16, &'p [u8]), String> {
    if ip.more_fragments || ip.fragment_offset != 0 {
        return Err("IP fragment of an export packet; fragments are not reassembled".into());
    }
    let cut = || {
        format!("packet was cut by the capture's snap length ({captured} of {orig_len} bytes kept)")
    };
    if ip.truncated {
        return Err(cut());
    }
    let udp = ip.payload;
    let (Some(port), Some(len)) = (be16(udp, 0), be16(udp, 4)) else {
        return Err("UDP header is truncated".into());
    };
    let len = usize::from(len);
    if len < 8 {
        return Err(format!("UDP length {len} is shorter than its header"));
    }
    match udp.get(8..len) {
        Some(payload) => Ok((port, payload)),
        None => Err(cut()),
    }
}

/// Where the rows and rejections of one captured packet go.
struct Out<'s> {
    sink: &'s mut dyn Sink,
    /// Byte offset of the packet's pcap record.
    at: u64,
    emitted: usize,
}

impl<'s> Out<'s> {
    fn new(sink: &'s mut dyn Sink, at: u64) -> Self {
        Out {
            sink,
            at,
            emitted: 0,
        }
    }

    fn flow(&mut self, flow: &Flow) {
        self.sink.flow(flow);
        self.emitted += 1;
    }

    fn reject(&mut self, why: String, raw: &[u8]) {
        self.sink.reject(Rejection::at_offset(self.at, why, raw));
        self.emitted += 1;
    }
}

// ---------------------------------------------------------------------------
// Link, network and transport headers
// ---------------------------------------------------------------------------

const PROTO_ICMP: u8 = 1;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_ICMPV6: u8 = 58;
const PROTO_SCTP: u8 = 132;

/// Why a frame yielded no IP packet.
#[derive(Debug)]
enum Undecoded {
    /// A link-layer protocol other than IP (ARP, LLDP, ...).
    NotIp,
    /// A link type this reader does not decode.
    Link(i32),
    Malformed(&'static str),
}

/// An IP packet, as far as it was captured.
#[derive(Debug)]
struct IpPacket<'p> {
    src: IpAddr,
    dst: IpAddr,
    /// Transport protocol, after any IPv6 extension headers.
    proto: u8,
    /// Transport header and payload, without link-layer padding.
    payload: &'p [u8],
    /// Packet length the IP header announces, headers included.
    ip_len: usize,
    /// The IP header announces more bytes than were captured.
    truncated: bool,
    fragment_offset: u16,
    more_fragments: bool,
}

/// MPLS pseudowires may carry Ethernet that carries MPLS again; this bounds
/// how deep such nesting is followed.
const MAX_NESTING: u8 = 4;

fn decode_link(link: Linktype, frame: &[u8]) -> Result<IpPacket<'_>, Undecoded> {
    match link {
        Linktype::ETHERNET => decode_ethernet(frame, 0),
        Linktype::LINUX_SLL => {
            let ethertype =
                be16(frame, 14).ok_or(Undecoded::Malformed("Linux cooked header is truncated"))?;
            decode_ethertype(ethertype, frame.get(16..).unwrap_or_default(), 0)
        }
        Linktype::LINUX_SLL2 => {
            let ethertype = be16(frame, 0)
                .ok_or(Undecoded::Malformed("Linux cooked v2 header is truncated"))?;
            decode_ethertype(ethertype, frame.get(20..).unwrap_or_default(), 0)
        }
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => decode_ip(frame),
        // BSD loopback: a 4-byte address family, in host byte order for NULL.
        Linktype::NULL | Linktype::LOOP => decode_ip(frame.get(4..).unwrap_or_default()),
        other => Err(Undecoded::Link(other.0)),
    }
}

fn decode_ethernet(frame: &[u8], depth: u8) -> Result<IpPacket<'_>, Undecoded> {
    let ethertype = be16(frame, 12).ok_or(Undecoded::Malformed("Ethernet header is truncated"))?;
    decode_ethertype(ethertype, frame.get(14..).unwrap_or_default(), depth)
}

fn decode_ethertype(
    mut ethertype: u16,
    mut rest: &[u8],
    depth: u8,
) -> Result<IpPacket<'_>, Undecoded> {
    const IPV4: u16 = 0x0800;
    const IPV6: u16 = 0x86dd;
    const VLAN: u16 = 0x8100;
    const QINQ: u16 = 0x88a8;
    const QINQ_OLD: u16 = 0x9100;
    const MPLS: u16 = 0x8847;
    const MPLS_MULTICAST: u16 = 0x8848;
    loop {
        match ethertype {
            // Each tag is 2 bytes of tag control then the next ethertype.
            VLAN | QINQ | QINQ_OLD => {
                ethertype = be16(rest, 2).ok_or(Undecoded::Malformed("VLAN tag is truncated"))?;
                rest = rest.get(4..).unwrap_or_default();
            }
            IPV4 | IPV6 => return decode_ip(rest),
            MPLS | MPLS_MULTICAST => return decode_mpls(rest, depth),
            _ => return Err(Undecoded::NotIp),
        }
    }
}

fn decode_mpls(mut rest: &[u8], depth: u8) -> Result<IpPacket<'_>, Undecoded> {
    const BOTTOM_OF_STACK: u32 = 0x100;
    loop {
        let entry = be32(rest, 0).ok_or(Undecoded::Malformed("MPLS label stack is truncated"))?;
        rest = rest.get(4..).unwrap_or_default();
        if entry & BOTTOM_OF_STACK != 0 {
            break;
        }
    }
    // MPLS does not say what it carries: the first nibble tells IP apart from
    // a pseudowire control word (RFC 4385), which precedes an Ethernet frame.
    match rest.first().map(|b| b >> 4) {
        Some(4) | Some(6) => decode_ip(rest),
        Some(0) if depth < MAX_NESTING => {
            decode_ethernet(rest.get(4..).unwrap_or_default(), depth + 1)
        }
        _ => Err(Undecoded::NotIp),
    }
}

fn decode_ip(bytes: &[u8]) -> Result<IpPacket<'_>, Undecoded> {
    match bytes.first().map(|b| b >> 4) {
        Some(4) => decode_ipv4(bytes),
        Some(6) => decode_ipv6(bytes),
        _ => Err(Undecoded::Malformed("not an IPv4 or IPv6 header")),
    }
}

fn decode_ipv4(b: &[u8]) -> Result<IpPacket<'_>, Undecoded> {
    let (Some(src), Some(dst), Some(total), Some(flags)) =
        (ipv4_at(b, 12), ipv4_at(b, 16), be16(b, 2), be16(b, 6))
    else {
        return Err(Undecoded::Malformed("IPv4 header is truncated"));
    };
    // The fixed 20 bytes are there (the destination address was read).
    let header_len = usize::from(b[0] & 0x0f) * 4;
    if header_len < 20 || b.len() < header_len {
        return Err(Undecoded::Malformed("IPv4 header is truncated"));
    }
    // A total length of 0 is what captures of segmentation-offloaded packets
    // show: the length was left for the NIC to fill in.
    let total = match usize::from(total) {
        0 => b.len(),
        n if n < header_len => {
            return Err(Undecoded::Malformed(
                "IPv4 total length is shorter than its header",
            ))
        }
        n => n,
    };
    Ok(IpPacket {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        proto: b[9],
        payload: &b[header_len..total.min(b.len())],
        ip_len: total,
        truncated: total > b.len(),
        fragment_offset: flags & 0x1fff,
        more_fragments: flags & 0x2000 != 0,
    })
}

fn decode_ipv6(b: &[u8]) -> Result<IpPacket<'_>, Undecoded> {
    let (Some(src), Some(dst), Some(payload_len), Some(&next)) =
        (ipv6_at(b, 8), ipv6_at(b, 24), be16(b, 4), b.get(6))
    else {
        return Err(Undecoded::Malformed("IPv6 header is truncated"));
    };
    // A payload length of 0 announces a jumbogram; take what was captured.
    let end = match usize::from(payload_len) {
        0 => b.len(),
        n => 40 + n,
    };
    let mut packet = IpPacket {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        proto: next,
        payload: b.get(40..end.min(b.len())).unwrap_or_default(),
        ip_len: end,
        truncated: end > b.len(),
        fragment_offset: 0,
        more_fragments: false,
    };
    skip_ipv6_extensions(&mut packet);
    Ok(packet)
}

/// Moves past IPv6 extension headers to the transport header. A header cut
/// by the capture ends the walk: the addresses are still good.
fn skip_ipv6_extensions(packet: &mut IpPacket) {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const FRAGMENT: u8 = 44;
    const AUTH: u8 = 51;
    const DEST_OPTIONS: u8 = 60;
    // Each header is at least 8 bytes, so the walk ends; the cap only keeps
    // pathological chains short.
    for _ in 0..16 {
        let rest = packet.payload;
        let (Some(&next), Some(&len)) = (rest.first(), rest.get(1)) else {
            return;
        };
        let size = match packet.proto {
            HOP_BY_HOP | ROUTING | DEST_OPTIONS => (usize::from(len) + 1) * 8,
            AUTH => (usize::from(len) + 2) * 4,
            FRAGMENT => {
                let Some(field) = be16(rest, 2) else { return };
                packet.fragment_offset = field >> 3;
                packet.more_fragments = field & 1 != 0;
                8
            }
            _ => return,
        };
        let Some(after) = rest.get(size..) else {
            return;
        };
        packet.proto = next;
        packet.payload = after;
    }
}

/// Ports, TCP flags and ICMP type/code from a transport header, when the
/// packet is a first (or only) fragment that holds them.
#[derive(Debug, Default)]
struct Transport {
    src_port: Option<u16>,
    dst_port: Option<u16>,
    tcp_flags: Option<u8>,
}

fn transport_header(ip: &IpPacket) -> Transport {
    let t = ip.payload;
    if ip.fragment_offset != 0 {
        return Transport::default();
    }
    match ip.proto {
        PROTO_TCP | PROTO_UDP | PROTO_SCTP => Transport {
            src_port: be16(t, 0),
            dst_port: be16(t, 2),
            tcp_flags: if ip.proto == PROTO_TCP {
                t.get(13).copied()
            } else {
                None
            },
        },
        // Exporters put ICMP type and code in the destination port; do the same.
        PROTO_ICMP | PROTO_ICMPV6 => Transport {
            src_port: Some(0),
            dst_port: be16(t, 0),
            tcp_flags: None,
        },
        _ => Transport::default(),
    }
}

// ---------------------------------------------------------------------------
// Export packets and exporters
// ---------------------------------------------------------------------------

/// Templates are scoped by exporter and observation domain (v9: source id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ExporterKey {
    from: SocketAddr,
    domain: u32,
}

/// Beyond this many exporter keys (only garbage input gets there) further
/// exporters are rejected instead of growing the collector without bound.
const MAX_EXPORTERS: usize = 16_384;
/// Sampler ids remembered per exporter.
const MAX_SAMPLERS: usize = 1_024;

struct Exporter {
    parser: NetflowParser,
    /// Sampling interval per sampler id, from options data; 0 stands for
    /// options records that name no sampler.
    sampling: HashMap<u64, u32>,
    /// The `sensor` of its rows: the exporter's address and, when not 0, its
    /// observation domain.
    sensor: String,
    /// How rejections name it: with the port too, since templates are per port.
    name: String,
}

impl Exporter {
    fn new(key: ExporterKey) -> Self {
        let domain = match key.domain {
            0 => String::new(),
            d => format!("/obs={d}"),
        };
        Exporter {
            parser: NetflowParser::default(),
            sampling: HashMap::new(),
            sensor: format!("{}{domain}", key.from.ip()),
            name: format!("{}{domain}", key.from),
        }
    }

    /// The sampling rate for a data record: its own sampling fields, else
    /// what options data said for its sampler, else 1 (unknown).
    fn rate_for(&self, rec: &Record) -> u32 {
        if let Some(rate) = rec.sampling_rate() {
            return rate;
        }
        let known = |id: u64| self.sampling.get(&id).copied();
        let rate = match rec.sampler_id() {
            Some(id) => known(id).or_else(|| known(0)),
            None => known(0).or_else(|| self.single_rate()),
        };
        rate.unwrap_or(1)
    }

    /// The rate when all samplers announced agree: many exporters name their
    /// sampler in options data but not in the data records.
    fn single_rate(&self) -> Option<u32> {
        let mut rates = self.sampling.values();
        let first = *rates.next()?;
        rates.all(|&r| r == first).then_some(first)
    }

    fn learn_sampling(&mut self, rec: &Record) {
        let Some(rate) = rec.sampling_rate() else {
            return;
        };
        let sampler = rec.sampler_id().unwrap_or(0);
        if self.sampling.len() < MAX_SAMPLERS || self.sampling.contains_key(&sampler) {
            self.sampling.insert(sampler, rate);
        }
    }
}

/// One export message cut from a UDP payload.
struct Message<'p> {
    version: u16,
    bytes: &'p [u8],
    domain: u32,
}

/// Cuts the next export message from `rest`: a datagram may hold several
/// IPFIX messages, each with its own observation domain.
fn next_message(rest: &[u8]) -> Result<(Message<'_>, &[u8]), String> {
    let version = be16(rest, 0).ok_or_else(|| {
        format!(
            "{}-byte UDP payload is too short for an export packet",
            rest.len()
        )
    })?;
    let (len, domain) = match version {
        5 => {
            let count = be16(rest, 2).ok_or("NetFlow v5 header is truncated")?;
            (24 + 48 * usize::from(count), 0)
        }
        // A v9 packet has no length: its flowsets run to the datagram's end.
        9 => (
            rest.len(),
            be32(rest, 16).ok_or("NetFlow v9 header is truncated")?,
        ),
        10 => {
            let len = be16(rest, 2).ok_or("IPFIX header is truncated")?;
            let domain = be32(rest, 12).ok_or("IPFIX header is truncated")?;
            if len < 16 {
                return Err(format!(
                    "IPFIX message length {len} is shorter than its header"
                ));
            }
            (usize::from(len), domain)
        }
        // sFlow's first field is a 32-bit version (2, 4 or 5) followed by the
        // agent address type (1 or 2); NetFlow's is 16 bits.
        0 if matches!(be32(rest, 0), Some(2 | 4 | 5)) && matches!(be32(rest, 4), Some(1 | 2)) => {
            return Err("sFlow datagrams are not supported".into());
        }
        7 => return Err("NetFlow v7 is not supported".into()),
        v => {
            return Err(format!(
                "not a NetFlow or IPFIX export packet (version field is {v})"
            ))
        }
    };
    match rest.get(..len) {
        Some(bytes) => Ok((
            Message {
                version,
                bytes,
                domain,
            },
            &rest[len..],
        )),
        None => Err(format!(
            "NetFlow v{version} packet announces {len} bytes but the datagram holds {}",
            rest.len()
        )),
    }
}

/// How the header of an export message places its records in time.
#[derive(Debug, Clone, Copy)]
struct Clock {
    export: Micros,
    /// Exporter uptime (ms) at export, for v5/v9 records timed in uptime.
    uptime_ms: Option<u32>,
}

impl Collector {
    /// Decodes the export message(s) in one UDP payload.
    fn datagram(&mut self, from: SocketAddr, payload: &[u8], out: &mut Out) {
        let mut rest = payload;
        while !rest.is_empty() {
            match next_message(rest) {
                Ok((message, after)) => {
                    self.message(from, &message, out);
                    rest = after;
                }
                Err(why) => return out.reject(why, rest),
            }
        }
    }

    fn message(&mut self, from: SocketAddr, message: &Message, out: &mut Out) {
        let key = ExporterKey {
            from,
            domain: message.domain,
        };
        let Some(exporter) = self.exporter(key) else {
            let why =
                format!("more than {MAX_EXPORTERS} exporters in one run; {from} is not tracked");
            return out.reject(why, message.bytes);
        };
        let result = exporter.parser.parse_bytes(message.bytes);
        for packet in &result.packets {
            match packet {
                NetflowPacket::V5(v5) => exporter.v5(v5, out),
                NetflowPacket::V9(v9) => exporter.v9(v9, message.bytes, out),
                NetflowPacket::IPFix(ipfix) => exporter.ipfix(ipfix, message.bytes, out),
                _ => out.reject(
                    format!("NetFlow v{} is not supported", message.version),
                    message.bytes,
                ),
            }
        }
        if let Some(error) = result.error {
            let why = format!(
                "malformed NetFlow v{} packet from {}: {error}",
                message.version, exporter.name
            );
            out.reject(why, message.bytes);
        }
    }

    fn exporter(&mut self, key: ExporterKey) -> Option<&mut Exporter> {
        if self.exporters.len() >= MAX_EXPORTERS && !self.exporters.contains_key(&key) {
            return None;
        }
        Some(
            self.exporters
                .entry(key)
                .or_insert_with(|| Exporter::new(key)),
        )
    }
}

impl Exporter {
    fn v5(&self, v5: &V5, out: &mut Out) {
        let h = &v5.header;
        let clock = Clock {
            export: i64::from(h.unix_secs) * 1_000_000 + i64::from(h.unix_nsecs / 1000),
            uptime_ms: Some(h.sys_up_time),
        };
        // The top two bits are the sampling mode; the interval is the rest.
        let rate = u32::from(h.sampling_interval & 0x3fff).max(1);
        let mut rec = Record::default();
        for r in &v5.flowsets {
            rec.clear();
            rec.push_raw(ie::SRC_V4, &r.src_addr.octets());
            rec.push_raw(ie::DST_V4, &r.dst_addr.octets());
            rec.push_raw(ie::SRC_PORT, &r.src_port.to_be_bytes());
            rec.push_raw(ie::DST_PORT, &r.dst_port.to_be_bytes());
            rec.push_raw(ie::PROTOCOL, &[r.protocol_number]);
            rec.push_raw(ie::TCP_FLAGS, &[r.tcp_flags]);
            rec.push_raw(ie::OCTETS, &r.d_octets.to_be_bytes());
            rec.push_raw(ie::PACKETS, &r.d_pkts.to_be_bytes());
            rec.push_raw(ie::FIRST_UPTIME, &r.first.to_be_bytes());
            rec.push_raw(ie::LAST_UPTIME, &r.last.to_be_bytes());
            self.emit(&rec, &clock, Some(rate), out);
        }
    }

    fn v9(&mut self, v9: &V9, raw: &[u8], out: &mut Out) {
        let clock = Clock {
            export: i64::from(v9.header.unix_secs) * 1_000_000,
            uptime_ms: Some(v9.header.sys_up_time),
        };
        let mut rec = Record::default();
        for set in &v9.flowsets {
            match &set.body {
                V9Body::Data(data) => {
                    for fields in &data.fields {
                        rec.fill_v9(fields);
                        self.emit(&rec, &clock, None, out);
                    }
                }
                V9Body::OptionsData(options) => {
                    for record in &options.fields {
                        rec.fill_v9(&record.options_fields);
                        self.learn_sampling(&rec);
                    }
                }
                V9Body::NoTemplate(info) => self.no_template(info.template_id, raw, out),
                _ => {}
            }
        }
    }

    fn ipfix(&mut self, ipfix: &IPFix, raw: &[u8], out: &mut Out) {
        let clock = Clock {
            export: i64::from(ipfix.header.export_time) * 1_000_000,
            uptime_ms: None,
        };
        let mut rec = Record::default();
        for set in &ipfix.flowsets {
            match &set.body {
                IpfixBody::Data(data) => {
                    for fields in &data.fields {
                        rec.fill_ipfix(fields);
                        self.emit(&rec, &clock, None, out);
                    }
                }
                IpfixBody::V9Data(data) => {
                    for fields in &data.fields {
                        rec.fill_v9(fields);
                        self.emit(&rec, &clock, None, out);
                    }
                }
                IpfixBody::OptionsData(options) => {
                    for fields in &options.fields {
                        rec.fill_ipfix(fields);
                        self.learn_sampling(&rec);
                    }
                }
                IpfixBody::V9OptionsData(options) => {
                    for record in &options.fields {
                        rec.fill_v9(&record.options_fields);
                        self.learn_sampling(&rec);
                    }
                }
                IpfixBody::NoTemplate(info) => self.no_template(info.template_id, raw, out),
                _ => {}
            }
        }
    }

    fn no_template(&self, template: u16, raw: &[u8], out: &mut Out) {
        out.reject(
            format!("no template {template} yet from exporter {}", self.name),
            raw,
        );
    }

    /// Turns one data record into a row. `header_rate` is v5's sampling
    /// interval, which its header carries for all records.
    fn emit(&self, rec: &Record, clock: &Clock, header_rate: Option<u32>, out: &mut Out) {
        let Some(ends) = rec.endpoints() else {
            let why = format!(
                "flow record from exporter {} has no IP addresses",
                self.name
            );
            return out.reject(why, b"");
        };
        let (ts, duration) = rec.times(clock);
        let proto = ends.proto;
        let forward_flags = ends.tcp_flags.filter(|_| proto == Some(PROTO_TCP));
        let reverse_flags = rec
            .reverse_uint(ie::TCP_FLAGS)
            .filter(|_| proto == Some(PROTO_TCP));
        let flow = Flow {
            line: out.at,
            ts,
            duration,
            src_ip: ends.src,
            src_port: ends.src_port,
            dst_ip: ends.dst,
            dst_port: ends.dst_port,
            transport: transport_name(proto),
            service: None,
            src_bytes: ends.bytes,
            dst_bytes: rec.reverse_counter(ie::OCTETS, ie::OCTETS_TOTAL, ie::RESPONDER_OCTETS),
            src_pkts: ends.packets,
            dst_pkts: rec.reverse_counter(ie::PACKETS, ie::PACKETS_TOTAL, ie::RESPONDER_PACKETS),
            state: None,
            history: tcp_history(forward_flags, reverse_flags.map(|f| f as u8)).map(Cow::Owned),
            uid: None,
            sampling_rate: header_rate.unwrap_or_else(|| self.rate_for(rec)),
            sensor: Some(Cow::Borrowed(self.sensor.as_str())),
            label: Label::default(),
        };
        out.flow(&flow);
    }
}

fn transport_name(proto: Option<u8>) -> Cow<'static, str> {
    match proto {
        Some(PROTO_ICMP) => Cow::Borrowed("icmp"),
        Some(PROTO_TCP) => Cow::Borrowed("tcp"),
        Some(PROTO_UDP) => Cow::Borrowed("udp"),
        Some(PROTO_ICMPV6) => Cow::Borrowed("ipv6-icmp"),
        Some(n) => Cow::Owned(n.to_string()),
        None => Cow::Borrowed("unknown"),
    }
}

/// Zeek-like history letters for the TCP flags of each direction.
fn tcp_history(forward: Option<u8>, reverse: Option<u8>) -> Option<String> {
    const ACK: u8 = 0x10;
    let reverse = reverse.unwrap_or(0);
    // Zeek writes a responder's SYN+ACK as `h` (handshake).
    let syn = if reverse & ACK != 0 { 'h' } else { 's' };
    let history: String = flag_letters(forward.unwrap_or(0), ['S', 'A', 'D', 'F', 'R'])
        .chain(flag_letters(reverse, [syn, 'a', 'd', 'f', 'r']))
        .collect();
    (!history.is_empty()).then_some(history)
}

/// The letters of the SYN, ACK, PSH, FIN and RST flags that are set.
fn flag_letters(flags: u8, letters: [char; 5]) -> impl Iterator<Item = char> {
    const BITS: [u8; 5] = [0x02, 0x10, 0x08, 0x01, 0x04];
    BITS.into_iter()
        .zip(letters)
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, letter)| letter)
}

// ---------------------------------------------------------------------------
// Flow records
// ---------------------------------------------------------------------------

/// IPFIX Information Element numbers this reader uses. NetFlow v9 field types
/// share the numbering for all of them.
mod ie {
    pub const OCTETS: u16 = 1;
    pub const PACKETS: u16 = 2;
    pub const PROTOCOL: u16 = 4;
    pub const TCP_FLAGS: u16 = 6;
    pub const SRC_PORT: u16 = 7;
    pub const SRC_V4: u16 = 8;
    pub const DST_PORT: u16 = 11;
    pub const DST_V4: u16 = 12;
    pub const LAST_UPTIME: u16 = 21;
    pub const FIRST_UPTIME: u16 = 22;
    pub const SRC_V6: u16 = 27;
    pub const DST_V6: u16 = 28;
    pub const ICMP_V4: u16 = 32;
    pub const SAMPLING_INTERVAL: u16 = 34;
    pub const SAMPLER_ID: u16 = 48;
    pub const SAMPLER_RANDOM_INTERVAL: u16 = 50;
    pub const IP_VERSION: u16 = 60;
    pub const OCTETS_TOTAL: u16 = 85;
    pub const PACKETS_TOTAL: u16 = 86;
    pub const ICMP_V6: u16 = 139;
    pub const START_SECONDS: u16 = 150;
    pub const END_SECONDS: u16 = 151;
    pub const START_MILLIS: u16 = 152;
    pub const END_MILLIS: u16 = 153;
    pub const START_MICROS: u16 = 154;
    pub const END_MICROS: u16 = 155;
    pub const START_NANOS: u16 = 156;
    pub const END_NANOS: u16 = 157;
    pub const START_DELTA_MICROS: u16 = 158;
    pub const END_DELTA_MICROS: u16 = 159;
    pub const SYSTEM_INIT_MILLIS: u16 = 160;
    pub const DURATION_MILLIS: u16 = 161;
    pub const DURATION_MICROS: u16 = 162;
    pub const ICMP_TYPE_V4: u16 = 176;
    pub const ICMP_CODE_V4: u16 = 177;
    pub const ICMP_TYPE_V6: u16 = 178;
    pub const ICMP_CODE_V6: u16 = 179;
    pub const INITIATOR_OCTETS: u16 = 231;
    pub const RESPONDER_OCTETS: u16 = 232;
    pub const INITIATOR_PACKETS: u16 = 298;
    pub const RESPONDER_PACKETS: u16 = 299;
    pub const SELECTOR_ID: u16 = 302;
    pub const SAMPLING_PACKET_INTERVAL: u16 = 305;
    pub const SAMPLING_PACKET_SPACE: u16 = 306;
    pub const SAMPLING_SIZE: u16 = 309;
    pub const SAMPLING_POPULATION: u16 = 310;
    pub const IP_HEADER_SECTION: u16 = 313;
    pub const FRAME_SECTION: u16 = 315;
    pub const OBSERVED_SECONDS: u16 = 322;
    pub const OBSERVED_MILLIS: u16 = 323;
    pub const OBSERVED_MICROS: u16 = 324;
    pub const OBSERVED_NANOS: u16 = 325;

    /// Time fields in seconds, milliseconds, microseconds and nanoseconds.
    pub const START: [u16; 4] = [START_SECONDS, START_MILLIS, START_MICROS, START_NANOS];
    pub const END: [u16; 4] = [END_SECONDS, END_MILLIS, END_MICROS, END_NANOS];
    pub const OBSERVED: [u16; 4] = [
        OBSERVED_SECONDS,
        OBSERVED_MILLIS,
        OBSERVED_MICROS,
        OBSERVED_NANOS,
    ];

    /// All of the above, sorted.
    #[rustfmt::skip]
    pub const USED: [u16; 52] = [
        OCTETS, PACKETS, PROTOCOL, TCP_FLAGS, SRC_PORT, SRC_V4, DST_PORT, DST_V4, LAST_UPTIME,
        FIRST_UPTIME, SRC_V6, DST_V6, ICMP_V4, SAMPLING_INTERVAL, SAMPLER_ID,
        SAMPLER_RANDOM_INTERVAL, IP_VERSION, OCTETS_TOTAL, PACKETS_TOTAL, ICMP_V6, START_SECONDS,
        END_SECONDS, START_MILLIS, END_MILLIS, START_MICROS, END_MICROS, START_NANOS, END_NANOS,
        START_DELTA_MICROS, END_DELTA_MICROS, SYSTEM_INIT_MILLIS, DURATION_MILLIS,
        DURATION_MICROS, ICMP_TYPE_V4, ICMP_CODE_V4, ICMP_TYPE_V6, ICMP_CODE_V6,
        INITIATOR_OCTETS, RESPONDER_OCTETS, INITIATOR_PACKETS, RESPONDER_PACKETS, SELECTOR_ID,
        SAMPLING_PACKET_INTERVAL, SAMPLING_PACKET_SPACE, SAMPLING_SIZE, SAMPLING_POPULATION,
        IP_HEADER_SECTION, FRAME_SECTION, OBSERVED_SECONDS, OBSERVED_MILLIS, OBSERVED_MICROS,
        OBSERVED_NANOS,
    ];

    pub fn is_used(id: u16) -> bool {
        USED.binary_search(&id).is_ok()
    }
}

/// An Information Element as this reader knows it: its number and whether
/// it is the reverse-direction (RFC 5103) variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ie {
    id: u16,
    reverse: bool,
}

/// netflow_parser names IPFIX fields by enum variant and offers no way back
/// to the number, so the used numbers are mapped once through its own
/// number-to-variant conversion.
fn ipfix_ies() -> &'static HashMap<IPFixField, Ie> {
    static MAP: OnceLock<HashMap<IPFixField, Ie>> = OnceLock::new();
    MAP.get_or_init(|| {
        let forward = ie::USED.iter().map(|&id| {
            (
                IPFixField::IANA(IANAIPFixField::from(id)),
                Ie { id, reverse: false },
            )
        });
        let reverse = ie::USED.iter().map(|&id| {
            let field = IPFixField::ReverseInformationElement(ReverseInformationElement::from(id));
            (field, Ie { id, reverse: true })
        });
        forward.chain(reverse).collect()
    })
}

/// The fields of one record that this reader uses, as their raw big-endian
/// bytes. Working from the wire bytes rather than netflow_parser's typed
/// values keeps the decoding independent of how the library chose to type
/// each field (reduced-size encodings, NTP timestamps, vendor typing).
/// The buffers are reused from record to record.
#[derive(Debug, Default)]
struct Record {
    bytes: Vec<u8>,
    fields: Vec<(Ie, Range<usize>)>,
}

/// Source and destination of a flow, with its keys and forward counters.
struct Endpoints {
    src: IpAddr,
    dst: IpAddr,
    proto: Option<u8>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    tcp_flags: Option<u8>,
    bytes: Option<u64>,
    packets: Option<u64>,
}

impl Record {
    fn clear(&mut self) {
        self.bytes.clear();
        self.fields.clear();
    }

    fn fill_v9(&mut self, fields: &[(V9Field, FieldValue)]) {
        self.clear();
        for (field, value) in fields {
            let id = u16::from(*field);
            if ie::is_used(id) {
                self.push_value(Ie { id, reverse: false }, value);
            }
        }
    }

    fn fill_ipfix(&mut self, fields: &[(IPFixField, FieldValue)]) {
        self.clear();
        let known = ipfix_ies();
        for (field, value) in fields {
            if let Some(&ie) = known.get(field) {
                self.push_value(ie, value);
            }
        }
    }

    fn push_value(&mut self, ie: Ie, value: &FieldValue) {
        let start = self.bytes.len();
        match value.write_be_bytes(&mut self.bytes) {
            Ok(()) => self.fields.push((ie, start..self.bytes.len())),
            Err(_) => self.bytes.truncate(start),
        }
    }

    fn push_raw(&mut self, id: u16, raw: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(raw);
        self.fields
            .push((Ie { id, reverse: false }, start..self.bytes.len()));
    }

    fn get(&self, ie: Ie) -> Option<&[u8]> {
        let (_, range) = self.fields.iter().find(|(i, _)| *i == ie)?;
        self.bytes.get(range.clone())
    }

    fn raw(&self, id: u16) -> Option<&[u8]> {
        self.get(Ie { id, reverse: false })
    }

    /// An unsigned field, in any of the reduced sizes IPFIX allows.
    fn uint(&self, id: u16) -> Option<u64> {
        be_uint(self.raw(id)?)
    }

    fn reverse_uint(&self, id: u16) -> Option<u64> {
        be_uint(self.get(Ie { id, reverse: true })?)
    }

    fn narrow<T: TryFrom<u64>>(&self, id: u16) -> Option<T> {
        T::try_from(self.uint(id)?).ok()
    }

    fn address(&self, id: u16) -> Option<IpAddr> {
        let raw = self.raw(id)?;
        if let Ok(v4) = <[u8; 4]>::try_from(raw) {
            return Some(IpAddr::V4(Ipv4Addr::from(v4)));
        }
        <[u8; 16]>::try_from(raw)
            .ok()
            .map(|v6| IpAddr::V6(Ipv6Addr::from(v6)))
    }

    fn pair(&self, src: u16, dst: u16) -> Option<(IpAddr, IpAddr)> {
        Some((self.address(src)?, self.address(dst)?))
    }

    /// Source and destination addresses. Templates that carry both IPv4 and
    /// IPv6 fields leave one pair zero; the IP version field, else the
    /// non-zero pair, says which is real.
    fn addresses(&self) -> Option<(IpAddr, IpAddr)> {
        let v4 = self.pair(ie::SRC_V4, ie::DST_V4);
        let v6 = self.pair(ie::SRC_V6, ie::DST_V6);
        let unset = |(s, d): (IpAddr, IpAddr)| s.is_unspecified() && d.is_unspecified();
        match (v4, v6, self.uint(ie::IP_VERSION)) {
            (Some(a), _, Some(4)) | (_, Some(a), Some(6)) => Some(a),
            (Some(a), Some(b), _) => Some(if unset(a) && !unset(b) { b } else { a }),
            (a, b, _) => a.or(b),
        }
    }

    fn endpoints(&self) -> Option<Endpoints> {
        let Some((src, dst)) = self.addresses() else {
            return self.sampled_endpoints();
        };
        let proto = self.narrow::<u8>(ie::PROTOCOL);
        let mut dst_port = self.narrow::<u16>(ie::DST_PORT);
        if matches!(proto, Some(PROTO_ICMP | PROTO_ICMPV6)) && dst_port.unwrap_or(0) == 0 {
            dst_port = self.icmp_type_code().or(dst_port);
        }
        Some(Endpoints {
            src,
            dst,
            proto,
            src_port: self.narrow(ie::SRC_PORT),
            dst_port,
            // IPFIX's 16-bit form keeps the classic flags in its low byte.
            tcp_flags: self.uint(ie::TCP_FLAGS).map(|f| f as u8),
            bytes: self.forward_counter(ie::OCTETS, ie::OCTETS_TOTAL, ie::INITIATOR_OCTETS),
            packets: self.forward_counter(ie::PACKETS, ie::PACKETS_TOTAL, ie::INITIATOR_PACKETS),
        })
    }

    /// Records of sampled packets (PSAMP-style) carry the packet's first bytes
    /// instead of flow keys: each stands for one packet, whose bytes are
    /// counted as NetFlow counts octets, from the IP header on.
    fn sampled_endpoints(&self) -> Option<Endpoints> {
        let ip = match (self.raw(ie::FRAME_SECTION), self.raw(ie::IP_HEADER_SECTION)) {
            (Some(frame), _) => decode_link(Linktype::ETHERNET, frame).ok()?,
            (None, Some(header)) => decode_ip(header).ok()?,
            (None, None) => return None,
        };
        let transport = transport_header(&ip);
        Some(Endpoints {
            src: ip.src,
            dst: ip.dst,
            proto: Some(ip.proto),
            src_port: transport.src_port,
            dst_port: transport.dst_port,
            tcp_flags: transport.tcp_flags,
            bytes: self.uint(ie::OCTETS).or(Some(ip.ip_len as u64)),
            packets: self.uint(ie::PACKETS).or(Some(1)),
        })
    }

    fn icmp_type_code(&self) -> Option<u16> {
        let split = |t, c| Some(self.narrow::<u8>(t)? as u16 * 256 + self.narrow::<u8>(c)? as u16);
        self.narrow(ie::ICMP_V4)
            .or_else(|| self.narrow(ie::ICMP_V6))
            .or_else(|| split(ie::ICMP_TYPE_V4, ie::ICMP_CODE_V4))
            .or_else(|| split(ie::ICMP_TYPE_V6, ie::ICMP_CODE_V6))
    }

    /// Delta counter, else total counter, else the vendor alternative.
    fn forward_counter(&self, delta: u16, total: u16, other: u16) -> Option<u64> {
        self.uint(delta)
            .or_else(|| self.uint(total))
            .or_else(|| self.uint(other))
    }

    /// RFC 5103 reverse counters, else Cisco's responder counters.
    fn reverse_counter(&self, delta: u16, total: u16, responder: u16) -> Option<u64> {
        self.reverse_uint(delta)
            .or_else(|| self.reverse_uint(total))
            .or_else(|| self.uint(responder))
    }

    fn sampler_id(&self) -> Option<u64> {
        self.uint(ie::SAMPLER_ID)
            .or_else(|| self.uint(ie::SELECTOR_ID))
    }

    /// The sampling rate this record states, if any: a plain interval, a
    /// PSAMP systematic count (`(interval + space) / interval`) or a random
    /// n-out-of-N selection (`N / n`).
    fn sampling_rate(&self) -> Option<u32> {
        let positive = |id| self.uint(id).filter(|&n| n > 0);
        let ratio = |taken: u16, out_of: Option<u64>| Some(out_of? / positive(taken)?);
        let rate = positive(ie::SAMPLING_INTERVAL)
            .or_else(|| positive(ie::SAMPLER_RANDOM_INTERVAL))
            .or_else(|| {
                let period = positive(ie::SAMPLING_PACKET_INTERVAL)?
                    .checked_add(self.uint(ie::SAMPLING_PACKET_SPACE)?);
                ratio(ie::SAMPLING_PACKET_INTERVAL, period)
            })
            .or_else(|| ratio(ie::SAMPLING_SIZE, self.uint(ie::SAMPLING_POPULATION)))?;
        Some(u32::try_from(rate).unwrap_or(u32::MAX).max(1))
    }

    /// Flow start and, when the end is known too, duration in seconds. The
    /// export time stands in for a start the record does not give.
    fn times(&self, clock: &Clock) -> (Micros, Option<f64>) {
        let duration = self
            .uint(ie::DURATION_MILLIS)
            .and_then(|ms| ms.checked_mul(1000))
            .or_else(|| self.uint(ie::DURATION_MICROS))
            .and_then(|us| i64::try_from(us).ok());
        let end = self.end(clock);
        let start = self
            .start(clock)
            .or_else(|| end?.checked_sub(duration?))
            .filter(|&s| plausible(s));
        let Some(start) = start else {
            return (clock.export, None);
        };
        let end = end.or_else(|| start.checked_add(duration?));
        let seconds = end
            .filter(|&e| e >= start && plausible(e))
            .map(|e| (e - start) as f64 / 1e6);
        (start, seconds)
    }

    /// Event records (NAT, firewall) have no flow start but say when the
    /// event was observed.
    fn start(&self, clock: &Clock) -> Option<Micros> {
        self.absolute(ie::START)
            .or_else(|| self.at_uptime(ie::FIRST_UPTIME, clock))
            .or_else(|| self.before_export(ie::START_DELTA_MICROS, clock))
            .or_else(|| self.absolute(ie::OBSERVED))
    }

    fn end(&self, clock: &Clock) -> Option<Micros> {
        self.absolute(ie::END)
            .or_else(|| self.at_uptime(ie::LAST_UPTIME, clock))
            .or_else(|| self.before_export(ie::END_DELTA_MICROS, clock))
    }

    /// An absolute time from the first present of the seconds, milliseconds,
    /// microseconds and nanoseconds fields.
    fn absolute(&self, [secs, millis, micros, nanos]: [u16; 4]) -> Option<Micros> {
        let scaled = |id, factor: i64| i64::try_from(self.uint(id)?).ok()?.checked_mul(factor);
        scaled(secs, 1_000_000)
            .or_else(|| scaled(millis, 1000))
            .or_else(|| ntp_micros(self.raw(micros)?))
            .or_else(|| ntp_micros(self.raw(nanos)?))
    }

    /// A time given as exporter uptime (ms): IPFIX anchors it with
    /// `systemInitTimeMilliseconds`, v5/v9 with the header's uptime and
    /// clock. Uptime is 32 bits and wraps; the signed difference copes with
    /// that and with a record stamped just after the header.
    fn at_uptime(&self, id: u16, clock: &Clock) -> Option<Micros> {
        let at = self.uint(id)?;
        if let Some(boot) = self.uint(ie::SYSTEM_INIT_MILLIS) {
            return i64::try_from(boot.checked_add(at)?).ok()?.checked_mul(1000);
        }
        let ago_ms = clock.uptime_ms?.wrapping_sub(at as u32) as i32;
        clock.export.checked_sub(i64::from(ago_ms) * 1000)
    }

    fn before_export(&self, id: u16, clock: &Clock) -> Option<Micros> {
        clock
            .export
            .checked_sub(i64::try_from(self.uint(id)?).ok()?)
    }
}

/// Latest time accepted: 9999-12-31T23:59:59.999999Z.
const MAX_MICROS: Micros = 253_402_300_799_999_999;

/// Record times beyond this range are exporter clock garbage.
fn plausible(ts: Micros) -> bool {
    (0..=MAX_MICROS).contains(&ts)
}

/// IPFIX `dateTimeMicroseconds`/`dateTimeNanoseconds`: NTP seconds since 1900
/// and a binary fraction of a second.
fn ntp_micros(raw: &[u8]) -> Option<Micros> {
    const UNIX_MINUS_NTP_EPOCH: i64 = 2_208_988_800;
    if raw.len() != 8 {
        return None;
    }
    let secs = i64::from(be32(raw, 0)?) - UNIX_MINUS_NTP_EPOCH;
    let fraction = u64::from(be32(raw, 4)?);
    let micros = (fraction * 1_000_000) >> 32;
    Some(secs * 1_000_000 + micros as i64)
}

// ---------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------

fn be_uint(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() || raw.len() > 8 {
        return None;
    }
    Some(raw.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn ipv4_at(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let octets: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(octets))
}

fn ipv6_at(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let octets: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::VecSink;
    use std::path::{Path, PathBuf};

    const NETFLOW_DIR: &str = "netflow/akvorado-netflow-pcaps";
    const SFLOW_DIR: &str = "netflow/akvorado-sflow-pcaps";
    /// Legacy pcap file header plus one record header: where the first
    /// packet's bytes start.
    const FIRST_FRAME: usize = 24 + 16;
    /// Ethernet, IPv4 without options and UDP headers of the sample captures.
    const UDP_PAYLOAD: usize = 14 + 20 + 8;

    fn file(dir: &Path, name: &str) -> Vec<u8> {
        std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn read_ok(bytes: &[u8], collector: &mut Collector) -> VecSink {
        let mut sink = VecSink::default();
        read(
            &mut &bytes[..],
            &ReadOptions::default(),
            collector,
            &mut sink,
        )
        .expect("read");
        sink
    }

    /// Reads files in order with one collector, as one ingest run does.
    fn read_run(dir: &Path, names: &[&str]) -> Vec<VecSink> {
        let mut collector = Collector::default();
        names
            .iter()
            .map(|n| read_ok(&file(dir, n), &mut collector))
            .collect()
    }

    fn reasons(sink: &VecSink) -> Vec<&str> {
        sink.rejections.iter().map(|r| r.reason.as_str()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    /// The UDP payload of a one-packet sample capture.
    fn export_of(capture: &[u8]) -> Vec<u8> {
        capture[FIRST_FRAME + UDP_PAYLOAD..].to_vec()
    }

    fn legacy_pcap(link: u32, frames: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(0xa1b2_c3d4u32.to_le_bytes());
        out.extend(2u16.to_le_bytes());
        out.extend(4u16.to_le_bytes());
        out.extend([0; 8]); // time zone, accuracy
        out.extend(65_535u32.to_le_bytes());
        out.extend(link.to_le_bytes());
        for (i, frame) in frames.iter().enumerate() {
            out.extend((1_700_000_000 + i as u32).to_le_bytes());
            out.extend(250_000u32.to_le_bytes());
            out.extend((frame.len() as u32).to_le_bytes());
            out.extend((frame.len() as u32).to_le_bytes());
            out.extend(*frame);
        }
        out
    }

    fn ng_block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let len = (12 + body.len()) as u32;
        out.extend(kind.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(body);
        out.extend(len.to_le_bytes());
    }

    /// A pcapng file with one interface (microsecond timestamps) and one
    /// enhanced packet block per frame.
    fn pcapng(link: u16, frames: &[&[u8]], micros: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let section = [
            &0x1a2b_3c4du32.to_le_bytes()[..],
            &[1, 0, 0, 0],
            &(-1i64).to_le_bytes(),
        ]
        .concat();
        ng_block(&mut out, 0x0a0d_0d0a, &section);
        let interface = [&link.to_le_bytes()[..], &[0, 0], &65_535u32.to_le_bytes()].concat();
        ng_block(&mut out, 1, &interface);
        for frame in frames {
            let mut body = 0u32.to_le_bytes().to_vec();
            body.extend(((micros >> 32) as u32).to_le_bytes());
            body.extend((micros as u32).to_le_bytes());
            body.extend((frame.len() as u32).to_le_bytes());
            body.extend((frame.len() as u32).to_le_bytes());
            body.extend(*frame);
            body.resize(body.len().next_multiple_of(4), 0);
            ng_block(&mut out, 6, &body);
        }
        out
    }

    /// Ethernet, IPv4 and UDP (to port 2055) around `payload`.
    fn udp_frame(src: [u8; 4], src_port: u16, payload: &[u8]) -> Vec<u8> {
        let udp_len = 8 + payload.len();
        let mut f = vec![0; 12];
        f.extend([0x08, 0x00, 0x45, 0]);
        f.extend(((20 + udp_len) as u16).to_be_bytes());
        f.extend([0, 0, 0, 0, 64, PROTO_UDP, 0, 0]);
        f.extend(src);
        f.extend([192, 0, 2, 1]);
        f.extend(src_port.to_be_bytes());
        f.extend(2055u16.to_be_bytes());
        f.extend((udp_len as u16).to_be_bytes());
        f.extend([0, 0]);
        f.extend(payload);
        f
    }

    fn one_export(
        src: [u8; 4],
        src_port: u16,
        payload: &[u8],
        collector: &mut Collector,
    ) -> VecSink {
        read_ok(
            &legacy_pcap(1, &[&udp_frame(src, src_port, payload)]),
            collector,
        )
    }

    fn all_pcaps(dir: &Path) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("sample folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
            .collect();
        paths.sort();
        paths
    }

    // --- recognising captures ---------------------------------------------

    #[test]
    fn used_elements_are_sorted_for_binary_search() {
        assert!(ie::USED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sniffs_pcap_and_pcapng_magics() {
        for magic in [
            [0xd4, 0xc3, 0xb2, 0xa1], // little-endian, microseconds
            [0xa1, 0xb2, 0xc3, 0xd4], // big-endian, microseconds
            [0x4d, 0x3c, 0xb2, 0xa1], // little-endian, nanoseconds
            [0xa1, 0xb2, 0x3c, 0x4d], // big-endian, nanoseconds
        ] {
            assert!(sniff(&[&magic[..], &[0; 20]].concat()), "{magic:x?}");
        }
        assert!(sniff(&pcapng(1, &[], 0)));
        let big_endian_ng = [0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d];
        assert!(sniff(&big_endian_ng));
        assert!(!sniff(b"#separator \\x09\n#path\tconn\n"));
        assert!(!sniff(&[0x1f, 0x8b, 8, 0]));
        assert!(!sniff(&[0xd4, 0xc3]));
        assert!(!sniff(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 1, 2, 3, 4]));
    }

    #[test]
    fn first_packet_time_of_legacy_and_pcapng() {
        // Big-endian with nanosecond timestamps.
        let mut nano = 0xa1b2_3c4du32.to_be_bytes().to_vec();
        nano.extend([
            0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 1,
        ]);
        nano.extend(1_700_000_000u32.to_be_bytes());
        nano.extend(123_456_789u32.to_be_bytes());
        assert_eq!(
            Collector::first_packet_time(&nano),
            Some(1_700_000_000_123_456)
        );
        assert_eq!(
            Collector::first_packet_time(&legacy_pcap(1, &[b"x"])),
            Some(1_700_000_000_250_000)
        );
        let ng = pcapng(1, &[b"frame"], 1_700_000_000_654_321);
        assert_eq!(
            Collector::first_packet_time(&ng),
            Some(1_700_000_000_654_321)
        );
        assert_eq!(Collector::first_packet_time(&legacy_pcap(1, &[])), None);
        assert_eq!(Collector::first_packet_time(b"not a capture at all"), None);
    }

    #[test]
    fn first_packet_time_of_a_sample() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        // tshark: "Epoch Time: 1680655485.099595000 seconds".
        let head = file(&dir, "nfv5.pcap");
        assert_eq!(
            Collector::first_packet_time(&head),
            Some(1_680_655_485_099_595)
        );
    }

    // --- NetFlow v5 ----------------------------------------------------------

    #[test]
    fn reads_netflow_v5() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sink = read_ok(&file(&dir, "nfv5.pcap"), &mut Collector::default());
        // tshark: one packet, "Count: 29", 88345 octets and 78 packets in all.
        assert_eq!(sink.flows.len(), 29);
        assert!(sink.rejections.is_empty());
        assert_eq!(
            sink.flows.iter().filter_map(|f| f.src_bytes).sum::<u64>(),
            88_345
        );
        assert_eq!(
            sink.flows.iter().filter_map(|f| f.src_pkts).sum::<u64>(),
            78
        );
        assert!(sink
            .flows
            .iter()
            .all(|f| f.line == 24 && f.sampling_rate == 1));
        assert!(sink
            .flows
            .iter()
            .all(|f| f.dst_bytes.is_none() && f.dst_pkts.is_none()));

        let f = &sink.flows[0];
        assert_eq!((f.src_ip, f.src_port), (ip("161.202.212.212"), Some(30104)));
        assert_eq!((f.dst_ip, f.dst_port), (ip("202.152.70.24"), Some(11963)));
        assert_eq!(f.transport, "tcp");
        assert_eq!((f.src_bytes, f.src_pkts), (Some(133), Some(1)));
        assert_eq!(f.history.as_deref(), Some("AD")); // flags 0x18
        assert_eq!(f.sensor.as_deref(), Some("10.19.144.41"));
        // unix_secs 1680626679, uptime 2874339 s, first switched 2874324 s.
        assert_eq!(f.ts, 1_680_626_664_000_000);
        assert_eq!(f.duration, Some(0.0));

        let f = &sink.flows[1];
        assert_eq!((f.src_ip, f.dst_port), (ip("173.194.4.8"), Some(37422)));
        assert_eq!((f.src_bytes, f.src_pkts), (Some(10262), Some(7)));
        assert_eq!((f.ts, f.duration), (1_680_626_655_000_000, Some(9.0)));
        assert_eq!(sink.flows[2].transport, "udp");
    }

    #[test]
    fn v5_sampling_interval_from_the_header() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let mut export = export_of(&file(&dir, "nfv5.pcap"));
        // Mode bits 01 (deterministic), interval 512.
        export[22..24].copy_from_slice(&(0x4000u16 | 512).to_be_bytes());
        let sink = one_export([10, 0, 0, 1], 2055, &export, &mut Collector::default());
        assert_eq!(sink.flows.len(), 29);
        assert!(sink.flows.iter().all(|f| f.sampling_rate == 512));
    }

    // --- NetFlow v9 and IPFIX templates --------------------------------------

    #[test]
    fn v9_options_template_and_data_across_files() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let names = [
            "options-template.pcap",
            "options-data.pcap",
            "template.pcap",
            "data.pcap",
        ];
        let sinks = read_run(&dir, &names);
        for sink in &sinks[..3] {
            assert!(sink.flows.is_empty() && sink.rejections.is_empty());
            assert_eq!(sink.skipped, 1, "templates and options are not rows");
        }
        // tshark: "FlowSet 1 [id=260] (4 flows)"; options said interval 30000.
        let data = &sinks[3];
        assert_eq!(data.flows.len(), 4);
        assert!(data.rejections.is_empty());
        assert!(data.flows.iter().all(|f| f.sampling_rate == 30000));
        let f = &data.flows[0];
        assert_eq!((f.src_ip, f.src_port), (ip("198.38.121.178"), Some(443)));
        assert_eq!((f.dst_ip, f.dst_port), (ip("91.170.143.87"), Some(19624)));
        assert_eq!(
            (f.src_bytes, f.src_pkts, f.transport.as_ref()),
            (Some(1500), Some(1), "tcp")
        );
        assert_eq!(f.sensor.as_deref(), Some("192.0.2.100"));
        // unix_secs 1647285928, uptime 944951.609 s, first switched 944948.659 s.
        assert_eq!((f.ts, f.duration), (1_647_285_925_050_000, Some(0.0)));
        assert_eq!(f.history.as_deref(), Some("A"));
    }

    #[test]
    fn data_before_its_template_is_rejected_then_decodes() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sinks = read_run(&dir, &["data.pcap", "template.pcap", "data.pcap"]);
        assert!(sinks[0].flows.is_empty());
        assert_eq!(
            reasons(&sinks[0]),
            ["no template 260 yet from exporter 192.0.2.100:47873"]
        );
        assert_eq!(sinks[0].rejections[0].line, 24);
        assert!(sinks[0].rejections[0].raw_len > 0);
        assert_eq!(sinks[2].flows.len(), 4);
        // No options data this time: the sampling rate is unknown.
        assert!(sinks[2].flows.iter().all(|f| f.sampling_rate == 1));
    }

    #[test]
    fn templates_are_kept_per_exporter_port_and_domain() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let template = export_of(&file(&dir, "template.pcap"));
        let data = export_of(&file(&dir, "data.pcap"));
        let mut other_domain = data.clone();
        other_domain[16..20].copy_from_slice(&7u32.to_be_bytes()); // v9 source id
        let mut collector = Collector::default();
        one_export([192, 0, 2, 100], 47873, &template, &mut collector);

        let strangers = [
            ([192, 0, 2, 200], 47873, &data, "192.0.2.200:47873"),
            ([192, 0, 2, 100], 47874, &data, "192.0.2.100:47874"),
            (
                [192, 0, 2, 100],
                47873,
                &other_domain,
                "192.0.2.100:47873/obs=7",
            ),
        ];
        for (src, port, payload, name) in strangers {
            let sink = one_export(src, port, payload, &mut collector);
            assert!(sink.flows.is_empty(), "{name}");
            assert_eq!(
                reasons(&sink),
                [format!("no template 260 yet from exporter {name}")]
            );
        }
        let sink = one_export([192, 0, 2, 100], 47873, &data, &mut collector);
        assert_eq!(sink.flows.len(), 4);
    }

    #[test]
    fn data_and_templates_in_one_packet() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sink = read_ok(
            &file(&dir, "data+templates.pcap"),
            &mut Collector::default(),
        );
        // tshark: flowset 1 (id 257, 660 bytes) comes before its template, then
        // options data (sampling interval 100), the template, 10 flows.
        assert_eq!(sink.flows.len(), 10);
        assert_eq!(
            reasons(&sink),
            ["no template 257 yet from exporter 102.102.144.1:14338/obs=17170432"]
        );
        assert!(sink.flows.iter().all(|f| f.sampling_rate == 100));
        assert_eq!(
            sink.flows[0].sensor.as_deref(),
            Some("102.102.144.1/obs=17170432")
        );
    }

    // --- sampling rates ------------------------------------------------------

    #[test]
    fn sampling_interval_in_data_records() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sinks = read_run(
            &dir,
            &["samplingrate-template.pcap", "samplingrate-data.pcap"],
        );
        let flows = &sinks[1].flows;
        // tshark: 6 flows, each with "Sampling interval: 2048"; 3740 octets in all.
        assert_eq!(flows.len(), 6);
        assert!(flows.iter().all(|f| f.sampling_rate == 2048));
        assert_eq!(flows.iter().filter_map(|f| f.src_bytes).sum::<u64>(), 3740);
        let f = &flows[0];
        assert_eq!(
            (f.src_ip, f.dst_ip),
            (ip("232.131.215.65"), ip("142.183.180.65"))
        );
        assert_eq!(
            (f.src_port, f.dst_port, f.src_bytes),
            (Some(13245), Some(10907), Some(160))
        );
        assert_eq!(f.sensor.as_deref(), Some("192.168.0.1/obs=369099009"));
    }

    #[test]
    fn sampling_rate_per_sampler_id() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let names = [
            "multiplesamplingrates-options-template.pcap",
            "multiplesamplingrates-options-data.pcap",
            "multiplesamplingrates-template.pcap",
            "multiplesamplingrates-data.pcap",
        ];
        let sinks = read_run(&dir, &names);
        let flows = &sinks[3].flows;
        // tshark: sampler 1 is 1 out of 2000, sampler 2 is 1 out of 4000; the
        // first of the 12 flows uses sampler 2, the others sampler 1.
        assert_eq!(flows.len(), 12);
        assert_eq!(flows.iter().filter_map(|f| f.src_bytes).sum::<u64>(), 14818);
        assert_eq!(
            (flows[0].src_ip, flows[0].sampling_rate),
            (ip("ffff::68"), 4000)
        );
        assert!(flows[1..].iter().all(|f| f.sampling_rate == 2000));
        assert_eq!(
            (flows[1].src_ip, flows[1].dst_ip),
            (ip("ffff::5a"), ip("ffff::f"))
        );
        assert_eq!(
            (flows[1].transport.as_ref(), flows[1].src_pkts),
            ("udp", Some(4))
        );
    }

    #[test]
    fn psamp_sampling_from_ipfix_options() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        // tshark: packet interval 1, packet space 9, then 2 flows.
        let sink = read_ok(&file(&dir, "mpls.pcap"), &mut Collector::default());
        assert_eq!(sink.flows.len(), 2);
        assert!(sink.flows.iter().all(|f| f.sampling_rate == 10));
        let f = &sink.flows[1];
        assert_eq!(
            (f.src_ip, f.dst_ip),
            (ip("fd00::1:0:1:7:1"), ip("fd00::1:0:1:6:1"))
        );
        assert_eq!((f.src_bytes, f.src_pkts), (Some(890), Some(10)));

        // tshark: interval 1, space 999, then 8 flows with IPv4 and zero IPv6 fields.
        let sink = read_ok(
            &file(&dir, "physicalinterfaces.pcap"),
            &mut Collector::default(),
        );
        assert_eq!(sink.flows.len(), 8);
        assert!(sink
            .flows
            .iter()
            .all(|f| f.sampling_rate == 1000 && f.src_ip.is_ipv4()));
        assert_eq!(
            sink.flows.iter().filter_map(|f| f.src_bytes).sum::<u64>(),
            31111
        );
        let f = &sink.flows[0];
        assert_eq!((f.src_ip, f.src_port), (ip("147.53.240.75"), Some(55629)));
        assert_eq!((f.dst_ip, f.dst_port), (ip("212.82.101.24"), Some(993)));
        assert_eq!((f.src_bytes, f.src_pkts), (Some(4506), Some(3)));
    }

    // --- other record shapes ---------------------------------------------------

    #[test]
    fn icmp_over_ipv4_and_ipv6() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sinks = read_run(&dir, &["icmp-template.pcap", "icmp-data.pcap"]);
        // The template packet carries 2 flows of its own (tshark: set 5, id 2048).
        assert_eq!((sinks[0].flows.len(), sinks[1].flows.len()), (2, 2));
        let v6 = &sinks[0].flows[0];
        assert_eq!(
            (v6.src_ip, v6.dst_ip),
            (ip("2001:db8::"), ip("2001:db8::1"))
        );
        assert_eq!(
            (v6.transport.as_ref(), v6.dst_port),
            ("ipv6-icmp", Some(128 * 256))
        );
        // flowStartMilliseconds: 2023-06-04 08:39:53.216 UTC.
        assert_eq!(v6.ts, 1_685_867_993_216_000);
        let v4 = &sinks[1].flows[0];
        assert_eq!(
            (v4.transport.as_ref(), v4.dst_port, v4.src_bytes),
            ("icmp", Some(8 * 256), Some(84))
        );
    }

    #[test]
    fn biflow_reverse_counters() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sinks = read_run(&dir, &["ipfixprobe-templates.pcap", "ipfixprobe-data.pcap"]);
        let flows = &sinks[1].flows;
        assert_eq!(flows.len(), 4);
        let dns = &flows[0];
        assert_eq!(
            (dns.src_ip, dns.dst_ip, dns.dst_port),
            (ip("10.10.1.4"), ip("10.10.1.1"), Some(53))
        );
        assert_eq!(
            (dns.src_bytes, dns.dst_bytes, dns.src_pkts, dns.dst_pkts),
            (Some(62), Some(128), Some(1), Some(1))
        );
        let smtp = &flows[2];
        assert_eq!((smtp.src_bytes, smtp.dst_bytes), (Some(21673), Some(1546)));
        assert_eq!((smtp.src_pkts, smtp.dst_pkts), (Some(28), Some(25)));
        // Both directions saw FIN, SYN, PSH and ACK (0x1b).
        assert_eq!(smtp.history.as_deref(), Some("SADFhadf"));
        assert_eq!(smtp.sensor.as_deref(), Some("127.0.0.1/obs=1"));
    }

    #[test]
    fn records_of_sampled_packet_headers() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sinks = read_run(&dir, &["datalink-template.pcap", "datalink-data.pcap"]);
        // tshark: one record with a 114-byte frame: VLAN 231, IPv4, UDP.
        assert_eq!(sinks[1].flows.len(), 1);
        let f = &sinks[1].flows[0];
        assert_eq!((f.src_ip, f.src_port), (ip("51.51.51.51"), Some(55501)));
        assert_eq!((f.dst_ip, f.dst_port), (ip("52.52.52.52"), Some(11777)));
        assert_eq!(
            (f.transport.as_ref(), f.src_bytes, f.src_pkts),
            ("udp", Some(96), Some(1))
        );

        let names = [
            "ethernet-over-mpls-with-control-word-template.pcap",
            "ethernet-over-mpls-with-control-word-data.pcap",
        ];
        let sinks = read_run(&dir, &names);
        // tshark: 10 records, each an MPLS pseudowire with a control word.
        assert_eq!(sinks[1].flows.len(), 10);
        assert!(sinks[1].rejections.is_empty());
        assert_eq!(sinks[1].flows[0].src_ip, ip("198.51.100.19"));

        let sinks = read_run(
            &dir,
            &["juniper-cpid-template.pcap", "juniper-cpid-data.pcap"],
        );
        // tshark: IPv6 (payload length 64) carrying IPv4.
        assert_eq!(sinks[1].flows.len(), 1);
        let f = &sinks[1].flows[0];
        assert_eq!(
            (f.src_ip, f.dst_ip),
            (ip("fc30:2200:1b::f"), ip("fc30:2200:23:e009::"))
        );
        assert_eq!((f.transport.as_ref(), f.src_bytes), ("4", Some(104)));
    }

    #[test]
    fn nat_events_are_timed_by_observation() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let sink = read_ok(&file(&dir, "nat.pcap"), &mut Collector::default());
        assert_eq!(sink.flows.len(), 9);
        let f = &sink.flows[0];
        assert_eq!(
            (f.src_ip, f.dst_ip, f.dst_port),
            (ip("172.16.100.198"), ip("10.89.87.1"), Some(53))
        );
        // observationTimeMilliseconds: 2025-06-04 15:09:00.450 UTC; no counters.
        assert_eq!((f.ts, f.src_bytes), (1_749_049_740_450_000, None));
    }

    #[test]
    fn every_sample_pcap_reads() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let mut captures: Vec<(Option<Micros>, Vec<u8>)> = all_pcaps(&dir)
            .iter()
            .map(|p| std::fs::read(p).expect("sample"))
            .map(|bytes| (Collector::first_packet_time(&bytes), bytes))
            .collect();
        assert_eq!(captures.len(), 27);
        assert!(captures.iter().all(|(first, _)| first.is_some()));
        // As the ingest run does: capture time order, one collector.
        captures.sort_by_key(|(first, _)| *first);
        let mut collector = Collector::default();
        let (mut rows, mut rejected) = (0, Vec::new());
        for (_, bytes) in &captures {
            let sink = read_ok(bytes, &mut collector);
            // Each sample holds one packet, which is rows, rejections or skipped.
            assert!(sink.flows.len() + sink.rejections.len() + sink.skipped as usize >= 1);
            rows += sink.flows.len();
            rejected.extend(sink.rejections.into_iter().map(|r| r.reason));
        }
        // Capture times do not always put templates first: `data.pcap` and
        // `options-data.pcap` were captured before their templates, and so was
        // the MPLS pseudowire data (10 flows). Everything else decodes: 29
        // (v5) + 10 (data+templates) + 4 (icmp) + 1 (datalink) + 6
        // (samplingrate) + 2 (mpls) + 12 (multiplesamplingrates) + 8
        // (physicalinterfaces) + 9 (nat) + 4 (ipfixprobe) + 1 (srv6) + 1
        // (juniper).
        assert_eq!(rows, 87);
        let expected = [
            "no template 260 yet from exporter 192.0.2.100:47873",
            "no template 257 yet from exporter 192.0.2.100:47873",
            "no template 257 yet from exporter 102.102.144.1:14338/obs=17170432",
            "no template 384 yet from exporter 192.168.10.11:33092/obs=16842752",
        ];
        assert_eq!(rejected, expected);
    }

    #[test]
    fn sflow_is_rejected() {
        let dir = borderscope_testdata::require_shared!(SFLOW_DIR);
        let paths = all_pcaps(&dir);
        assert_eq!(paths.len(), 11);
        let mut collector = Collector::default();
        for path in paths {
            let sink = read_ok(&std::fs::read(&path).expect("sample"), &mut collector);
            assert!(sink.flows.is_empty(), "{path:?}");
            assert_eq!(
                reasons(&sink),
                ["sFlow datagrams are not supported"],
                "{path:?}"
            );
        }
    }

    // --- links and packets -----------------------------------------------------

    #[test]
    fn decodes_other_link_layers_and_pcapng() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let capture = file(&dir, "nfv5.pcap");
        let ethernet = &capture[FIRST_FRAME..];
        let ip_packet = &ethernet[14..];
        let tagged = [
            &ethernet[..12],
            &[0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00],
            ip_packet,
        ]
        .concat();
        let sll = [&[0; 14][..], &[0x08, 0x00], ip_packet].concat();
        let sll2 = [&[0x08, 0x00][..], &[0; 18], ip_packet].concat();
        let loopback = [&[2, 0, 0, 0][..], ip_packet].concat();
        let captures = [
            legacy_pcap(101, &[ip_packet]),
            legacy_pcap(1, &[&tagged]),
            legacy_pcap(113, &[&sll]),
            legacy_pcap(276, &[&sll2]),
            legacy_pcap(0, &[&loopback]),
            pcapng(1, &[ethernet, ethernet], 0),
        ];
        for (i, capture) in captures.iter().enumerate() {
            let sink = read_ok(capture, &mut Collector::default());
            let expected = if i == 5 { 58 } else { 29 };
            assert_eq!(
                sink.flows.len(),
                expected,
                "capture {i}: {:?}",
                reasons(&sink)
            );
            assert_eq!(sink.flows[0].sensor.as_deref(), Some("10.19.144.41"));
        }
        // pcapng rows are located by the offset of their packet block.
        let sink = read_ok(&captures[5], &mut Collector::default());
        let second_block = 28 + 20 + (32 + ethernet.len().next_multiple_of(4)) as u64;
        assert_eq!(
            (sink.flows[0].line, sink.flows[29].line),
            (48, second_block)
        );
    }

    #[test]
    fn skips_packets_that_are_not_udp() {
        let mut tcp = udp_frame([10, 0, 0, 1], 2055, &[0; 24]);
        tcp[23] = PROTO_TCP;
        let mut arp = udp_frame([10, 0, 0, 1], 2055, &[0; 24]);
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        let sink = read_ok(&legacy_pcap(1, &[&tcp, &arp]), &mut Collector::default());
        assert_eq!(
            (sink.rows(), sink.rejections.len(), sink.skipped),
            (0, 0, 2)
        );
    }

    #[test]
    fn rejects_what_is_not_an_export_packet() {
        let sflow = [&[0, 0, 0, 5, 0, 0, 0, 1][..], &[0; 40]].concat();
        let mut v5_short = vec![0, 5, 0, 3];
        v5_short.resize(24 + 48, 0);
        let cases: [(&[u8], &str); 5] = [
            (&sflow, "sFlow datagrams are not supported"),
            (
                &[0, 42, 0, 0, 0, 0, 0, 0],
                "not a NetFlow or IPFIX export packet (version field is 42)",
            ),
            (&[0, 7, 0, 1], "NetFlow v7 is not supported"),
            (&[9], "1-byte UDP payload is too short for an export packet"),
            (
                &v5_short,
                "NetFlow v5 packet announces 168 bytes but the datagram holds 72",
            ),
        ];
        for (payload, why) in cases {
            let sink = one_export([10, 0, 0, 1], 2055, payload, &mut Collector::default());
            assert_eq!(reasons(&sink), [why]);
            assert_eq!(sink.rejections[0].line, 24);
        }
        let mut fragment = udp_frame([10, 0, 0, 1], 2055, &[0, 5]);
        fragment[20] = 0x20; // more fragments
        let sink = read_ok(&legacy_pcap(1, &[&fragment]), &mut Collector::default());
        assert!(
            reasons(&sink)[0].contains("fragment"),
            "{:?}",
            reasons(&sink)
        );
    }

    #[test]
    fn packet_cut_by_snap_length_is_rejected() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let capture = file(&dir, "nfv5.pcap");
        let cut = &capture[FIRST_FRAME..FIRST_FRAME + 200];
        let sink = read_ok(&legacy_pcap(1, &[cut]), &mut Collector::default());
        assert_eq!(sink.flows.len(), 0);
        assert!(
            reasons(&sink)[0].contains("snap length"),
            "{:?}",
            reasons(&sink)
        );
    }

    // --- damaged files -----------------------------------------------------------

    #[test]
    fn truncated_file_keeps_what_precedes_the_cut() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let capture = file(&dir, "nfv5.pcap");
        let frame = &capture[FIRST_FRAME..];
        let whole = legacy_pcap(1, &[frame, frame]);
        let second = (FIRST_FRAME + frame.len()) as u64;
        for cut in [whole.len() - 1, whole.len() - 700, second as usize + 10] {
            let sink = read_ok(&whole[..cut], &mut Collector::default());
            assert_eq!(sink.flows.len(), 29, "cut at {cut}");
            assert_eq!(sink.rejections.len(), 1);
            let rejection = &sink.rejections[0];
            assert_eq!(rejection.line, second);
            assert!(
                rejection.reason.contains("truncated"),
                "{}",
                rejection.reason
            );
            assert_eq!(rejection.raw_len, (cut as u64) - second);
        }
        // A cut inside the file header.
        let sink = read_ok(&whole[..10], &mut Collector::default());
        assert_eq!((sink.rows(), sink.rejections.len()), (0, 1));
    }

    #[test]
    fn garbage_after_a_valid_header_does_not_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let noise: Vec<u8> = (0..200_000).map(|_| rng.next() as u8).collect();
        let legacy = [&legacy_pcap(1, &[])[..], &noise].concat();
        let ng = [&pcapng(1, &[], 0)[..], &noise].concat();
        for capture in [legacy, ng] {
            let sink = read_ok(&capture, &mut Collector::default());
            assert_eq!(sink.rows(), 0);
            assert!(!sink.rejections.is_empty());
        }
        // A record header announcing a 4 GiB packet.
        let mut huge = legacy_pcap(1, &[]);
        huge.extend([0; 8]);
        huge.extend([0xff; 8]);
        huge.extend([0xab; 100]);
        let sink = read_ok(&huge, &mut Collector::default());
        assert_eq!((sink.rows(), sink.rejections.len()), (0, 1));
        assert_eq!(sink.rejections[0].line, 24);
        // Not a capture at all.
        let sink = read_ok(b"hello, world", &mut Collector::default());
        assert_eq!(sink.rejections.len(), 1);
    }

    /// xorshift64: reproducible noise without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn mutated_samples_never_panic() {
        let dir = borderscope_testdata::require_shared!(NETFLOW_DIR);
        let samples: Vec<Vec<u8>> = all_pcaps(&dir)
            .iter()
            .map(|p| std::fs::read(p).expect("sample"))
            .collect();
        // Learn every template first so that mutated data reaches the decoders.
        let mut collector = Collector::default();
        for sample in &samples {
            read_ok(sample, &mut collector);
        }
        let mut rng = Rng(42);
        for sample in &samples {
            for _ in 0..60 {
                let mut bytes = sample.clone();
                for _ in 0..1 + rng.below(8) {
                    let at = FIRST_FRAME + rng.below(bytes.len() - FIRST_FRAME);
                    bytes[at] = match rng.below(3) {
                        0 => 0,
                        1 => 0xff,
                        _ => rng.next() as u8,
                    };
                }
                if rng.below(4) == 0 {
                    bytes.truncate(rng.below(bytes.len()));
                }
                let mut sink = VecSink::default();
                read(
                    &mut &bytes[..],
                    &ReadOptions::default(),
                    &mut collector,
                    &mut sink,
                )
                .expect("in-memory read");
            }
        }
    }

    #[test]
    fn io_errors_are_returned() {
        /// Hands out its bytes, then fails.
        struct Failing(io::Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(io::Error::other("disk unplugged")),
                    n => Ok(n),
                }
            }
        }
        let capture = legacy_pcap(1, &[&udp_frame([10, 0, 0, 1], 2055, &[0; 100])]);
        let mut input =
            io::BufReader::with_capacity(16, Failing(io::Cursor::new(capture[..90].to_vec())));
        let mut sink = VecSink::default();
        let error = read(
            &mut input,
            &ReadOptions::default(),
            &mut Collector::default(),
            &mut sink,
        )
        .expect_err("the failure must reach the caller");
        assert_eq!(error.to_string(), "disk unplugged");
    }
}
