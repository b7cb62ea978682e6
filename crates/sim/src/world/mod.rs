//! The world: who exists, where, and what they are up to. Built once from
//! the [`Plan`]; the day generators read it and never change it.
//!
//! Machines of the defended country sit either on the networks a Zeek and
//! Suricata sensor watches (every connection logged) or behind the border
//! routers whose NetFlow is sampled (1 in N packets). Most machines change
//! address now and then (DHCP); an address is derived from the machine and
//! its lease number, so nothing per lease is stored.

pub mod c2;
pub mod phish;
pub mod web;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_geo::CountryCode;

use crate::addr::Pool;
use crate::config::Plan;
use crate::rng::Rng;

/// Keys separating the derived random streams.
pub mod key {
    pub const MACHINE: u64 = 1;
    pub const ADDRESS: u64 = 2;
    pub const LEASE: u64 = 3;
    pub const SERVICES: u64 = 4;
    pub const BOTNETS: u64 = 5;
    pub const INFECTION: u64 = 6;
    pub const PHISHING: u64 = 7;
    pub const WEB: u64 = 8;
    pub const BACKGROUND: u64 = 9;
    pub const BEATS: u64 = 10;
    pub const SAMPLED: u64 = 11;
    pub const VISITS: u64 = 12;
    pub const SITE_DAY: u64 = 13;
    pub const ATTACKS: u64 = 14;
    pub const SCANS: u64 = 15;
    pub const POLLS: u64 = 16;
    pub const UID: u64 = 17;
    pub const FEEDS: u64 = 18;
    pub const COUNTRY: u64 = 19;
}

pub const DAY_US: i64 = 86_400_000_000;

/// One machine of the defended country.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    /// Days a DHCP lease lasts; 0 for a fixed address.
    pub lease_days: u8,
    /// Which NetFlow exporter sees it (machines off the Zeek networks).
    pub exporter: u8,
    /// Seconds into its lease cycle at the period's start.
    pub phase_s: u32,
    /// On the Zeek-watched networks.
    pub zeek: bool,
    /// Generates background traffic.
    pub background: bool,
}

/// A service machines use: a name and the addresses it resolves to.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: Arc<str>,
    pub ips: Vec<Ipv4Addr>,
    pub tls: bool,
}

/// Benign software checking in at a fixed period: as regular as an implant.
#[derive(Debug, Clone)]
pub struct Poller {
    pub service: usize,
    pub period_s: f64,
    pub udp_port: Option<u16>,
    /// Share of Zeek machines running it.
    pub share: f64,
}

pub struct World {
    pub plan: Plan,
    pub start_us: i64,
    pub end_us: i64,
    pub home: Pool,
    /// The Zeek-watched networks.
    pub monitored: Pool,
    pools: BTreeMap<CountryCode, Pool>,
    pub machines: Vec<Machine>,
    pub resolvers: Vec<Ipv4Addr>,
    pub services: Vec<Service>,
    /// Services hosted abroad, indices into `services`.
    pub foreign_services: Vec<usize>,
    pub pollers: Vec<Poller>,
    /// Addresses abroad that scan the watched networks.
    pub internet_scanners: Vec<Ipv4Addr>,
    pub servers: Vec<c2::Server>,
    pub flux: Vec<c2::FluxNet>,
    pub infections: Vec<c2::Infection>,
    pub phishing: phish::Phishing,
    pub web: web::Web,
}

impl World {
    pub fn build(plan: Plan) -> Result<World> {
        let start_us = plan
            .start
            .and_hms_opt(0, 0, 0)
            .context("start of the period")?
            .and_utc()
            .timestamp_micros();
        let end_us = start_us + i64::from(plan.days) * DAY_US;
        let home = Pool::country(plan.target)
            .with_context(|| format!("addresses of the target country {}", plan.target))?;
        let mut rng = Rng::derive(plan.seed, &[key::MACHINE]);
        let monitored = home.blocks(&mut rng, 4, 12);
        let mut world = World {
            start_us,
            end_us,
            home,
            monitored,
            pools: BTreeMap::new(),
            machines: Vec::new(),
            resolvers: Vec::new(),
            services: Vec::new(),
            foreign_services: Vec::new(),
            pollers: Vec::new(),
            internet_scanners: Vec::new(),
            servers: Vec::new(),
            flux: Vec::new(),
            infections: Vec::new(),
            phishing: phish::Phishing::default(),
            web: web::Web::default(),
            plan,
        };
        world.add_clean_machines();
        world.add_services()?;
        c2::build(&mut world)?;
        world.phishing = phish::build(&mut world)?;
        world.web = web::build(&mut world)?;
        Ok(world)
    }

    pub fn target(&self) -> CountryCode {
        self.plan.target
    }

    /// The address pool of a country (built on first use).
    pub fn pool(&mut self, country: CountryCode) -> Result<&Pool> {
        if country == self.plan.target {
            return Ok(&self.home);
        }
        if let std::collections::btree_map::Entry::Vacant(e) = self.pools.entry(country) {
            e.insert(Pool::country(country)?);
        }
        self.pools
            .get(&country)
            .context("pool inserted just before")
    }

    /// A fresh address in `country` (drawn, so rarely one already in use).
    pub fn draw(&mut self, country: CountryCode, rng: &mut Rng) -> Result<Ipv4Addr> {
        Ok(self.pool(country)?.draw(rng))
    }

    /// Adds a machine; returns its number.
    pub fn add_machine(&mut self, zeek: bool, background: bool) -> u32 {
        let n = self.machines.len() as u64;
        let mut rng = Rng::derive(self.plan.seed, &[key::MACHINE, n]);
        let static_share = if zeek {
            self.plan.static_share_zeek
        } else {
            self.plan.static_share_netflow
        };
        let (lo, hi) = self.plan.lease_days;
        let lease_days = if rng.chance(static_share) {
            0
        } else {
            rng.between(lo, hi).min(255) as u8
        };
        let phase_s = rng.below(u64::from(lease_days.max(1)) * 86_400) as u32;
        self.machines.push(Machine {
            lease_days,
            exporter: u8::from(rng.chance(0.4)),
            phase_s,
            zeek,
            background,
        });
        n as u32
    }

    fn add_clean_machines(&mut self) {
        for _ in 0..self.plan.zeek_machines {
            self.add_machine(true, true);
        }
        for _ in 0..self.plan.netflow_machines {
            self.add_machine(false, true);
        }
    }

    /// The address machine `m` holds at `t_us`.
    pub fn ip(&self, m: u32, t_us: i64) -> Ipv4Addr {
        let machine = self.machines[m as usize];
        let pool = if machine.zeek {
            &self.monitored
        } else {
            &self.home
        };
        let seed = self.plan.seed;
        if machine.lease_days == 0 {
            return pool.draw(&mut Rng::derive(seed, &[key::ADDRESS, u64::from(m)]));
        }
        let secs = (t_us - self.start_us).div_euclid(1_000_000) + i64::from(machine.phase_s);
        let lease = secs.div_euclid(i64::from(machine.lease_days) * 86_400);
        pool.draw(&mut Rng::derive(
            seed,
            &[key::LEASE, u64::from(m), lease as u64],
        ))
    }

    /// Services machines use in the background: popular names at home and
    /// abroad, the resolvers, and the periodic pollers.
    fn add_services(&mut self) -> Result<()> {
        let mut rng = Rng::derive(self.plan.seed, &[key::SERVICES]);
        let target = self.plan.target;
        for _ in 0..2 {
            let ip = self.monitored.draw(&mut rng);
            self.resolvers.push(ip);
        }
        for (name, country, tls) in SERVICES {
            let country = match *country {
                "" => target,
                cc => CountryCode::parse(cc).context("service country")?,
            };
            let n = 1 + rng.below(3) as usize;
            let mut ips = Vec::new();
            for _ in 0..n {
                ips.push(self.draw(country, &mut rng)?);
            }
            if country != target {
                self.foreign_services.push(self.services.len());
            }
            self.services.push(Service {
                name: Arc::from(*name),
                ips,
                tls: *tls,
            });
        }
        for country in ["US", "NL", "RU", "DE", "BR", "VN", "US", "KR"] {
            let cc = CountryCode::parse(country).context("scanner country")?;
            let ip = self.draw(cc, &mut rng)?;
            self.internet_scanners.push(ip);
        }
        for (name, period_s, udp_port, share) in POLLERS {
            let service = self
                .services
                .iter()
                .position(|s| &*s.name == *name)
                .with_context(|| format!("poller service {name}"))?;
            self.pollers.push(Poller {
                service,
                period_s: *period_s,
                udp_port: *udp_port,
                share: *share,
            });
        }
        Ok(())
    }
}

/// Popular services: name, hosting country ("" for the target), TLS.
const SERVICES: &[(&str, &str, bool)] = &[
    ("www.baidu.com", "", true),
    ("www.qq.com", "", true),
    ("www.taobao.com", "", true),
    ("www.jd.com", "", true),
    ("weibo.com", "", true),
    ("www.bilibili.com", "", true),
    ("www.zhihu.com", "", true),
    ("www.163.com", "", false),
    ("www.sina.com.cn", "", false),
    ("g.alicdn.com", "", true),
    ("img.alicdn.com", "", true),
    ("wx.qq.com", "", true),
    ("news.sohu.com", "", false),
    ("ntp.aliyun.com", "", false),
    ("dl.360safe.com", "", false),
    ("github.com", "US", true),
    ("www.apple.com", "US", true),
    ("www.microsoft.com", "US", true),
    ("login.microsoftonline.com", "US", true),
    ("www.bing.com", "US", true),
    ("cdn.jsdelivr.net", "US", true),
    ("api.steampowered.com", "US", true),
    ("www.amazon.com", "US", true),
    ("s3.amazonaws.com", "US", true),
    ("zoom.us", "US", true),
    ("www.nvidia.com", "US", true),
    ("www.linkedin.com", "US", true),
    ("www.tiktok.com", "SG", true),
    ("www.nintendo.co.jp", "JP", true),
    ("www.yahoo.co.jp", "JP", true),
    ("www.samsung.com", "KR", true),
    ("www.hkex.com.hk", "HK", true),
    ("www.sap.com", "DE", true),
    ("updates.teamviewer.com", "DE", true),
    ("swcdn.apple.com", "US", true),
    ("ctldl.windowsupdate.com", "US", false),
    ("pool.ntp.org", "DE", false),
];

/// Periodic benign software on the Zeek-watched machines: name, period,
/// UDP port (NTP) or TLS, share of machines.
const POLLERS: &[(&str, f64, Option<u16>, f64)] = &[
    ("ntp.aliyun.com", 1_024.0, Some(123), 0.15),
    ("pool.ntp.org", 1_024.0, Some(123), 0.1),
    ("updates.teamviewer.com", 3_600.0, None, 0.08),
    ("swcdn.apple.com", 7_200.0, None, 0.1),
    ("ctldl.windowsupdate.com", 14_400.0, None, 0.3),
];
