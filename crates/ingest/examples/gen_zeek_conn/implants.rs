//! Implanted command-and-control beacons and benign pollers, mixed into the
//! background rows in timestamp order (`--beacons N`, `--pollers N`).
//!
//! Each series is one internal host's connections to one server at a fixed
//! period with jitter. Series are merged with the background through a heap
//! of their next connection times. A series draws its times from one
//! generator and its rows' contents from another, so the rows it will add
//! can be counted before any is written, and the background made up to the
//! requested total.
//!
//! Controllers are fresh public addresses that no background row reaches,
//! each with a fleet of 1 to 8 infected hosts sharing its period (30–900 s,
//! log-uniform) and jitter (up to ±20 %), in four styles: answered TLS on
//! 443, answered HTTP on 80/8080, unanswered SYN retries (`S0`, history
//! `S`) on an uncommon port, and answered TCP with no protocol Zeek names on
//! an uncommon port. Pollers are benign software checking a popular service
//! (one the background reaches from many hosts) over answered TLS or HTTP
//! every two to fifteen minutes, with ±2 % jitter: as regular as an implant,
//! but not a control channel.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::io::{self, Write};

use crate::{write_row, Conn, Hosts, Rng, DAY_MICROS, DAY_START, PUBLIC_FIRST_OCTETS};

/// Seed of the implants' own generators: the background's stream of random
/// numbers is not touched, whatever the options.
const SEED: u64 = 0x1b5e_ac0c_2c2b_eac0;
const DAY_END: u64 = DAY_START * 1_000_000 + DAY_MICROS;
const MICROS: f64 = 1e6;

/// Hosts per controller, drawn uniformly in `1..=MAX_FLEET`.
const MAX_FLEET: u64 = 8;
const MIN_PERIOD_S: f64 = 30.0;
const MAX_PERIOD_S: f64 = 900.0;
const MAX_JITTER: f64 = 0.2;
/// Implants start some time in the first hours of the day, as infections
/// happen, not all at midnight.
const INFECTION_WINDOW_S: f64 = 4.0 * 3600.0;
/// Share of beats that never happen (the host asleep, the link down).
const MISSED_BEAT: f64 = 0.02;
/// Share of a controller's answers that carry a task (a larger download).
const TASK_SHARE: f64 = 0.05;

/// Ports no common service uses, seen with commodity RATs and loaders.
const UNCOMMON_PORTS: &[u16] = &[1604, 2404, 3460, 4444, 5552, 6606, 7443, 7707, 8848, 9999];
/// Poller periods: update checks, telemetry, mail and calendar sync.
const POLLER_PERIODS_S: &[f64] = &[120.0, 180.0, 300.0, 600.0, 900.0];
const POLLER_MAX_JITTER: f64 = 0.02;
/// Pollers talk to the services ranked this high among the background's
/// destinations (which many internal hosts reach).
const POPULAR_SERVICES: usize = 64;
/// Pollers sharing one application (one service and period).
const POLLERS_PER_APP: usize = 10;

/// How a controller's check-ins look on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// Answered TLS on 443.
    Tls,
    /// Answered plain HTTP on 80 or 8080.
    Http,
    /// Unanswered SYNs (`S0`, history `S`) on an uncommon port: the implant
    /// retrying a dead or sinkholed controller.
    Retries,
    /// Answered TCP on an uncommon port, no protocol recognised.
    Opaque,
}

impl Style {
    const ALL: [Style; 4] = [Style::Tls, Style::Retries, Style::Http, Style::Opaque];

    pub fn name(self) -> &'static str {
        match self {
            Style::Tls => "tls",
            Style::Http => "http",
            Style::Retries => "retries",
            Style::Opaque => "opaque",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A command-and-control server with its implants.
    Controller,
    /// A popular service that benign software polls.
    Poller,
}

/// One server the implanted series talk to, with what the truth file says
/// about it.
#[derive(Debug, Clone)]
pub struct Server {
    pub role: Role,
    pub style: Style,
    pub ip: String,
    pub port: u16,
    pub period_s: f64,
    pub jitter: f64,
    request_bytes: u64,
    response_bytes: u64,
    /// Hosts with a series to it.
    pub hosts: usize,
    /// Rows its series add over the day.
    pub connections: u64,
}

/// One host's connections to one server.
#[derive(Debug)]
struct Series {
    host: String,
    server: usize,
    timing: Rng,
    content: Rng,
    /// Time of the next connection (µs since the epoch).
    next: u64,
    /// Rows it adds over the day.
    rows: u64,
}

/// Every implanted series, and which is due next.
#[derive(Debug)]
pub struct Implants {
    pub servers: Vec<Server>,
    series: Vec<Series>,
    due: BinaryHeap<Reverse<(u64, usize)>>,
}

impl Implants {
    /// `beacons` infected hosts and `pollers` benign polling hosts among
    /// `hosts`' internal IPv4 addresses.
    pub fn new(hosts: &Hosts, beacons: usize, pollers: usize) -> Result<Implants, String> {
        let available = hosts.internal_v4.len();
        if beacons > available || pollers > available {
            return Err(format!(
                "at most {available} beacons and {available} pollers (the internal hosts)"
            ));
        }
        let mut rng = Rng(SEED);
        let mut implants = Implants {
            servers: Vec::new(),
            series: Vec::new(),
            due: BinaryHeap::new(),
        };
        implants.add_controllers(&mut rng, hosts, beacons);
        implants.add_pollers(&mut rng, hosts, pollers);
        for i in 0..implants.series.len() {
            let s = &mut implants.series[i];
            s.rows = count_rows(s, &implants.servers[s.server]);
            let server = &mut implants.servers[s.server];
            server.hosts += 1;
            server.connections += s.rows;
            if s.next < DAY_END {
                implants.due.push(Reverse((s.next, i)));
            }
        }
        Ok(implants)
    }

    /// Rows the series add in all.
    pub fn rows(&self) -> u64 {
        self.servers.iter().map(|s| s.connections).sum()
    }

    /// Fleets of infected hosts, each with a new controller, until
    /// `beacons` hosts are infected.
    fn add_controllers(&mut self, rng: &mut Rng, hosts: &Hosts, beacons: usize) {
        let infected = distinct(rng, hosts.internal_v4.len(), beacons);
        let mut taken: HashSet<String> = hosts.public_v4.iter().cloned().collect();
        let mut next_host = 0;
        while next_host < infected.len() {
            let fleet = (1 + rng.below(MAX_FLEET) as usize).min(infected.len() - next_host);
            let style = Style::ALL[self.servers.len() % Style::ALL.len()];
            let server = controller(rng, &mut taken, style);
            for &h in &infected[next_host..next_host + fleet] {
                self.add_series(rng, hosts.internal_v4[h].clone(), &server);
            }
            self.servers.push(server);
            next_host += fleet;
        }
    }

    /// Applications polling popular services, `POLLERS_PER_APP` hosts each.
    fn add_pollers(&mut self, rng: &mut Rng, hosts: &Hosts, pollers: usize) {
        let services = distinct(
            rng,
            POPULAR_SERVICES.min(hosts.public_v4.len()),
            POPULAR_SERVICES,
        );
        let mut placed = 0;
        let mut app = 0;
        while placed < pollers {
            let n = POLLERS_PER_APP.min(pollers - placed);
            let ip = hosts.public_v4[services[app % services.len()]].clone();
            let server = poller(rng, ip);
            for h in distinct(rng, hosts.internal_v4.len(), n) {
                self.add_series(rng, hosts.internal_v4[h].clone(), &server);
            }
            self.servers.push(server);
            placed += n;
            app += 1;
        }
    }

    /// A series from `host` to `server`, which is about to be pushed as
    /// the next server.
    fn add_series(&mut self, rng: &mut Rng, host: String, server: &Server) {
        let mut timing = Rng(rng.next());
        let next = first_beat(&mut timing, server);
        self.series.push(Series {
            host,
            server: self.servers.len(),
            timing,
            content: Rng(rng.next()),
            next,
            rows: 0,
        });
    }

    /// Writes every implanted row due at or before `until` (µs), in time order.
    pub fn write_due(&mut self, w: &mut impl Write, until: u64) -> io::Result<()> {
        while let Some(&Reverse((ts, i))) = self.due.peek() {
            if ts > until {
                break;
            }
            self.due.pop();
            let Series {
                host,
                server,
                timing,
                content,
                next,
                ..
            } = &mut self.series[i];
            let server = &self.servers[*server];
            let c = check_in(content, host, server);
            write_row(w, content, ts, &c)?;
            *next = next_beat(timing, server, ts);
            if *next < DAY_END {
                self.due.push(Reverse((*next, i)));
            }
        }
        Ok(())
    }

    /// The ground truth, one (host, server) series a line, for checking
    /// what a detector finds: `hosts` is the number of hosts with a series
    /// to the server (the fleet), `connections` this series' rows.
    pub fn write_truth(&self, w: &mut impl Write) -> io::Result<()> {
        writeln!(
            w,
            "role\tserver\tport\tstyle\thost\thosts\tperiod_s\tjitter\tconnections"
        )?;
        for series in &self.series {
            let s = &self.servers[series.server];
            let role = match s.role {
                Role::Controller => "controller",
                Role::Poller => "poller",
            };
            writeln!(
                w,
                "{role}\t{}\t{}\t{}\t{}\t{}\t{:.1}\t{:.3}\t{}",
                s.ip,
                s.port,
                s.style.name(),
                series.host,
                s.hosts,
                s.period_s,
                s.jitter,
                series.rows
            )?;
        }
        Ok(())
    }
}

/// `k` distinct indices in `0..n` (a partial Fisher–Yates shuffle).
fn distinct(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = i + rng.below((n - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(k);
    all
}

/// A new controller at a public address nothing else talks to.
fn controller(rng: &mut Rng, taken: &mut HashSet<String>, style: Style) -> Server {
    let ip = loop {
        let ip = format!(
            "{}.{}.{}.{}",
            rng.pick(PUBLIC_FIRST_OCTETS),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        );
        if taken.insert(ip.clone()) {
            break ip;
        }
    };
    let port = match style {
        Style::Tls => 443,
        Style::Http => *rng.pick(&[80, 80, 8080]),
        Style::Retries | Style::Opaque => *rng.pick(UNCOMMON_PORTS),
    };
    let period_s = (MIN_PERIOD_S.ln() + rng.unit() * (MAX_PERIOD_S / MIN_PERIOD_S).ln()).exp();
    Server {
        role: Role::Controller,
        style,
        ip,
        port,
        period_s,
        jitter: rng.unit() * MAX_JITTER,
        request_bytes: rng.log_between(150, 1_500),
        response_bytes: rng.log_between(60, 2_000),
        hosts: 0,
        connections: 0,
    }
}

fn poller(rng: &mut Rng, ip: String) -> Server {
    let (style, port) = *rng.pick(&[
        (Style::Tls, 443),
        (Style::Tls, 443),
        (Style::Tls, 443),
        (Style::Http, 80),
    ]);
    Server {
        role: Role::Poller,
        style,
        ip,
        port,
        period_s: *rng.pick(POLLER_PERIODS_S),
        jitter: rng.unit() * POLLER_MAX_JITTER,
        request_bytes: rng.log_between(300, 3_000),
        response_bytes: rng.log_between(500, 30_000),
        hosts: 0,
        connections: 0,
    }
}

fn first_beat(timing: &mut Rng, server: &Server) -> u64 {
    let delay_s = match server.role {
        Role::Controller => timing.unit() * INFECTION_WINDOW_S,
        Role::Poller => timing.unit() * server.period_s,
    };
    DAY_START * 1_000_000 + (delay_s * MICROS) as u64
}

/// The next connection after one at `now`: a period later, give or take the
/// jitter, skipping the beats that are missed.
fn next_beat(timing: &mut Rng, server: &Server, now: u64) -> u64 {
    let mut t = now;
    loop {
        let gap_s = server.period_s * (1.0 + server.jitter * (2.0 * timing.unit() - 1.0));
        t += (gap_s * MICROS) as u64;
        if !timing.chance(MISSED_BEAT) {
            return t;
        }
    }
}

/// Rows a series will add over the day, from a copy of its timing generator.
fn count_rows(series: &Series, server: &Server) -> u64 {
    let mut timing = series.timing.clone();
    let mut t = series.next;
    let mut rows = 0;
    while t < DAY_END {
        rows += 1;
        t = next_beat(&mut timing, server, t);
    }
    rows
}

/// `base` give or take `spread` (a share of it).
fn about(rng: &mut Rng, base: u64, spread: f64) -> u64 {
    ((base as f64) * (1.0 + spread * (2.0 * rng.unit() - 1.0))).round() as u64
}

fn check_in<'a>(rng: &mut Rng, host: &'a str, server: &'a Server) -> Conn<'a> {
    let mut c = Conn::outbound(host, rng.ephemeral_port(), &server.ip, server.port);
    match server.style {
        Style::Tls => {
            c.service = Some("ssl");
            answered(rng, &mut c, server);
        }
        Style::Http => {
            c.service = Some("http");
            answered(rng, &mut c, server);
        }
        Style::Opaque => answered(rng, &mut c, server),
        Style::Retries => unanswered(rng, &mut c),
    }
    c
}

/// A completed exchange: a request of about the same size each time, a
/// short answer (an implant's "nothing to do", or a poller's changing
/// content), now and then a task for an implant.
fn answered(rng: &mut Rng, c: &mut Conn, server: &Server) {
    const HDR: u64 = 52;
    let request = about(rng, server.request_bytes, 0.03);
    let response = match server.role {
        Role::Controller if rng.chance(TASK_SHARE) => rng.log_between(20_000, 400_000),
        Role::Controller => about(rng, server.response_bytes, 0.1),
        Role::Poller => rng.log_between(server.response_bytes / 3, server.response_bytes * 3),
    };
    let orig_pkts = 3 + request / 1_200 + rng.below(2);
    let resp_pkts = 2 + response / 1_400 + rng.below(2);
    let transfer_us = (request + response) * 1_000_000 / rng.log_between(1_000_000, 20_000_000);
    c.conn_state = "SF";
    c.history = Some("ShADadFf");
    c.duration = Some(rng.log_between(20_000, 600_000) + transfer_us);
    c.orig_bytes = Some(request);
    c.resp_bytes = Some(response);
    c.orig_pkts = orig_pkts;
    c.orig_ip_bytes = request + orig_pkts * HDR;
    c.resp_pkts = resp_pkts;
    c.resp_ip_bytes = response + resp_pkts * HDR;
}

/// A SYN and its retransmissions (1 s, then 2 s later), never answered.
fn unanswered(rng: &mut Rng, c: &mut Conn) {
    const SYN: u64 = 52;
    let syns = 2 + rng.below(2);
    let waited_us = if syns == 2 { 1_000_000 } else { 3_000_000 };
    c.conn_state = "S0";
    c.history = Some("S");
    c.duration = Some(waited_us + rng.below(20_000));
    c.orig_bytes = Some(0);
    c.resp_bytes = Some(0);
    c.orig_pkts = syns;
    c.orig_ip_bytes = syns * SYN;
}
