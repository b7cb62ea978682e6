//! One day's rows before they are written: the generators push them here,
//! they are put in time order, the truth looks at them, and the writers
//! turn them into files.
//!
//! Times are microseconds since the epoch (UTC). Names shared by many rows
//! (domains, sites) are `Arc<str>`.

use std::net::Ipv4Addr;
use std::sync::Arc;

/// A Zeek connection (`conn.log`).
#[derive(Debug, Clone)]
pub struct Conn {
    pub ts: i64,
    pub uid: u64,
    pub orig: Ipv4Addr,
    pub orig_p: u16,
    pub resp: Ipv4Addr,
    pub resp_p: u16,
    pub udp: bool,
    pub service: Option<&'static str>,
    /// µs; `None` for a single unanswered packet.
    pub duration: Option<i64>,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub state: &'static str,
    pub history: &'static str,
    pub orig_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_pkts: u64,
    pub resp_ip_bytes: u64,
}

/// A Zeek DNS transaction (`dns.log`).
#[derive(Debug, Clone)]
pub struct Dns {
    pub ts: i64,
    pub uid: u64,
    pub client: Ipv4Addr,
    pub client_p: u16,
    pub server: Ipv4Addr,
    pub trans_id: u16,
    pub query: Arc<str>,
    /// `NOERROR` with answers, or `NXDOMAIN` without.
    pub nxdomain: bool,
    pub answers: Vec<Ipv4Addr>,
    pub ttl: u32,
}

/// A Zeek HTTP request (`http.log`).
#[derive(Debug, Clone)]
pub struct Http {
    pub ts: i64,
    pub uid: u64,
    pub client: Ipv4Addr,
    pub client_p: u16,
    pub server: Ipv4Addr,
    pub server_p: u16,
    pub method: &'static str,
    pub host: Arc<str>,
    pub uri: String,
    pub referrer: Option<Arc<str>>,
    pub user_agent: &'static str,
    pub request_len: u64,
    pub response_len: u64,
    pub status: u16,
    pub mime: &'static str,
}

/// A Zeek TLS session (`ssl.log`).
#[derive(Debug, Clone)]
pub struct Ssl {
    pub ts: i64,
    pub uid: u64,
    pub client: Ipv4Addr,
    pub client_p: u16,
    pub server: Ipv4Addr,
    pub server_p: u16,
    pub version: &'static str,
    pub sni: Option<Arc<str>>,
}

/// A Suricata alert (EVE JSON).
#[derive(Debug, Clone)]
pub struct Alert {
    pub ts: i64,
    pub flow_id: u64,
    pub src: Ipv4Addr,
    pub src_p: u16,
    pub dst: Ipv4Addr,
    pub dst_p: u16,
    pub signature_id: u32,
    pub signature: &'static str,
    pub category: &'static str,
    pub severity: u8,
}

/// A web server's request (IIS W3C, centralised logging: every site in
/// one file).
#[derive(Debug, Clone)]
pub struct Web {
    pub ts: i64,
    pub site: Arc<str>,
    pub server: Ipv4Addr,
    pub method: &'static str,
    pub stem: Arc<str>,
    pub query: Option<String>,
    pub client: Ipv4Addr,
    pub user_agent: &'static str,
    pub referrer: Option<Arc<str>>,
    pub status: u16,
    pub bytes: u64,
    pub request_bytes: u64,
    pub time_taken_ms: u32,
}

/// One sampled NetFlow/IPFIX flow record.
#[derive(Debug, Clone)]
pub struct Record {
    /// Milliseconds since the epoch.
    pub start_ms: i64,
    pub end_ms: i64,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub src_p: u16,
    pub dst_p: u16,
    pub proto: u8,
    pub tcp_flags: u8,
    /// Sampled packets and their bytes, as the exporter counts them.
    pub packets: u64,
    pub bytes: u64,
    /// 0: the IPFIX exporter, 1: the NetFlow v9 one.
    pub exporter: u8,
}

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
pub const PSH: u8 = 0x08;
pub const FIN: u8 = 0x01;

/// Everything generated for one day.
#[derive(Debug, Default)]
pub struct Day {
    pub conn: Vec<Conn>,
    pub dns: Vec<Dns>,
    pub http: Vec<Http>,
    pub ssl: Vec<Ssl>,
    pub alerts: Vec<Alert>,
    pub web: Vec<Web>,
    pub records: Vec<Record>,
}

impl Day {
    /// Puts every kind in time order. Stable sorts keep rows of one instant
    /// in the order they were generated, which is itself deterministic.
    pub fn sort(&mut self) {
        self.conn.sort_by_key(|r| r.ts);
        self.dns.sort_by_key(|r| r.ts);
        self.http.sort_by_key(|r| r.ts);
        self.ssl.sort_by_key(|r| r.ts);
        self.alerts.sort_by_key(|r| r.ts);
        self.web.sort_by_key(|r| r.ts);
        self.records.sort_by_key(|r| r.start_ms);
    }

    /// Keeps every time inside `[start, end)` (µs): rows derived from an
    /// event (a look-up before a check-in, an alert after it) can fall a
    /// moment outside the day the event is in.
    pub fn clamp(&mut self, start: i64, end: i64) {
        let c = |t: &mut i64| *t = (*t).clamp(start, end - 1);
        self.conn.iter_mut().for_each(|r| c(&mut r.ts));
        self.dns.iter_mut().for_each(|r| c(&mut r.ts));
        self.http.iter_mut().for_each(|r| c(&mut r.ts));
        self.ssl.iter_mut().for_each(|r| c(&mut r.ts));
        self.alerts.iter_mut().for_each(|r| c(&mut r.ts));
        self.web.iter_mut().for_each(|r| c(&mut r.ts));
        let (s, e) = (start / 1000, end / 1000 - 1);
        for r in &mut self.records {
            r.start_ms = r.start_ms.clamp(s, e);
            r.end_ms = r.end_ms.clamp(r.start_ms, e);
        }
    }

    pub fn rows(&self) -> usize {
        self.conn.len()
            + self.dns.len()
            + self.http.len()
            + self.ssl.len()
            + self.alerts.len()
            + self.web.len()
            + self.records.len()
    }
}
