//! One day of the world's traffic. Every generator draws from streams
//! derived from the seed, the day and its own entity, so a day needs
//! nothing from the days before it.

mod background;
mod c2;
mod phish;
mod web;

use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::rng::Rng;
use crate::rows::{Conn, Day};
use crate::world::{key, World, DAY_US};

/// Generates day `d` (0-based) of the period.
pub fn generate(world: &World, d: u32) -> Day {
    let mut g = Gen {
        world,
        d,
        start: world.start_us + i64::from(d) * DAY_US,
        end: world.start_us + i64::from(d + 1) * DAY_US,
        uids: Rng::derive(world.plan.seed, &[key::UID, u64::from(d)]),
        out: Day::default(),
    };
    background::zeek(&mut g);
    background::netflow(&mut g);
    background::inbound_scans(&mut g);
    c2::generate(&mut g);
    phish::generate(&mut g);
    web::generate(&mut g);
    g.out.clamp(g.start, g.end);
    g.out.sort();
    g.out
}

/// What a generator needs: the world, the day, and where rows go.
pub struct Gen<'w> {
    pub world: &'w World,
    pub d: u32,
    /// The day's bounds (µs).
    pub start: i64,
    pub end: i64,
    uids: Rng,
    pub out: Day,
}

impl Gen<'_> {
    pub fn uid(&mut self) -> u64 {
        self.uids.next_u64()
    }

    pub fn seed(&self) -> u64 {
        self.world.plan.seed
    }

    /// A stream for entity `keys` on this day.
    pub fn rng(&self, keys: &[u64]) -> Rng {
        let mut k = keys.to_vec();
        k.push(u64::from(self.d));
        Rng::derive(self.seed(), &k)
    }

    /// A time in this day, more likely in the target's waking hours.
    pub fn daytime(&self, rng: &mut Rng) -> i64 {
        loop {
            let t = rng.below(DAY_US as u64) as i64;
            let hour = ((t / 3_600_000_000) + LOCAL_OFFSET_H) % 24;
            if rng.unit() * 10.0 < HOURLY[hour as usize] {
                return self.start + t;
            }
        }
    }

    /// A DNS look-up by `client` of `name` answered with `answers` (or
    /// NXDOMAIN when empty), through one of the resolvers.
    pub fn lookup(&mut self, ts: i64, client: Ipv4Addr, name: &Arc<str>, answers: Vec<Ipv4Addr>) {
        let uid = self.uid();
        let resolver = self.world.resolvers[(uid % self.world.resolvers.len() as u64) as usize];
        let nxdomain = answers.is_empty();
        self.out.dns.push(crate::rows::Dns {
            ts,
            uid,
            client,
            client_p: ephemeral(uid >> 16),
            server: resolver,
            trans_id: (uid >> 40) as u16,
            query: name.clone(),
            nxdomain,
            answers,
            ttl: 300,
        });
    }
}

/// Hours are counted in UTC; people live in the target's time (UTC+8 for
/// China, a fair default for the presets).
const LOCAL_OFFSET_H: i64 = 8;
/// Relative activity per local hour (out of 10).
const HOURLY: [f64; 24] = [
    2.0, 1.2, 0.8, 0.6, 0.6, 0.8, 1.5, 3.0, 5.5, 8.0, 9.0, 9.5, 8.5, 8.5, 9.5, 9.5, 9.0, 8.0, 7.0,
    7.5, 8.5, 9.0, 7.0, 4.0,
];

/// A client's ephemeral port from random bits.
pub fn ephemeral(bits: u64) -> u16 {
    32_768 + (bits % 28_232) as u16
}

/// A finished TCP connection with payload both ways, as Zeek logs it.
#[allow(clippy::too_many_arguments)]
pub fn tcp(
    ts: i64,
    uid: u64,
    orig: Ipv4Addr,
    resp: Ipv4Addr,
    resp_p: u16,
    service: Option<&'static str>,
    request: u64,
    response: u64,
    duration: i64,
) -> Conn {
    let op = 3 + request / 1_400 + (uid & 3);
    let rp = 2 + response / 1_400 + ((uid >> 2) & 3);
    Conn {
        ts,
        uid,
        orig,
        orig_p: ephemeral(uid >> 8),
        resp,
        resp_p,
        udp: false,
        service,
        duration: Some(duration.max(1)),
        orig_bytes: Some(request),
        resp_bytes: Some(response),
        state: "SF",
        history: "ShADadFf",
        orig_pkts: op,
        orig_ip_bytes: request + op * 52,
        resp_pkts: rp,
        resp_ip_bytes: response + rp * 52,
    }
}

/// A TCP attempt no one answered: one SYN (or a few retransmitted).
pub fn syn_only(ts: i64, uid: u64, orig: Ipv4Addr, resp: Ipv4Addr, resp_p: u16) -> Conn {
    let tries = 1 + (uid % 3);
    Conn {
        ts,
        uid,
        orig,
        orig_p: ephemeral(uid >> 8),
        resp,
        resp_p,
        udp: false,
        service: None,
        duration: (tries > 1).then_some((tries as i64 - 1) * 1_000_000 + (uid % 50_000) as i64),
        orig_bytes: (tries > 1).then_some(0),
        resp_bytes: (tries > 1).then_some(0),
        state: "S0",
        history: "S",
        orig_pkts: tries,
        orig_ip_bytes: tries * 60,
        resp_pkts: 0,
        resp_ip_bytes: 0,
    }
}

/// A UDP exchange (one datagram each way).
#[allow(clippy::too_many_arguments)]
pub fn udp(
    ts: i64,
    uid: u64,
    orig: Ipv4Addr,
    resp: Ipv4Addr,
    resp_p: u16,
    service: &'static str,
    request: u64,
    response: u64,
) -> Conn {
    Conn {
        ts,
        uid,
        orig,
        orig_p: if resp_p == 123 {
            123
        } else {
            ephemeral(uid >> 8)
        },
        resp,
        resp_p,
        udp: true,
        service: Some(service),
        duration: Some(200 + (uid % 40_000) as i64),
        orig_bytes: Some(request),
        resp_bytes: Some(response),
        state: "SF",
        history: "Dd",
        orig_pkts: 1,
        orig_ip_bytes: request + 28,
        resp_pkts: 1,
        resp_ip_bytes: response + 28,
    }
}
