//! Normal traffic: browsing and apps at home and abroad, look-ups, time
//! and update checks (as regular as any implant), sampled border flows,
//! and scans coming in from the Internet. It is what detectors have to get
//! right: none of it is controlled by anyone.

use std::net::Ipv4Addr;

use super::{ephemeral, tcp, udp, Gen};
use crate::rng::Rng;
use crate::rows::{Alert, Http, Record, Ssl, ACK, PSH, SYN, TCP, UDP};
use crate::world::{key, DAY_US};

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0 Mobile Safari/537.36",
];
const PAGES: &[&str] = &[
    "/",
    "/index.html",
    "/news/",
    "/static/js/app.js",
    "/static/css/main.css",
    "/img/banner.jpg",
    "/api/v1/config",
];

pub fn browser(rng: &mut Rng) -> &'static str {
    BROWSERS[rng.index(BROWSERS.len())]
}

/// Sessions and pollers of every machine on the watched networks.
pub fn zeek(g: &mut Gen) {
    let w = g.world;
    for m in 0..w.machines.len() as u32 {
        let machine = w.machines[m as usize];
        if !(machine.zeek && machine.background) {
            continue;
        }
        let mut rng = g.rng(&[key::BACKGROUND, u64::from(m)]);
        for _ in 0..rng.poisson(w.plan.zeek_sessions) {
            session(g, &mut rng, m);
        }
        for p in 0..w.pollers.len() {
            poll(g, m, p);
        }
    }
}

/// A visit to a popular service: maybe a look-up, then TLS or HTTP.
fn session(g: &mut Gen, rng: &mut Rng, m: u32) {
    let w = g.world;
    let ts = g.daytime(rng);
    let client = w.ip(m, ts);
    let s = if rng.chance(0.3) {
        w.foreign_services[rng.skewed(w.foreign_services.len())]
    } else {
        rng.skewed(w.services.len())
    };
    let service = &w.services[s];
    let server = *rng.pick(&service.ips);
    if rng.chance(0.5) {
        g.lookup(ts - 20_000, client, &service.name, service.ips.clone());
    }
    let uid = g.uid();
    let request = rng.log_between(300, 20_000);
    let response = rng.log_between(2_000, 5_000_000);
    let duration = rng.log_between(50_000, 60_000_000) as i64;
    if service.tls {
        g.out.conn.push(tcp(
            ts,
            uid,
            client,
            server,
            443,
            Some("ssl"),
            request,
            response,
            duration,
        ));
        g.out.ssl.push(Ssl {
            ts: ts + 30_000,
            uid,
            client,
            client_p: ephemeral(uid >> 8),
            server,
            server_p: 443,
            version: if rng.chance(0.7) { "TLSv13" } else { "TLSv12" },
            sni: Some(service.name.clone()),
        });
    } else {
        g.out.conn.push(tcp(
            ts,
            uid,
            client,
            server,
            80,
            Some("http"),
            request,
            response,
            duration,
        ));
        g.out.http.push(Http {
            ts: ts + 30_000,
            uid,
            client,
            client_p: ephemeral(uid >> 8),
            server,
            server_p: 80,
            method: "GET",
            host: service.name.clone(),
            uri: rng.pick(PAGES).to_string(),
            referrer: None,
            user_agent: browser(rng),
            request_len: 0,
            response_len: response,
            status: 200,
            mime: "text/html",
        });
    }
}

/// Machine `m` running poller `p` checks in at its period all day.
fn poll(g: &mut Gen, m: u32, p: usize) {
    let w = g.world;
    let poller = &w.pollers[p];
    let mut who = Rng::derive(w.plan.seed, &[key::POLLS, u64::from(m), p as u64]);
    if !who.chance(poller.share) {
        return;
    }
    let period = (poller.period_s * 1e6) as i64;
    let phase = who.below(period as u64) as i64;
    let service = &w.services[poller.service];
    let server = service.ips[who.index(service.ips.len())];
    let mut rng = g.rng(&[key::POLLS, u64::from(m), p as u64]);
    let first = (g.start - w.start_us - phase).div_euclid(period) + 1;
    let mut k = first.max(0);
    loop {
        let ts = w.start_us + phase + k * period + (rng.normal() * 0.01 * period as f64) as i64;
        if ts >= g.end {
            break;
        }
        k += 1;
        if ts < g.start {
            continue;
        }
        let client = w.ip(m, ts);
        if k == first.max(0) + 1 {
            g.lookup(ts - 5_000, client, &service.name, service.ips.clone());
        }
        let uid = g.uid();
        match poller.udp_port {
            Some(port) => g
                .out
                .conn
                .push(udp(ts, uid, client, server, port, "ntp", 48, 48)),
            None => {
                let req = rng.between(400, 600);
                let resp = rng.between(900, 1_400);
                let service_name = if service.tls { "ssl" } else { "http" };
                let port = if service.tls { 443 } else { 80 };
                g.out.conn.push(tcp(
                    ts,
                    uid,
                    client,
                    server,
                    port,
                    Some(service_name),
                    req,
                    resp,
                    rng.between(80_000, 400_000) as i64,
                ));
                if service.tls {
                    g.out.ssl.push(Ssl {
                        ts: ts + 20_000,
                        uid,
                        client,
                        client_p: ephemeral(uid >> 8),
                        server,
                        server_p: 443,
                        version: "TLSv12",
                        sni: Some(service.name.clone()),
                    });
                } else {
                    g.out.http.push(Http {
                        ts: ts + 20_000,
                        uid,
                        client,
                        client_p: ephemeral(uid >> 8),
                        server,
                        server_p: 80,
                        method: "GET",
                        host: service.name.clone(),
                        uri: "/msdownload/update/v3/static/trustedr/en/authrootstl.cab".into(),
                        referrer: None,
                        user_agent: "Microsoft-CryptoAPI/10.0",
                        request_len: 0,
                        response_len: resp,
                        status: 200,
                        mime: "application/vnd.ms-cab-compressed",
                    });
                }
            }
        }
    }
}

/// Sampled border flows of the machines behind the NetFlow exporters: a
/// packet or two of their web and app sessions, either way.
pub fn netflow(g: &mut Gen) {
    let w = g.world;
    for m in 0..w.machines.len() as u32 {
        let machine = w.machines[m as usize];
        if machine.zeek || !machine.background {
            continue;
        }
        let mut rng = g.rng(&[key::BACKGROUND, u64::from(m)]);
        for _ in 0..rng.poisson(w.plan.netflow_records) {
            let ts = g.daytime(&mut rng);
            let host = w.ip(m, ts);
            let s = if rng.chance(0.5) {
                w.foreign_services[rng.skewed(w.foreign_services.len())]
            } else {
                rng.skewed(w.services.len())
            };
            let service = &w.services[s];
            let server = *rng.pick(&service.ips);
            let port = if service.tls { 443 } else { 80 };
            let packets = 1 + u64::from(rng.chance(0.1));
            let start_ms = ts / 1000;
            let end_ms = start_ms + rng.below(30_000) as i64;
            let flags = if rng.chance(0.1) { SYN } else { ACK | PSH };
            let r = if rng.chance(0.4) {
                Record {
                    start_ms,
                    end_ms,
                    src: host,
                    dst: server,
                    src_p: ephemeral(rng.next_u64()),
                    dst_p: port,
                    proto: TCP,
                    tcp_flags: flags,
                    packets,
                    bytes: packets * rng.between(52, 600),
                    exporter: machine.exporter,
                }
            } else {
                Record {
                    start_ms,
                    end_ms,
                    src: server,
                    dst: host,
                    src_p: port,
                    dst_p: ephemeral(rng.next_u64()),
                    proto: TCP,
                    tcp_flags: ACK | PSH,
                    packets,
                    bytes: packets * rng.between(600, 1_500),
                    exporter: machine.exporter,
                }
            };
            g.out.records.push(r);
            if rng.chance(0.05) {
                // A DNS exchange with a resolver abroad.
                let resolver = Ipv4Addr::new(8, 8, 8, 8);
                g.out.records.push(Record {
                    start_ms,
                    end_ms: start_ms,
                    src: host,
                    dst: resolver,
                    src_p: ephemeral(rng.next_u64()),
                    dst_p: 53,
                    proto: UDP,
                    tcp_flags: 0,
                    packets: 1,
                    bytes: rng.between(60, 90),
                    exporter: machine.exporter,
                });
            }
        }
    }
}

/// Probes from the Internet at the watched machines, some raising IDS
/// alerts: exploit and scan signatures, including one under a "Trojan"
/// category, none naming command and control.
pub fn inbound_scans(g: &mut Gen) {
    let w = g.world;
    let zeek: Vec<u32> = (0..w.machines.len() as u32)
        .filter(|&m| w.machines[m as usize].zeek)
        .collect();
    if zeek.is_empty() || w.internet_scanners.is_empty() {
        return;
    }
    let mut rng = g.rng(&[key::SCANS, 0]);
    let scanners = 2 + rng.below(3);
    for s in 0..scanners {
        let mut srng = g.rng(&[key::SCANS, 1, s]);
        let scanner = *srng.pick(&w.internet_scanners);
        let (sig_id, signature, category) = *srng.pick(INBOUND_SIGNATURES);
        let port = *srng.pick(&[22u16, 23, 445, 3306, 3389, 6379, 8080]);
        let base = g.start + srng.below(DAY_US as u64 - 3_600_000_000) as i64;
        let targets = 5 + srng.below(20);
        for t in 0..targets {
            let m = zeek[srng.index(zeek.len())];
            let ts = base + t as i64 * 700_000 + srng.below(300_000) as i64;
            let host = w.ip(m, ts);
            let uid = g.uid();
            let mut conn = super::syn_only(ts, uid, scanner, host, port);
            if srng.chance(0.5) {
                conn.state = "REJ";
                conn.history = "Sr";
                conn.resp_pkts = 1;
                conn.resp_ip_bytes = 40;
            }
            g.out.conn.push(conn);
            if srng.chance(0.4) {
                g.out.alerts.push(Alert {
                    ts: ts + 1_000,
                    flow_id: uid >> 14,
                    src: scanner,
                    src_p: ephemeral(uid >> 8),
                    dst: host,
                    dst_p: port,
                    signature_id: sig_id,
                    signature,
                    category,
                    severity: 2,
                });
            }
        }
    }
}

const INBOUND_SIGNATURES: &[(u32, &str, &str)] = &[
    (
        2_001_219,
        "ET SCAN Potential SSH Scan",
        "Attempted Information Leak",
    ),
    (
        2_010_937,
        "ET SCAN Suspicious inbound to mySQL port 3306",
        "Potentially Bad Traffic",
    ),
    (
        2_034_647,
        "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (Outbound)",
        "Attempted Administrator Privilege Gain",
    ),
    (
        2_024_218,
        "ET EXPLOIT Possible ETERNALBLUE Probe MS17-010",
        "A Network Trojan was detected",
    ),
];
