//! Botnets: families, their control servers and the machines they infect.
//!
//! A family fixes how its check-ins look on the wire (protocol, ports,
//! period and jitter, sizes), how bots find their server (a fixed address,
//! a domain, a domain-generation algorithm, a fast-flux name) and what the
//! world knows of it (servers listed in the Feodo Tracker feed or a domain
//! list, a Suricata signature). The families are modelled on public
//! descriptions of the real ones; the traffic is made up.

use std::net::Ipv4Addr;
use std::sync::Arc;

use borderscope_geo::CountryCode;

use crate::rng::Rng;

/// How a family's check-ins look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Answered TLS.
    Tls,
    /// Answered plain HTTP.
    Http,
    /// Answered TCP with no protocol a sensor names, on an uncommon port.
    Opaque,
    /// Unanswered SYNs: the controller is dead or sinkholed and the bot
    /// keeps retrying.
    Retries,
}

/// How bots find their server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// A hard-coded address.
    Address,
    /// One domain per server, resolved before check-ins.
    Domain,
    /// Names from a domain-generation algorithm: each day a bot looks up a
    /// list of generated names; only the one its operator registered
    /// resolves.
    Dga,
    /// One name resolving to a rotating set of proxies in many countries.
    FastFlux,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    QakBot,
    Emotet,
    IcedId,
    AsyncRat,
    Gh0st,
    Necurs,
    SmokeLoader,
    Andromeda,
    CobaltStrike,
}

/// What a family does on the wire.
#[derive(Debug, Clone)]
pub struct Traits {
    pub name: &'static str,
    pub style: Style,
    pub ports: &'static [u16],
    pub period_s: f64,
    /// Each gap is the period ± this share of it.
    pub jitter: f64,
    /// Payload bytes sent and received per check-in (log-uniform range).
    pub request: (u64, u64),
    pub response: (u64, u64),
    /// Packets each way per check-in: what packet sampling works on.
    pub packets: (u64, u64),
    pub naming: Naming,
    /// Share of its servers in the Feodo Tracker feed.
    pub feodo: f64,
    /// Its domains are in the plain C2 domain list.
    pub domain_list: bool,
    /// The Suricata signature that fires on its check-ins, if any.
    pub ids: Option<&'static str>,
    /// HTTP request path of check-ins.
    pub uri: &'static str,
    pub user_agent: &'static str,
}

impl Family {
    pub fn traits(self) -> Traits {
        use Family::*;
        let base = Traits {
            name: "",
            style: Style::Tls,
            ports: &[443],
            period_s: 300.0,
            jitter: 0.1,
            request: (300, 900),
            response: (200, 2_000),
            packets: (8, 6),
            naming: Naming::Address,
            feodo: 0.0,
            domain_list: false,
            ids: None,
            uri: "/",
            user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        };
        match self {
            QakBot => Traits {
                name: "QakBot",
                ports: &[443, 2222, 2078],
                period_s: 300.0,
                feodo: 0.9,
                ..base
            },
            Emotet => Traits {
                name: "Emotet",
                style: Style::Http,
                ports: &[8080, 7080],
                period_s: 600.0,
                jitter: 0.15,
                request: (400, 1_200),
                response: (100, 4_000),
                packets: (5, 5),
                feodo: 0.85,
                ids: Some("ET MALWARE Win32/Emotet CnC Activity (POST)"),
                uri: "/",
                ..base
            },
            IcedId => Traits {
                name: "IcedID",
                period_s: 900.0,
                jitter: 0.2,
                naming: Naming::Domain,
                domain_list: true,
                ..base
            },
            AsyncRat => Traits {
                name: "AsyncRAT",
                style: Style::Opaque,
                ports: &[6606, 7707, 8808],
                period_s: 60.0,
                jitter: 0.05,
                request: (60, 120),
                response: (40, 90),
                packets: (4, 3),
                ..base
            },
            Gh0st => Traits {
                name: "Gh0stRAT",
                style: Style::Opaque,
                ports: &[8000, 1080, 9527],
                period_s: 120.0,
                jitter: 0.05,
                request: (30, 200),
                response: (20, 120),
                packets: (4, 3),
                ids: Some("ET MALWARE Gh0st Remote Access Trojan Checkin"),
                ..base
            },
            Necurs => Traits {
                name: "Necurs",
                style: Style::Http,
                ports: &[80],
                period_s: 1_800.0,
                jitter: 0.1,
                request: (500, 1_500),
                response: (300, 6_000),
                packets: (5, 6),
                naming: Naming::Dga,
                uri: "/forum/db.php",
                ..base
            },
            SmokeLoader => Traits {
                name: "SmokeLoader",
                style: Style::Http,
                ports: &[80],
                period_s: 600.0,
                jitter: 0.1,
                packets: (5, 5),
                naming: Naming::FastFlux,
                uri: "/",
                ..base
            },
            Andromeda => Traits {
                name: "Andromeda",
                style: Style::Retries,
                ports: &[4444, 8733],
                period_s: 120.0,
                jitter: 0.05,
                request: (0, 0),
                response: (0, 0),
                packets: (2, 0),
                ..base
            },
            CobaltStrike => Traits {
                name: "CobaltStrike",
                period_s: 60.0,
                jitter: 0.3,
                naming: Naming::Domain,
                ..base
            },
        }
    }
}

/// One control server (or fast-flux proxy).
#[derive(Debug, Clone)]
pub struct Server {
    pub ip: Ipv4Addr,
    pub country: CountryCode,
    pub family: Family,
    pub port: u16,
    /// The name bots reach it by, where they use one (for fast-flux
    /// proxies: the flux name).
    pub domain: Option<Arc<str>>,
    /// In the Feodo Tracker feed.
    pub listed: bool,
    /// Index of its fast-flux network, for proxies.
    pub flux: Option<usize>,
}

/// A fast-flux network: one name, many proxies.
#[derive(Debug, Clone)]
pub struct FluxNet {
    pub family: Family,
    pub domain: Arc<str>,
    /// Indices into the servers.
    pub nodes: Vec<u32>,
}

/// Where an infected machine checks in.
#[derive(Debug, Clone, Copy)]
pub enum Controller {
    Server(u32),
    Flux(u32),
}

/// One infected machine and its controller, over a time window (µs).
#[derive(Debug, Clone)]
pub struct Infection {
    pub machine: u32,
    pub controller: Controller,
    pub start: i64,
    pub end: i64,
    /// Offset of its beats (µs), so machines of one fleet do not beat in step.
    pub phase: i64,
}

/// Syllables for made-up C2 domain names.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "zen", "tor", "vex", "qua", "rin", "sol", "dar", "bel", "cor", "fi", "nu",
    "pra", "ste", "ul", "ver", "xo", "ya",
];
const C2_TLDS: &[&str] = &["com", "net", "top", "xyz", "info", "biz", "online", "site"];

/// A plausible name for a C2 server: syllables under a cheap TLD, or a
/// word-like host under a generic one.
pub fn c2_domain(rng: &mut Rng) -> String {
    let n = 2 + rng.below(3);
    let mut label = String::new();
    for _ in 0..n {
        label.push_str(SYLLABLES[rng.index(SYLLABLES.len())]);
    }
    let prefix = *rng.pick(&["", "", "cdn.", "api.", "update.", "static."]);
    format!("{prefix}{label}.{}", rng.pick(C2_TLDS))
}

/// The suffix every name of a DGA family ends in.
pub const DGA_SUFFIX: &str = "net";
/// Letters in a generated label: one length, the generator's shape.
pub const DGA_LABEL: usize = 14;

/// The `i`-th name a DGA bot of server `server_seed` generates on `day`.
pub fn dga_name(server_seed: u64, day: u32, i: u64) -> String {
    let mut rng = Rng::derive(server_seed, &[u64::from(day), i]);
    let label: String = (0..DGA_LABEL)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect();
    format!("{label}.{DGA_SUFFIX}")
}

/// Servers, fast-flux networks and infections of every botnet plan.
pub fn build(world: &mut super::World) -> anyhow::Result<()> {
    use super::key;
    use anyhow::Context;
    let plans = world.plan.botnets.clone();
    for (p, plan) in plans.iter().enumerate() {
        let country = CountryCode::parse(plan.country)
            .with_context(|| format!("botnet country {:?}", plan.country))?;
        let traits = plan.family.traits();
        let mut rng = Rng::derive(world.plan.seed, &[key::BOTNETS, p as u64]);
        let flux = match traits.naming {
            Naming::FastFlux => Some(flux_net(world, plan.family, &mut rng)),
            _ => None,
        };
        let first = world.servers.len() as u32;
        for _ in 0..plan.servers {
            let ip = world.draw(country, &mut rng)?;
            let domain = match traits.naming {
                Naming::Domain => Some(Arc::from(c2_domain(&mut rng))),
                Naming::FastFlux => flux.map(|f| world.flux[f].domain.clone()),
                Naming::Address | Naming::Dga => None,
            };
            let index = world.servers.len() as u32;
            if let Some(f) = flux {
                world.flux[f].nodes.push(index);
            }
            world.servers.push(Server {
                ip,
                country,
                family: plan.family,
                port: *rng.pick(traits.ports),
                domain,
                listed: rng.chance(traits.feodo),
                flux,
            });
        }
        let servers = plan.servers as u32;
        let machines = (0..plan.zeek_machines)
            .map(|_| true)
            .chain((0..plan.netflow_machines).map(|_| false));
        for (j, zeek) in machines.enumerate() {
            if servers == 0 {
                break;
            }
            let machine = world.add_machine(zeek, zeek);
            let controller = match flux {
                Some(f) => Controller::Flux(f as u32),
                None => Controller::Server(first + pick_server(&mut rng, j, servers)),
            };
            let infection = infection(world, machine, controller, &traits, zeek);
            world.infections.push(infection);
        }
    }
    Ok(())
}

/// The fast-flux network of `family`, created on first use.
fn flux_net(world: &mut super::World, family: Family, rng: &mut Rng) -> usize {
    if let Some(i) = world.flux.iter().position(|f| f.family == family) {
        return i;
    }
    world.flux.push(FluxNet {
        family,
        domain: Arc::from(c2_domain(rng)),
        nodes: Vec::new(),
    });
    world.flux.len() - 1
}

/// Every server gets a machine first; then big fleets and a long tail.
fn pick_server(rng: &mut Rng, j: usize, servers: u32) -> u32 {
    if (j as u32) < servers {
        return j as u32;
    }
    if rng.chance(0.5) {
        rng.skewed(servers as usize) as u32
    } else {
        rng.below(u64::from(servers)) as u32
    }
}

/// When machine `machine` is infected: from some time before or during the
/// period, for a log-uniform number of days. Machines on the watched
/// networks stay infected over the whole of a short period, as the small
/// world needs them to.
fn infection(
    world: &super::World,
    machine: u32,
    controller: Controller,
    traits: &Traits,
    zeek: bool,
) -> Infection {
    use super::{key, DAY_US};
    let plan = &world.plan;
    let mut rng = Rng::derive(plan.seed, &[key::INFECTION, u64::from(machine)]);
    let days = i64::from(plan.days);
    let longest = plan.infection_days.max(1) as i64;
    let (start, end) = if zeek && days <= 7 {
        let start = world.start_us + rng.below((DAY_US / 4) as u64) as i64;
        (start, world.end_us)
    } else {
        let lead = longest / 2 * DAY_US;
        let span = (lead + (days * DAY_US - DAY_US / 2)).max(1) as u64;
        let start = world.start_us - lead + rng.below(span) as i64;
        let length = rng.log_between((longest as u64 / 5).max(1), longest as u64) as i64;
        (start, start + length * DAY_US)
    };
    Infection {
        machine,
        controller,
        start,
        end,
        phase: rng.below((traits.period_s * 1e6) as u64) as i64,
    }
}
