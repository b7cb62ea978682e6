//! Sampled flow export as a collector captures it: a pcap file a day of
//! UDP datagrams from two border routers, one exporting IPFIX (RFC 7011),
//! the other NetFlow v9 (RFC 3954).
//!
//! Each file starts with each exporter's templates, as a collector's
//! rotated capture would after the exporters' periodic template refresh.
//! The IPFIX exporter states its sampling interval in every data record
//! (`samplingInterval`, IE 34); the v9 exporter announces its sampler in
//! options data (`FLOW_SAMPLER_ID`, `FLOW_SAMPLER_RANDOM_INTERVAL`) and
//! names the sampler in its data records, the two ways exporters do it.
//! v9 times are exporter uptime, which wraps every 49.7 days.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::Path;

use crate::rows::Record;

const COLLECTOR: Ipv4Addr = Ipv4Addr::new(10, 255, 0, 10);
pub const EXPORTERS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 255, 0, 1), Ipv4Addr::new(10, 255, 0, 2)];
const PORTS: [u16; 2] = [4739, 2055];
const DATA_TEMPLATE: u16 = 256;
const OPTIONS_TEMPLATE: u16 = 257;
const SAMPLER_ID: u8 = 1;
/// Records per export datagram, which stays under a 1,500-byte MTU.
const PER_PACKET: usize = 24;
/// An exporter exports a flow this long after it ends (inactive timeout).
const EXPORT_DELAY_MS: i64 = 15_000;

/// (IE, length) of the IPFIX data template.
const IPFIX_FIELDS: &[(u16, u16)] = &[
    (8, 4),   // sourceIPv4Address
    (12, 4),  // destinationIPv4Address
    (7, 2),   // sourceTransportPort
    (11, 2),  // destinationTransportPort
    (4, 1),   // protocolIdentifier
    (6, 1),   // tcpControlBits (reduced size)
    (1, 8),   // octetDeltaCount
    (2, 8),   // packetDeltaCount
    (152, 8), // flowStartMilliseconds
    (153, 8), // flowEndMilliseconds
    (34, 4),  // samplingInterval
];
/// (type, length) of the v9 data template.
const V9_FIELDS: &[(u16, u16)] = &[
    (8, 4),  // IPV4_SRC_ADDR
    (12, 4), // IPV4_DST_ADDR
    (7, 2),  // L4_SRC_PORT
    (11, 2), // L4_DST_PORT
    (4, 1),  // PROTOCOL
    (6, 1),  // TCP_FLAGS
    (1, 4),  // IN_BYTES
    (2, 4),  // IN_PKTS
    (22, 4), // FIRST_SWITCHED
    (21, 4), // LAST_SWITCHED
    (48, 1), // FLOW_SAMPLER_ID
];

/// One day's capture file.
pub struct Capture {
    w: BufWriter<File>,
    sampling: [u32; 2],
    /// The v9 exporter's boot time (ms since the epoch).
    boot_ms: i64,
    sequence: [u32; 2],
    last_ms: i64,
    pending: [Vec<Record>; 2],
    pub packets: u64,
}

impl Capture {
    pub fn create(
        path: &Path,
        sampling: [u32; 2],
        boot_ms: i64,
        day_ms: i64,
    ) -> io::Result<Capture> {
        let mut w = super::text::create(path)?;
        // Legacy pcap, microseconds, Ethernet.
        w.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        w.write_all(&2u16.to_le_bytes())?;
        w.write_all(&4u16.to_le_bytes())?;
        w.write_all(&0i32.to_le_bytes())?;
        w.write_all(&0u32.to_le_bytes())?;
        w.write_all(&65_535u32.to_le_bytes())?;
        w.write_all(&1u32.to_le_bytes())?;
        let mut c = Capture {
            w,
            sampling,
            boot_ms,
            sequence: [0; 2],
            last_ms: day_ms,
            pending: [Vec::new(), Vec::new()],
            packets: 0,
        };
        c.templates(day_ms)?;
        Ok(c)
    }

    fn templates(&mut self, at_ms: i64) -> io::Result<()> {
        let mut set = Vec::new();
        put16(&mut set, 2);
        put16(&mut set, (4 + 4 + 4 * IPFIX_FIELDS.len()) as u16);
        put16(&mut set, DATA_TEMPLATE);
        put16(&mut set, IPFIX_FIELDS.len() as u16);
        for &(ie, len) in IPFIX_FIELDS {
            put16(&mut set, ie);
            put16(&mut set, len);
        }
        let msg = self.ipfix_message(at_ms, &set);
        self.datagram(0, at_ms, &msg)?;

        let mut sets = Vec::new();
        // Template flowset.
        put16(&mut sets, 0);
        put16(&mut sets, (4 + 4 + 4 * V9_FIELDS.len()) as u16);
        put16(&mut sets, DATA_TEMPLATE);
        put16(&mut sets, V9_FIELDS.len() as u16);
        for &(t, len) in V9_FIELDS {
            put16(&mut sets, t);
            put16(&mut sets, len);
        }
        // Options template: scope System (4 bytes); sampler id, mode, interval.
        let options: &[(u16, u16)] = &[(48, 1), (49, 1), (50, 4)];
        let body = 6 + 4 + 4 * options.len();
        let padded = (4 + body).div_ceil(4) * 4;
        put16(&mut sets, 1);
        put16(&mut sets, padded as u16);
        put16(&mut sets, OPTIONS_TEMPLATE);
        put16(&mut sets, 4);
        put16(&mut sets, (4 * options.len()) as u16);
        put16(&mut sets, 1);
        put16(&mut sets, 4);
        for &(t, len) in options {
            put16(&mut sets, t);
            put16(&mut sets, len);
        }
        sets.resize(sets.len() + padded - (4 + body), 0);
        // Options data: the sampler, random 1-in-N.
        let record: usize = 4 + 1 + 1 + 4;
        let padded = (4 + record).div_ceil(4) * 4;
        put16(&mut sets, OPTIONS_TEMPLATE);
        put16(&mut sets, padded as u16);
        put32(&mut sets, u32::from(EXPORTERS[1]));
        sets.push(SAMPLER_ID);
        sets.push(2);
        put32(&mut sets, self.sampling[1]);
        sets.resize(sets.len() + padded - (4 + record), 0);
        let msg = self.v9_message(at_ms, 3, &sets);
        self.datagram(1, at_ms, &msg)
    }

    /// Queues a record; full datagrams go out as they fill.
    pub fn push(&mut self, r: &Record) -> io::Result<()> {
        let e = usize::from(r.exporter.min(1));
        self.pending[e].push(r.clone());
        if self.pending[e].len() >= PER_PACKET {
            self.flush_exporter(e)?;
        }
        Ok(())
    }

    fn flush_exporter(&mut self, e: usize) -> io::Result<()> {
        let records = std::mem::take(&mut self.pending[e]);
        if records.is_empty() {
            return Ok(());
        }
        let latest = records
            .iter()
            .map(|r| r.end_ms)
            .max()
            .unwrap_or(self.last_ms);
        // Whole seconds: the v9 header's clock has no fraction.
        let at_ms = ((latest + EXPORT_DELAY_MS).max(self.last_ms) / 1000 + 1) * 1000;
        let msg = if e == 0 {
            let mut set = Vec::new();
            put16(&mut set, DATA_TEMPLATE);
            put16(&mut set, 0);
            for r in &records {
                ipfix_record(&mut set, r, self.sampling[0]);
            }
            let len = set.len() as u16;
            set[2..4].copy_from_slice(&len.to_be_bytes());
            let msg = self.ipfix_message(at_ms, &set);
            self.sequence[0] = self.sequence[0].wrapping_add(records.len() as u32);
            msg
        } else {
            let mut set = Vec::new();
            put16(&mut set, DATA_TEMPLATE);
            put16(&mut set, 0);
            for r in &records {
                self.v9_record(&mut set, r);
            }
            set.resize(set.len().div_ceil(4) * 4, 0);
            let len = set.len() as u16;
            set[2..4].copy_from_slice(&len.to_be_bytes());
            self.v9_message(at_ms, records.len() as u16, &set)
        };
        self.datagram(e, at_ms, &msg)
    }

    /// Sends what is queued and finishes the file.
    pub fn finish(mut self) -> io::Result<u64> {
        self.flush_exporter(0)?;
        self.flush_exporter(1)?;
        self.w.flush()?;
        Ok(self.packets)
    }

    fn ipfix_message(&self, at_ms: i64, sets: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(16 + sets.len());
        put16(&mut m, 10);
        put16(&mut m, (16 + sets.len()) as u16);
        put32(&mut m, (at_ms / 1000) as u32);
        put32(&mut m, self.sequence[0]);
        put32(&mut m, 1); // observation domain
        m.extend_from_slice(sets);
        m
    }

    fn v9_message(&mut self, at_ms: i64, count: u16, flowsets: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(20 + flowsets.len());
        put16(&mut m, 9);
        put16(&mut m, count);
        put32(&mut m, self.uptime(at_ms));
        put32(&mut m, (at_ms / 1000) as u32);
        put32(&mut m, self.sequence[1]);
        put32(&mut m, 0); // source id
        self.sequence[1] = self.sequence[1].wrapping_add(1);
        m.extend_from_slice(flowsets);
        m
    }

    fn uptime(&self, at_ms: i64) -> u32 {
        // Wrapping, as a router's 32-bit millisecond counter does.
        (at_ms - self.boot_ms) as u64 as u32
    }

    fn v9_record(&self, out: &mut Vec<u8>, r: &Record) {
        put32(out, u32::from(r.src));
        put32(out, u32::from(r.dst));
        put16(out, r.src_p);
        put16(out, r.dst_p);
        out.push(r.proto);
        out.push(r.tcp_flags);
        put32(out, r.bytes.min(u64::from(u32::MAX)) as u32);
        put32(out, r.packets.min(u64::from(u32::MAX)) as u32);
        put32(out, self.uptime(r.start_ms));
        put32(out, self.uptime(r.end_ms));
        out.push(SAMPLER_ID);
    }

    /// Ethernet, IPv4 and UDP around one export message.
    fn datagram(&mut self, e: usize, at_ms: i64, payload: &[u8]) -> io::Result<()> {
        let udp_len = 8 + payload.len();
        let ip_len = 20 + udp_len;
        let mut f = Vec::with_capacity(14 + ip_len);
        f.extend_from_slice(&[0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x5e]);
        f.extend_from_slice(&[0x00, 0x25, 0x90, 0x00, 0x00, e as u8 + 1]);
        put16(&mut f, 0x0800);
        let ip_start = f.len();
        f.push(0x45);
        f.push(0);
        put16(&mut f, ip_len as u16);
        put16(&mut f, (self.packets & 0xffff) as u16);
        put16(&mut f, 0x4000);
        f.push(64);
        f.push(17);
        put16(&mut f, 0);
        put32(&mut f, u32::from(EXPORTERS[e]));
        put32(&mut f, u32::from(COLLECTOR));
        let sum = checksum(&f[ip_start..ip_start + 20]);
        f[ip_start + 10..ip_start + 12].copy_from_slice(&sum.to_be_bytes());
        put16(&mut f, 50_000 + e as u16);
        put16(&mut f, PORTS[e]);
        put16(&mut f, udp_len as u16);
        put16(&mut f, 0);
        f.extend_from_slice(payload);
        let at_ms = at_ms.max(self.last_ms);
        self.last_ms = at_ms;
        self.w.write_all(&((at_ms / 1000) as u32).to_le_bytes())?;
        self.w
            .write_all(&(((at_ms % 1000) * 1000) as u32).to_le_bytes())?;
        self.w.write_all(&(f.len() as u32).to_le_bytes())?;
        self.w.write_all(&(f.len() as u32).to_le_bytes())?;
        self.w.write_all(&f)?;
        self.packets += 1;
        Ok(())
    }
}

fn ipfix_record(out: &mut Vec<u8>, r: &Record, sampling: u32) {
    put32(out, u32::from(r.src));
    put32(out, u32::from(r.dst));
    put16(out, r.src_p);
    put16(out, r.dst_p);
    out.push(r.proto);
    out.push(r.tcp_flags);
    out.extend_from_slice(&r.bytes.to_be_bytes());
    out.extend_from_slice(&r.packets.to_be_bytes());
    out.extend_from_slice(&(r.start_ms as u64).to_be_bytes());
    out.extend_from_slice(&(r.end_ms as u64).to_be_bytes());
    put32(out, sampling);
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}

fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_be_bytes());
}

/// The IPv4 header checksum (RFC 791).
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
