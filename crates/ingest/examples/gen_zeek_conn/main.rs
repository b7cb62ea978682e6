//! Writes a large synthetic Zeek `conn.log` (TSV, standard header and the full
//! standard field list) for the benchmarks, `bench/ingest.sh` and
//! `bench/detect.sh`.
//!
//! ```text
//! cargo run --release -p borderscope-ingest --example gen_zeek_conn -- \
//!     OUT [ROWS] [--beacons N] [--pollers N]
//! ```
//!
//! ROWS defaults to 5,000,000 (underscores allowed: `5_000_000`). The output
//! is deterministic (a fixed-seed splitmix64 generator, no dependencies): the
//! same arguments always give the same bytes. The file is written to
//! `OUT.tmp` and renamed, so an interrupted run never leaves a partial `OUT`
//! behind.
//!
//! `--beacons N` mixes in N infected hosts beaconing to a few controllers,
//! `--pollers N` N hosts of benign software polling popular services (see
//! `implants.rs`); ROWS is still the total, the background making up the
//! rest. The servers they talk to, with their role, period and row counts,
//! are written to `OUT.implants.tsv`. Without either option the output is
//! the same as before the options existed, so ingest figures stay
//! comparable.
//!
//! What the rows look like, roughly as on a small network's border sensor:
//! internal hosts in 10.0.0.0/14 (and fd00:b5::/64 for IPv6) talking to a
//! skewed set of public destinations; about half DNS over UDP, then TLS, HTTP,
//! other TCP, inbound scans from the Internet, other UDP (NTP, QUIC, ...) and
//! ICMP echo; Zeek's connection states and history strings that go with each
//! outcome; `-` where Zeek leaves a field unset (single-packet connections
//! have no duration or payload bytes, most connections no service); about 5%
//! IPv6 rows; timestamps increasing over one UTC day (2025-12-01).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

mod implants;

const DEFAULT_ROWS: u64 = 5_000_000;
/// 2025-12-01T00:00:00Z.
const DAY_START: u64 = 1_764_547_200;
const DAY_MICROS: u64 = 86_400 * 1_000_000;

const FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
const TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";

/// splitmix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An index in `0..n` skewed towards 0 (a few popular items, a long tail).
    fn skewed(&mut self, n: usize, power: u32) -> usize {
        let u = self.unit();
        // Plain products, not `powi`, so the output is the same whatever the
        // optimisation level.
        let x = (1..power).fold(u, |acc, _| acc * u);
        ((x * n as f64) as usize).min(n - 1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Log-uniform integer in `lo..=hi`: byte counts span orders of magnitude.
    fn log_between(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo.max(1) as f64).ln(), (hi as f64).ln());
        ((l + self.unit() * (h - l)).exp() as u64).clamp(lo, hi)
    }

    fn ephemeral_port(&mut self) -> u16 {
        32768 + self.below(28232) as u16
    }
}

/// Address text, preformatted once per host.
struct Hosts {
    internal_v4: Vec<String>,
    internal_v6: Vec<String>,
    public_v4: Vec<String>,
    public_v6: Vec<String>,
    resolvers_v4: Vec<&'static str>,
    resolvers_v6: Vec<&'static str>,
}

/// First octets of busy, publicly routed IPv4 space (no private, shared,
/// loopback, link-local, documentation or multicast ranges among them).
const PUBLIC_FIRST_OCTETS: &[u8] = &[
    8, 13, 17, 20, 23, 31, 34, 35, 37, 40, 45, 46, 52, 54, 62, 66, 69, 77, 78, 80, 81, 82, 85, 87,
    88, 91, 93, 94, 95, 104, 107, 108, 109, 128, 130, 134, 136, 139, 140, 141, 142, 143, 146, 149,
    151, 152, 157, 162, 173, 176, 178, 185, 188, 190, 193, 194, 195, 199, 200, 201, 204, 205, 206,
    207, 208, 209, 210, 212, 213, 216, 217,
];

/// Public IPv6 prefixes (/48s of large content and cloud networks).
const PUBLIC_V6_PREFIXES: &[&str] = &[
    "2a00:1450:4001",
    "2606:4700:3033",
    "2600:9000:2156",
    "2a03:2880:f12f",
    "2620:1ec:c11",
    "2a01:111:f100",
    "2001:4860:4802",
    "2a04:4e42:600",
    "2600:1f18:6b4",
    "2a02:26f0:fd",
];

impl Hosts {
    fn new(rng: &mut Rng) -> Hosts {
        let mut internal_v4 = Vec::new();
        for a in 0..4 {
            for b in 0..16 {
                for _ in 0..40 {
                    internal_v4.push(format!("10.{a}.{b}.{}", 2 + rng.below(250)));
                }
            }
        }
        let internal_v6 = (0..400)
            .map(|_| {
                format!(
                    "fd00:b5::{:x}:{:x}:{:x}:{:x}",
                    rng.below(0x10000),
                    rng.below(0x10000),
                    rng.below(0x10000),
                    1 + rng.below(0xffff)
                )
            })
            .collect();
        let public_v4 = (0..60_000)
            .map(|_| {
                format!(
                    "{}.{}.{}.{}",
                    rng.pick(PUBLIC_FIRST_OCTETS),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254)
                )
            })
            .collect();
        let public_v6 = (0..6_000)
            .map(|_| {
                let prefix = rng.pick(PUBLIC_V6_PREFIXES);
                if rng.chance(0.5) {
                    format!(
                        "{prefix}:{:x}::{:x}",
                        rng.below(0x10000),
                        1 + rng.below(0xffff)
                    )
                } else {
                    format!(
                        "{prefix}:{:x}:{:x}:{:x}:{:x}:{:x}",
                        rng.below(0x10000),
                        rng.below(0x10000),
                        rng.below(0x10000),
                        rng.below(0x10000),
                        1 + rng.below(0xffff)
                    )
                }
            })
            .collect();
        Hosts {
            internal_v4,
            internal_v6,
            public_v4,
            public_v6,
            resolvers_v4: vec!["10.0.0.53", "10.0.0.54", "8.8.8.8", "1.1.1.1", "9.9.9.9"],
            resolvers_v6: vec![
                "fd00:b5::53",
                "2001:4860:4860::8888",
                "2606:4700:4700::1111",
            ],
        }
    }

    fn internal(&self, rng: &mut Rng, v6: bool) -> &str {
        if v6 {
            &self.internal_v6[rng.skewed(self.internal_v6.len(), 2)]
        } else {
            &self.internal_v4[rng.skewed(self.internal_v4.len(), 2)]
        }
    }

    fn public(&self, rng: &mut Rng, v6: bool) -> &str {
        if v6 {
            &self.public_v6[rng.skewed(self.public_v6.len(), 4)]
        } else {
            &self.public_v4[rng.skewed(self.public_v4.len(), 4)]
        }
    }

    fn resolver(&self, rng: &mut Rng, v6: bool) -> &'static str {
        if v6 {
            self.resolvers_v6[rng.skewed(self.resolvers_v6.len(), 2)]
        } else {
            self.resolvers_v4[rng.skewed(self.resolvers_v4.len(), 2)]
        }
    }
}

/// One connection, as Zeek would log it. `None` is written as `-`.
struct Conn<'a> {
    orig_h: &'a str,
    orig_p: u16,
    resp_h: &'a str,
    resp_p: u16,
    proto: &'static str,
    service: Option<&'static str>,
    /// Microseconds; `None` for single-packet connections.
    duration: Option<u64>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    conn_state: &'static str,
    local_orig: bool,
    local_resp: bool,
    missed_bytes: u64,
    history: Option<&'static str>,
    orig_pkts: u64,
    orig_ip_bytes: u64,
    resp_pkts: u64,
    resp_ip_bytes: u64,
}

impl<'a> Conn<'a> {
    /// An outbound connection with nothing yet known about its outcome.
    fn outbound(orig_h: &'a str, orig_p: u16, resp_h: &'a str, resp_p: u16) -> Conn<'a> {
        Conn {
            orig_h,
            orig_p,
            resp_h,
            resp_p,
            proto: "tcp",
            service: None,
            duration: None,
            orig_bytes: None,
            resp_bytes: None,
            conn_state: "OTH",
            local_orig: true,
            local_resp: false,
            missed_bytes: 0,
            history: None,
            orig_pkts: 0,
            orig_ip_bytes: 0,
            resp_pkts: 0,
            resp_ip_bytes: 0,
        }
    }
}

/// A finished TCP connection with payload both ways.
fn tcp_established(rng: &mut Rng, c: &mut Conn, req: (u64, u64), resp: (u64, u64), v6: bool) {
    let hdr = if v6 { 72 } else { 52 };
    let (s, h) = *rng.pick(&[
        ("SF", "ShADadFf"),
        ("SF", "ShADadFf"),
        ("SF", "ShADadfF"),
        ("SF", "ShADadFfR"),
        ("SF", "ShADaFdf"),
        ("RSTO", "ShADadR"),
        ("RSTR", "ShADadr"),
        ("S1", "ShADad"),
        ("SF", "ShAaDdFf"),
    ]);
    let ob = rng.log_between(req.0, req.1);
    let rb = rng.log_between(resp.0, resp.1);
    let op = 3 + ob / 1200 + rng.below(4);
    let rp = 2 + rb / 1400 + rng.below(4);
    c.proto = "tcp";
    c.conn_state = s;
    c.history = Some(h);
    // Round trips plus transfer time at 100 kB/s .. 50 MB/s; some sessions
    // stay open idle for minutes.
    let rate = rng.log_between(100_000, 50_000_000);
    let idle = if rng.chance(0.2) {
        rng.log_between(1_000_000, 600_000_000)
    } else {
        0
    };
    c.duration = Some(rng.log_between(2_000, 300_000) + (ob + rb) * 1_000_000 / rate + idle);
    c.orig_bytes = Some(ob);
    c.resp_bytes = Some(rb);
    c.orig_pkts = op;
    c.orig_ip_bytes = ob + op * hdr;
    c.resp_pkts = rp;
    c.resp_ip_bytes = rb + rp * hdr;
    if rng.chance(0.002) {
        c.missed_bytes = rng.log_between(1, 65_536);
    }
}

/// A TCP attempt that got no useful answer: `S0`, `REJ`, `SH`, `OTH`.
fn tcp_failed(rng: &mut Rng, c: &mut Conn, v6: bool) {
    let syn = if v6 { 80 } else { 60 };
    c.proto = "tcp";
    match rng.below(10) {
        0..=4 => {
            // One SYN, no answer: Zeek leaves duration and bytes unset.
            c.conn_state = "S0";
            c.history = Some("S");
            c.orig_pkts = 1;
            c.orig_ip_bytes = syn;
        }
        5 => {
            // Retransmitted SYNs.
            let n = 2 + rng.below(3);
            c.conn_state = "S0";
            c.history = Some("S");
            c.duration = Some(1_000_000 * (n - 1) + rng.below(50_000));
            c.orig_bytes = Some(0);
            c.resp_bytes = Some(0);
            c.orig_pkts = n;
            c.orig_ip_bytes = n * syn;
        }
        6..=8 => {
            c.conn_state = "REJ";
            c.history = Some("Sr");
            c.duration = Some(50 + rng.below(200_000));
            c.orig_bytes = Some(0);
            c.resp_bytes = Some(0);
            c.orig_pkts = 1;
            c.orig_ip_bytes = syn;
            c.resp_pkts = 1;
            c.resp_ip_bytes = syn - 20;
        }
        _ => {
            let (s, h) = *rng.pick(&[
                ("SH", "ShAFf"),
                ("OTH", "^hA"),
                ("SHR", "Hr"),
                ("OTH", "CCC"),
            ]);
            c.conn_state = s;
            c.history = Some(h);
            c.duration = Some(rng.log_between(100, 3_000_000));
            c.orig_bytes = Some(0);
            c.resp_bytes = Some(0);
            c.orig_pkts = 1 + rng.below(3);
            c.orig_ip_bytes = c.orig_pkts * (syn - 8);
            c.resp_pkts = rng.below(2);
            c.resp_ip_bytes = c.resp_pkts * (syn - 8);
        }
    }
}

fn udp_exchange(rng: &mut Rng, c: &mut Conn, req: (u64, u64), resp: (u64, u64), v6: bool) {
    let hdr = if v6 { 48 } else { 28 };
    c.proto = "udp";
    if rng.chance(0.06) {
        // No answer.
        c.conn_state = "S0";
        c.history = Some("D");
        c.orig_pkts = 1;
        c.orig_ip_bytes = rng.log_between(req.0, req.1) + hdr;
        return;
    }
    let op = 1 + rng.below(2);
    let rp = 1 + rng.below(2);
    let ob = op * rng.log_between(req.0, req.1);
    let rb = rp * rng.log_between(resp.0, resp.1);
    c.conn_state = "SF";
    c.history = Some("Dd");
    c.duration = Some(rng.log_between(200, 2_000_000));
    c.orig_bytes = Some(ob);
    c.resp_bytes = Some(rb);
    c.orig_pkts = op;
    c.orig_ip_bytes = ob + op * hdr;
    c.resp_pkts = rp;
    c.resp_ip_bytes = rb + rp * hdr;
}

fn connection<'h>(rng: &mut Rng, hosts: &'h Hosts) -> Conn<'h> {
    let v6 = rng.chance(0.05);
    // Drawn in this order (host, then port) since the first version: the
    // default output must stay byte-identical.
    let orig_h = hosts.internal(rng, v6);
    let orig_p = rng.ephemeral_port();
    let mut c = Conn::outbound(orig_h, orig_p, "", 0);
    let kind = rng.below(1000);
    match kind {
        // DNS, mostly to the internal resolvers.
        0..=519 => {
            c.resp_h = hosts.resolver(rng, v6);
            c.local_resp = c.resp_h.starts_with("10.") || c.resp_h.starts_with("fd");
            c.resp_p = 53;
            c.service = Some("dns");
            udp_exchange(rng, &mut c, (28, 90), (44, 512), v6);
            if c.conn_state == "S0" {
                c.service = None;
            }
        }
        // TLS.
        520..=769 => {
            c.resp_h = hosts.public(rng, v6);
            c.resp_p = *rng.pick(&[443, 443, 443, 443, 443, 443, 443, 8443, 993, 465]);
            if rng.chance(0.93) {
                c.service = Some("ssl");
                tcp_established(rng, &mut c, (300, 40_000), (2_000, 50_000_000), v6);
            } else {
                tcp_failed(rng, &mut c, v6);
            }
        }
        // Plain HTTP.
        770..=819 => {
            c.resp_h = hosts.public(rng, v6);
            c.resp_p = *rng.pick(&[80, 80, 80, 8080]);
            if rng.chance(0.9) {
                c.service = Some("http");
                tcp_established(rng, &mut c, (80, 4_000), (200, 20_000_000), v6);
            } else {
                tcp_failed(rng, &mut c, v6);
            }
        }
        // Other outbound TCP.
        820..=869 => {
            c.resp_h = hosts.public(rng, v6);
            let (port, service) = *rng.pick(&[
                (22, Some("ssh")),
                (25, Some("smtp")),
                (587, Some("smtp")),
                (21, Some("ftp")),
                (3389, Some("rdp")),
                (5222, None),
                (8000, None),
                (9001, None),
                (445, None),
            ]);
            c.resp_p = port;
            if rng.chance(0.5) {
                c.service = service;
                tcp_established(rng, &mut c, (40, 200_000), (40, 2_000_000), v6);
            } else {
                tcp_failed(rng, &mut c, v6);
            }
        }
        // Scans and probes from the Internet.
        870..=899 => {
            c.orig_h = hosts.public(rng, v6);
            c.resp_h = hosts.internal(rng, v6);
            c.local_orig = false;
            c.local_resp = true;
            c.resp_p = *rng.pick(&[22, 23, 80, 443, 445, 3389, 8080, 5900, 1433, 6379]);
            tcp_failed(rng, &mut c, v6);
        }
        // Other UDP: NTP, QUIC, DNS to odd ports, syslog out.
        900..=959 => {
            c.resp_h = hosts.public(rng, v6);
            let (port, service, req, resp) = *rng.pick(&[
                (123, Some("ntp"), (48, 48), (48, 48)),
                (443, Some("quic"), (1_200, 60_000), (1_200, 2_000_000)),
                (443, None, (1_200, 30_000), (100, 400_000)),
                (5353, None, (40, 400), (40, 400)),
                (51820, None, (148, 50_000), (92, 50_000)),
            ]);
            c.resp_p = port;
            c.service = service;
            udp_exchange(rng, &mut c, req, resp, v6);
            if c.conn_state == "S0" {
                c.service = None;
            }
        }
        // ICMP echo: ports are ICMP type and code; no history.
        _ => {
            c.resp_h = hosts.public(rng, v6);
            c.proto = "icmp";
            let (req_type, reply_type) = if v6 { (128, 129) } else { (8, 0) };
            c.orig_p = req_type;
            c.resp_p = reply_type;
            c.conn_state = "OTH";
            let n = 1 + rng.below(4);
            let size = *rng.pick(&[56, 56, 64, 32]);
            let hdr = if v6 { 48 } else { 28 };
            c.orig_pkts = n;
            c.orig_ip_bytes = n * (size + hdr);
            if rng.chance(0.8) {
                c.resp_pkts = n;
                c.resp_ip_bytes = n * (size + hdr);
                c.resp_bytes = Some(n * size);
            } else {
                c.resp_bytes = Some(0);
            }
            c.orig_bytes = Some(n * size);
            c.duration = Some(if n == 1 {
                rng.below(200_000)
            } else {
                (n - 1) * 1_000_000 + rng.below(200_000)
            });
        }
    }
    c
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn write_micros(w: &mut impl Write, micros: u64) -> io::Result<()> {
    write!(w, "{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

fn write_opt(w: &mut impl Write, v: Option<u64>) -> io::Result<()> {
    match v {
        Some(v) => write!(w, "{v}"),
        None => w.write_all(b"-"),
    }
}

fn tf(b: bool) -> &'static str {
    if b {
        "T"
    } else {
        "F"
    }
}

fn write_row(w: &mut impl Write, rng: &mut Rng, ts_micros: u64, c: &Conn) -> io::Result<()> {
    write_micros(w, ts_micros)?;
    let mut uid = [0u8; 18];
    uid[0] = b'C';
    for b in &mut uid[1..] {
        *b = BASE62[rng.below(62) as usize];
    }
    w.write_all(b"\t")?;
    w.write_all(&uid)?;
    write!(
        w,
        "\t{}\t{}\t{}\t{}\t{}\t{}\t",
        c.orig_h,
        c.orig_p,
        c.resp_h,
        c.resp_p,
        c.proto,
        c.service.unwrap_or("-")
    )?;
    match c.duration {
        Some(d) => write_micros(w, d)?,
        None => w.write_all(b"-")?,
    }
    w.write_all(b"\t")?;
    write_opt(w, c.orig_bytes)?;
    w.write_all(b"\t")?;
    write_opt(w, c.resp_bytes)?;
    writeln!(
        w,
        "\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t-",
        c.conn_state,
        tf(c.local_orig),
        tf(c.local_resp),
        c.missed_bytes,
        c.history.unwrap_or("-"),
        c.orig_pkts,
        c.orig_ip_bytes,
        c.resp_pkts,
        c.resp_ip_bytes
    )
}

fn parse_count(what: &str, s: &str) -> Result<u64, String> {
    s.replace(['_', ','], "")
        .parse()
        .map_err(|_| format!("{what} must be a whole number, not {s:?}"))
}

const USAGE: &str = "usage: gen_zeek_conn OUT [ROWS] [--beacons N] [--pollers N]";

/// What to write, from the command line.
#[derive(Debug, PartialEq)]
struct Options {
    out: PathBuf,
    rows: u64,
    /// Infected hosts beaconing to controllers.
    beacons: usize,
    /// Hosts of benign software polling popular services.
    pollers: usize,
}

impl Options {
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut positional = Vec::new();
        let (mut beacons, mut pollers) = (0, 0);
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let mut count = |name: &str| -> Result<usize, String> {
                let v = args.next().ok_or(format!("{name} needs a number"))?;
                let n = parse_count(name, &v)?;
                usize::try_from(n).map_err(|_| format!("{name} {n} is too large"))
            };
            match a.as_str() {
                "--beacons" => beacons = count("--beacons")?,
                "--pollers" => pollers = count("--pollers")?,
                _ if a.starts_with("--") => return Err(format!("unknown option {a}")),
                _ => positional.push(a),
            }
        }
        let mut positional = positional.into_iter();
        let out = positional.next().ok_or("OUT is missing")?.into();
        let rows = match positional.next() {
            Some(s) => parse_count("ROWS", &s)?,
            None => DEFAULT_ROWS,
        };
        if let Some(extra) = positional.next() {
            return Err(format!("unexpected argument {extra:?}"));
        }
        Ok(Options {
            out,
            rows,
            beacons,
            pollers,
        })
    }

    fn implanting(&self) -> bool {
        self.beacons > 0 || self.pollers > 0
    }
}

type Error = Box<dyn std::error::Error>;

/// Writes the whole log: `opts.rows` data rows, the implanted ones (if
/// any) merged into the background in time order. Returns the implants,
/// whose servers are the ground truth.
fn generate(w: &mut impl Write, opts: &Options) -> Result<Option<implants::Implants>, Error> {
    let rows = opts.rows;
    let mut rng = Rng(0x0b0d_e25c_0be5_eed5);
    let hosts = Hosts::new(&mut rng);
    let mut implants = match opts.implanting() {
        true => Some(implants::Implants::new(&hosts, opts.beacons, opts.pollers)?),
        false => None,
    };
    let implanted = implants.as_ref().map_or(0, |im| im.rows());
    let background = rows
        .checked_sub(implanted)
        .ok_or_else(|| format!("ROWS ({rows}) must be at least the {implanted} implanted rows"))?;

    writeln!(w, "#separator \\x09")?;
    writeln!(w, "#set_separator\t,")?;
    writeln!(w, "#empty_field\t(empty)")?;
    writeln!(w, "#unset_field\t-")?;
    writeln!(w, "#path\tconn")?;
    writeln!(w, "#open\t2025-12-01-00-00-00")?;
    writeln!(w, "#fields\t{FIELDS}")?;
    writeln!(w, "#types\t{TYPES}")?;
    // One slot of the day per row, a random instant within it: timestamps
    // increase (never decrease) over the day whatever the row count.
    let slot = DAY_MICROS as f64 / background.max(1) as f64;
    for i in 0..background {
        let offset = ((i as f64 + rng.unit()) * slot) as u64;
        let ts = DAY_START * 1_000_000 + offset.min(DAY_MICROS - 1);
        if let Some(im) = &mut implants {
            im.write_due(w, ts)?;
        }
        let c = connection(&mut rng, &hosts);
        write_row(w, &mut rng, ts, &c)?;
    }
    if let Some(im) = &mut implants {
        im.write_due(w, u64::MAX)?;
    }
    writeln!(w, "#close\t2025-12-02-00-00-00")?;
    Ok(implants)
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = path.to_path_buf().into_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes through a temporary file renamed into place, so an interrupted
/// run never leaves a partial `path` behind.
fn write_atomically<T>(
    path: &std::path::Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, Error>,
) -> Result<T, Error> {
    let tmp = with_suffix(path, ".tmp");
    let mut w = BufWriter::with_capacity(8 << 20, File::create(&tmp)?);
    let written = write(&mut w)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(written)
}

fn main() -> Result<(), Error> {
    let opts = match Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{USAGE}   (ROWS defaults to {DEFAULT_ROWS})");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let implants = write_atomically(&opts.out, |w| generate(w, &opts))?;
    let size = std::fs::metadata(&opts.out)?.len();
    eprintln!(
        "wrote {} rows, {size} bytes to {} in {:.1} s",
        opts.rows,
        opts.out.display(),
        started.elapsed().as_secs_f64()
    );
    if let Some(im) = &implants {
        let truth = with_suffix(&opts.out, ".implants.tsv");
        write_atomically(&truth, |w| Ok(im.write_truth(w)?))?;
        eprintln!(
            "of which {} rows implanted: {} beaconing hosts, {} polling hosts; each series listed in {}",
            im.rows(),
            opts.beacons,
            opts.pollers,
            truth.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn opts(rows: u64, beacons: usize, pollers: usize) -> Options {
        Options {
            out: PathBuf::from("unused"),
            rows,
            beacons,
            pollers,
        }
    }

    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// The data rows as (ts µs, orig_h, resp_h, resp_p, conn_state, history).
    fn rows(log: &[u8]) -> Vec<(u64, String, String, u16, String, String)> {
        let text = std::str::from_utf8(log).expect("the log is UTF-8");
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 21, "21 fields in {l:?}");
                let (secs, frac) = f[0].split_once('.').expect("ts has a fraction");
                let ts = secs.parse::<u64>().unwrap() * 1_000_000 + frac.parse::<u64>().unwrap();
                let port = f[5].parse().unwrap();
                (
                    ts,
                    f[2].into(),
                    f[4].into(),
                    port,
                    f[11].into(),
                    f[15].into(),
                )
            })
            .collect()
    }

    /// Pins the output without options to what the generator wrote before
    /// beacons existed (hash of `gen_zeek_conn OUT 2000` from commit
    /// 6d24baa), so `bench/ingest.sh` figures stay comparable across versions.
    #[test]
    fn default_output_is_unchanged() {
        let mut log = Vec::new();
        let implants = generate(&mut log, &opts(2_000, 0, 0)).unwrap();
        assert!(implants.is_none());
        assert_eq!(log.len(), 247_196);
        assert_eq!(fnv1a(&log), 0x1d7b_15ff_85b2_a812);
    }

    #[test]
    fn implanted_rows_are_merged_in_time_order_and_add_up() {
        let mut log = Vec::new();
        let im = generate(&mut log, &opts(300_000, 30, 40)).unwrap().unwrap();
        let rows = rows(&log);
        assert_eq!(rows.len(), 300_000, "ROWS is the total, implants included");
        for w in rows.windows(2) {
            assert!(w[0].0 <= w[1].0, "{} after {}", w[1].0, w[0].0);
        }
        let end = (DAY_START + 86_400) * 1_000_000;
        assert!(rows
            .iter()
            .all(|r| r.0 >= DAY_START * 1_000_000 && r.0 < end));

        // Every server's rows, and its distinct hosts, are as the truth says.
        let mut per_server: HashMap<(&str, u16), (u64, HashSet<&str>)> = HashMap::new();
        for r in &rows {
            let e = per_server.entry((r.2.as_str(), r.3)).or_default();
            e.0 += 1;
            e.1.insert(r.1.as_str());
        }
        let controllers: Vec<_> = im
            .servers
            .iter()
            .filter(|s| s.role == implants::Role::Controller)
            .collect();
        assert_eq!(controllers.iter().map(|s| s.hosts).sum::<usize>(), 30);
        assert!(controllers.len() >= 30 / 8, "fleets of at most 8 hosts");
        assert!(controllers.iter().any(|s| s.hosts >= 3), "some fleet");
        for s in &controllers {
            let (n, hosts) = &per_server[&(s.ip.as_str(), s.port)];
            assert_eq!(*n, s.connections, "rows to controller {}", s.ip);
            assert_eq!(hosts.len(), s.hosts, "hosts of controller {}", s.ip);
            assert!(s.connections > 0);
        }
        let pollers: usize = im
            .servers
            .iter()
            .filter(|s| s.role == implants::Role::Poller)
            .map(|s| s.hosts)
            .sum();
        assert_eq!(pollers, 40);
        let implanted: u64 = im.servers.iter().map(|s| s.connections).sum();
        assert_eq!(implanted, im.rows());

        // The truth file: one line per series, rows adding up to the log's.
        let mut truth = Vec::new();
        im.write_truth(&mut truth).unwrap();
        let truth = String::from_utf8(truth).unwrap();
        let lines: Vec<Vec<&str>> = truth
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(lines.len(), 30 + 40);
        for l in &lines {
            let n = rows
                .iter()
                .filter(|r| r.1 == l[4] && r.2 == l[1] && r.3.to_string() == l[2])
                .count();
            let expected: usize = l[8].parse().unwrap();
            // The background reaches the polled services too, never a
            // controller.
            match l[0] {
                "controller" => assert_eq!(n, expected, "rows of series {l:?}"),
                _ => assert!(n >= expected, "rows of series {l:?}: {n}"),
            }
        }
    }

    /// A beacon's gaps stay within its period ± jitter, or whole multiples
    /// of it where beats were missed; retries are unanswered SYNs.
    #[test]
    fn beacons_keep_their_period_and_style() {
        let mut log = Vec::new();
        let im = generate(&mut log, &opts(100_000, 24, 0)).unwrap().unwrap();
        let rows = rows(&log);
        let styles: HashSet<_> = im.servers.iter().map(|s| s.style).collect();
        assert_eq!(
            styles.len(),
            4,
            "every style among {} controllers",
            im.servers.len()
        );
        for s in &im.servers {
            assert!(
                (30.0..=900.0).contains(&s.period_s),
                "period {}",
                s.period_s
            );
            assert!((0.0..=0.2).contains(&s.jitter), "jitter {}", s.jitter);
            let mut by_host: HashMap<&str, Vec<u64>> = HashMap::new();
            for r in rows.iter().filter(|r| r.2 == s.ip) {
                by_host.entry(r.1.as_str()).or_default().push(r.0);
                if s.style == implants::Style::Retries {
                    assert_eq!((r.4.as_str(), r.5.as_str()), ("S0", "S"));
                } else {
                    assert_eq!(r.4, "SF");
                }
            }
            for ts in by_host.values() {
                for g in ts.windows(2).map(|w| (w[1] - w[0]) as f64 / 1e6) {
                    let beats = (g / s.period_s).round().max(1.0);
                    let slack = s.period_s * s.jitter * beats + 1e-3;
                    assert!(
                        (g - beats * s.period_s).abs() <= slack,
                        "gap {g} s for period {} s, jitter {}",
                        s.period_s,
                        s.jitter
                    );
                }
            }
        }
    }

    #[test]
    fn too_few_rows_for_the_implants_is_an_error() {
        let mut log = Vec::new();
        let err = generate(&mut log, &opts(10, 5, 0)).unwrap_err();
        assert!(err.to_string().contains("implanted rows"), "{err}");
    }

    #[test]
    fn options_parse() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            Options::parse(args("out.log 1_000 --beacons 12 --pollers 3")),
            Ok(Options {
                out: "out.log".into(),
                rows: 1_000,
                beacons: 12,
                pollers: 3
            })
        );
        assert_eq!(Options::parse(args("out.log")).unwrap().rows, DEFAULT_ROWS);
        assert!(Options::parse(args("out.log --beacons")).is_err());
        assert!(Options::parse(args("out.log --beacons x")).is_err());
        assert!(Options::parse(args("out.log --jitter 3")).is_err());
        assert!(Options::parse(args("out.log 5 6")).is_err());
        assert!(Options::parse(args("--pollers 3")).is_err());
    }
}
