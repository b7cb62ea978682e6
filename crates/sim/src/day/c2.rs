//! Check-ins of infected machines with their controllers.
//!
//! Beat `k` of an infection is at `start + phase + k·period`, moved by the
//! family's jitter; a few beats are missed (the machine asleep). On the
//! watched networks every beat is a connection in `conn.log` (with its
//! `ssl`/`http` row, the look-ups that precede it, and a Suricata alert an
//! hour where a signature matches). Behind the NetFlow exporters a beat
//! shows only if one of its packets is sampled: each direction of a beat of
//! `p` packets shows with probability `1 - (1 - 1/N)^p`, so the unseen
//! beats between two seen ones are drawn at once (geometric), and a day
//! costs what it shows, not what the machine sent.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::{ephemeral, syn_only, tcp, Gen};
use crate::rng::Rng;
use crate::rows::{Alert, Http, Record, Ssl, ACK, PSH, SYN, TCP};
use crate::world::c2::{dga_name, Controller, Infection, Naming, Style, Traits};
use crate::world::{key, World};

/// Share of beats a machine misses.
const MISSED: f64 = 0.02;
/// Fast-flux names live this long in caches (s), and answer this many
/// proxies at a time.
const FLUX_TTL_S: i64 = 180;
const FLUX_ANSWERS: usize = 5;

pub fn generate(g: &mut Gen) {
    let w = g.world;
    for (i, inf) in w.infections.iter().enumerate() {
        let from = inf.start.max(g.start).max(w.start_us);
        let to = inf.end.min(g.end).min(w.end_us);
        if from >= to {
            continue;
        }
        let traits = family_of(w, inf).traits();
        let beats = Beats::new(w, i, inf, &traits);
        if w.machines[inf.machine as usize].zeek {
            watched(g, i, inf, &traits, &beats, from, to);
        } else {
            sampled(g, i, inf, &traits, &beats, from, to);
        }
    }
}

fn family_of(w: &World, inf: &Infection) -> crate::world::c2::Family {
    match inf.controller {
        Controller::Server(s) => w.servers[s as usize].family,
        Controller::Flux(f) => w.flux[f as usize].family,
    }
}

/// The beat schedule of one infection.
struct Beats {
    seed: u64,
    infection: u64,
    base: i64,
    period: i64,
    jitter: f64,
}

impl Beats {
    fn new(w: &World, i: usize, inf: &Infection, t: &Traits) -> Beats {
        Beats {
            seed: w.plan.seed,
            infection: i as u64,
            base: inf.start + inf.phase,
            period: ((t.period_s * 1e6) as i64).max(1),
            jitter: t.jitter,
        }
    }

    /// Time of beat `k`, and whether the machine missed it.
    fn at(&self, k: i64) -> (i64, bool) {
        let mut rng = Rng::derive(self.seed, &[key::BEATS, self.infection, k as u64]);
        let offset = self.jitter * (2.0 * rng.unit() - 1.0) * self.period as f64;
        (
            self.base + k * self.period + offset as i64,
            rng.chance(MISSED),
        )
    }

    /// Beats that may fall in `[from, to)` (jitter can move a beat across
    /// the boundary; callers check the time).
    fn range(&self, from: i64, to: i64) -> (i64, i64) {
        let lo = ((from - self.base).div_euclid(self.period) - 1).max(0);
        let hi = (to - self.base).div_euclid(self.period) + 1;
        (lo, hi)
    }
}

/// The server a beat at `t` goes to: the controller, or for fast-flux the
/// first proxy the name answers with at that time.
fn server_at(w: &World, inf: &Infection, t: i64) -> usize {
    match inf.controller {
        Controller::Server(s) => s as usize,
        Controller::Flux(f) => flux_answers(w, f as usize, t)[0],
    }
}

/// The proxies a fast-flux name resolves to at `t`: a rotating handful of
/// the network's nodes.
fn flux_answers(w: &World, f: usize, t: i64) -> Vec<usize> {
    let net = &w.flux[f];
    let window = (t / 1_000_000).div_euclid(FLUX_TTL_S) as u64;
    let mut rng = Rng::derive(w.plan.seed, &[key::BOTNETS, 99, f as u64, window]);
    let mut picks = rng.distinct(net.nodes.len(), FLUX_ANSWERS);
    let turn = rng.index(picks.len());
    picks.rotate_left(turn);
    picks.into_iter().map(|i| net.nodes[i] as usize).collect()
}

/// Every beat of a machine on the watched networks.
fn watched(g: &mut Gen, i: usize, inf: &Infection, t: &Traits, beats: &Beats, from: i64, to: i64) {
    let w = g.world;
    let mut rng = g.rng(&[key::BEATS, i as u64]);
    let (lo, hi) = beats.range(from, to);
    let per_ttl = (300.0 / t.period_s).ceil().max(1.0) as i64;
    let per_hour = (3_600.0 / t.period_s).ceil().max(1.0) as i64;
    let mut first_today = true;
    for k in lo..=hi {
        let (ts, missed) = beats.at(k);
        if ts < from || ts >= to || missed {
            continue;
        }
        let host = w.ip(inf.machine, ts);
        let s = server_at(w, inf, ts);
        let server = &w.servers[s];
        let due = Due {
            resolve: first_today || k % per_ttl == 0,
            walk: first_today,
        };
        let name = look_up(g, inf, t, ts, host, due);
        first_today = false;
        let uid = g.uid();
        check_in(g, &mut rng, t, ts, uid, host, server.ip, server.port, name);
        if let Some(signature) = t.ids {
            if k % per_hour == 0 {
                g.out.alerts.push(Alert {
                    ts: ts + 150_000,
                    flow_id: uid >> 14,
                    src: host,
                    src_p: ephemeral(uid >> 8),
                    dst: server.ip,
                    dst_p: server.port,
                    signature_id: 2_030_000 + (signature.len() as u32 % 1_000),
                    signature,
                    category: "A Network Trojan was detected",
                    severity: 1,
                });
            }
        }
    }
}

/// Which look-ups precede a beat.
#[derive(Debug, Clone, Copy)]
struct Due {
    /// The cached answer expired.
    resolve: bool,
    /// A DGA bot's first beat of the day: it walks the day's name list.
    walk: bool,
}

/// The look-ups before a beat at `ts`, if the family resolves a name and
/// its cache ran out; returns the name the beat uses.
fn look_up(
    g: &mut Gen,
    inf: &Infection,
    t: &Traits,
    ts: i64,
    host: Ipv4Addr,
    due: Due,
) -> Option<Arc<str>> {
    let w = g.world;
    match (t.naming, inf.controller) {
        (Naming::Address, _) => None,
        (Naming::Domain, Controller::Server(s)) => {
            let server = &w.servers[s as usize];
            let name = server.domain.clone()?;
            if due.resolve {
                g.lookup(ts - 40_000, host, &name, vec![server.ip]);
            }
            Some(name)
        }
        (Naming::Dga, Controller::Server(s)) => {
            let server = &w.servers[s as usize];
            let seed = w.plan.seed ^ (u64::from(s) << 20);
            let mut pick = Rng::derive(seed, &[u64::from(g.d)]);
            let registered = 12 + pick.below(20);
            let name: Arc<str> = Arc::from(dga_name(seed, g.d, registered));
            if due.walk {
                // The bot walks the day's list until a name resolves.
                for n in 0..registered {
                    let miss: Arc<str> = Arc::from(dga_name(seed, g.d, n));
                    let at = ts - 2_000_000 + n as i64 * 40_000;
                    g.lookup(at, host, &miss, Vec::new());
                }
            }
            if due.resolve {
                g.lookup(ts - 500_000, host, &name, vec![server.ip]);
            }
            Some(name)
        }
        (Naming::FastFlux, Controller::Flux(f)) => {
            let net = &w.flux[f as usize];
            let answers = flux_answers(w, f as usize, ts)
                .into_iter()
                .map(|s| w.servers[s].ip)
                .collect();
            g.lookup(ts - 40_000, host, &net.domain, answers);
            Some(net.domain.clone())
        }
        _ => None,
    }
}

/// One check-in as the sensor logs it.
#[allow(clippy::too_many_arguments)]
fn check_in(
    g: &mut Gen,
    rng: &mut Rng,
    t: &Traits,
    ts: i64,
    uid: u64,
    host: Ipv4Addr,
    server: Ipv4Addr,
    port: u16,
    name: Option<Arc<str>>,
) {
    let request = rng.log_between(t.request.0, t.request.1);
    let response = rng.log_between(t.response.0, t.response.1);
    let duration = rng.between(60_000, 900_000) as i64;
    match t.style {
        Style::Retries => g.out.conn.push(syn_only(ts, uid, host, server, port)),
        Style::Opaque => g.out.conn.push(tcp(
            ts, uid, host, server, port, None, request, response, duration,
        )),
        Style::Tls => {
            g.out.conn.push(tcp(
                ts,
                uid,
                host,
                server,
                port,
                Some("ssl"),
                request,
                response,
                duration,
            ));
            g.out.ssl.push(Ssl {
                ts: ts + 20_000,
                uid,
                client: host,
                client_p: ephemeral(uid >> 8),
                server,
                server_p: port,
                version: "TLSv12",
                sni: name,
            });
        }
        Style::Http => {
            g.out.conn.push(tcp(
                ts,
                uid,
                host,
                server,
                port,
                Some("http"),
                request,
                response,
                duration,
            ));
            g.out.http.push(Http {
                ts: ts + 20_000,
                uid,
                client: host,
                client_p: ephemeral(uid >> 8),
                server,
                server_p: port,
                method: "POST",
                host: name.unwrap_or_else(|| Arc::from(server.to_string())),
                uri: t.uri.to_string(),
                referrer: None,
                user_agent: t.user_agent,
                request_len: request,
                response_len: response,
                status: 200,
                mime: "text/plain",
            });
        }
    }
}

/// The beats of a machine behind a NetFlow exporter that sampling shows.
fn sampled(g: &mut Gen, i: usize, inf: &Infection, t: &Traits, beats: &Beats, from: i64, to: i64) {
    let w = g.world;
    let machine = w.machines[inf.machine as usize];
    let n = f64::from(w.plan.sampling[usize::from(machine.exporter)].max(1));
    let (lo, hi) = beats.range(from, to);
    for (direction, packets) in [(0u64, t.packets.0), (1, t.packets.1)] {
        if packets == 0 {
            continue;
        }
        // ln(1 - 1/N) · p, so the chance survives large N without rounding away.
        let q = 1.0 - ((1.0 - 1.0 / n).ln() * packets as f64).exp();
        let mut rng = g.rng(&[key::SAMPLED, i as u64, direction]);
        let mut k = lo.saturating_add(rng.geometric(q).min(i64::MAX as u64) as i64);
        while k <= hi {
            let (ts, missed) = beats.at(k);
            if ts >= from && ts < to && !missed {
                let host = w.ip(inf.machine, ts);
                let server = &w.servers[server_at(w, inf, ts)];
                g.out.records.push(record(
                    &mut rng,
                    t,
                    ts,
                    host,
                    server.ip,
                    server.port,
                    direction,
                    machine.exporter,
                ));
            }
            k = k
                .saturating_add(1)
                .saturating_add(rng.geometric(q).min(i64::MAX as u64) as i64);
        }
    }
}

/// One sampled record of a check-in: usually a single packet.
#[allow(clippy::too_many_arguments)]
fn record(
    rng: &mut Rng,
    t: &Traits,
    ts: i64,
    host: Ipv4Addr,
    server: Ipv4Addr,
    port: u16,
    direction: u64,
    exporter: u8,
) -> Record {
    let packets = 1 + u64::from(rng.chance(0.05));
    let start_ms = ts / 1000 + rng.below(200) as i64;
    let end_ms = start_ms
        + if packets > 1 {
            rng.below(800) as i64
        } else {
            0
        };
    let flags = match t.style {
        Style::Retries => SYN,
        // A sampled handshake packet: the host's SYN, or the server's
        // SYN+ACK answering it.
        _ if rng.chance(0.15) => {
            if direction == 0 {
                SYN
            } else {
                SYN | ACK
            }
        }
        _ => ACK | PSH,
    };
    let size = match t.style {
        Style::Retries => 60,
        _ => rng.between(52, 52 + t.request.1.min(1_400)),
    };
    let (src, dst, src_p, dst_p) = if direction == 0 {
        (host, server, ephemeral(rng.next_u64()), port)
    } else {
        (server, host, port, ephemeral(rng.next_u64()))
    };
    Record {
        start_ms,
        end_ms,
        src,
        dst,
        src_p,
        dst_p,
        proto: TCP,
        tcp_flags: flags,
        packets,
        bytes: packets * size,
        exporter,
    }
}
