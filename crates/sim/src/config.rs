//! What to simulate: the command's options ([`Config`]) and the magnitudes
//! they imply ([`Plan`]).
//!
//! Three presets: `small` (the demo: three days, tens of thousands of rows),
//! `N` (the small world with N times the entities; the period stays), and
//! `article` (the magnitudes of CNCERT's published statement for March 19 to
//! May 18: 2,077 control servers in the U.S. directly controlling 1.18
//! million hosts in China; 135 U.S. hosts carrying 563 phishing pages that
//! led to about 14,000 phishing operations; 2,016 U.S. addresses that
//! implanted backdoors in 1,754 Chinese websites, with about 57,000 backdoor
//! attacks), with sampled NetFlow so that the whole pipeline fits one
//! machine. Other source countries add smaller shares in every preset.

use anyhow::{bail, Context, Result};
use borderscope_geo::CountryCode;
use chrono::NaiveDate;

use crate::world::c2::Family;

/// How big a world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Small,
    Article,
    /// The small world's entities multiplied by this.
    Times(f64),
}

impl std::str::FromStr for Scale {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Scale> {
        match s {
            "small" => Ok(Scale::Small),
            "article" => Ok(Scale::Article),
            n => {
                let x: f64 = n.parse().with_context(|| {
                    format!("scale {n:?} is not small, article or a multiplier such as 4")
                })?;
                if !(x.is_finite() && x > 0.0 && x <= 10_000.0) {
                    bail!("scale multiplier {n} must be above 0 and at most 10000");
                }
                Ok(Scale::Times(x))
            }
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scale::Small => f.write_str("small"),
            Scale::Article => f.write_str("article"),
            Scale::Times(x) => write!(f, "{x}"),
        }
    }
}

/// The options of `borderscope simulate`.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// The defended country.
    pub target: CountryCode,
    /// First and last day (inclusive, UTC); `None` takes the preset's.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub scale: Scale,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            target: CountryCode::parse("CN").unwrap_or_else(|| unreachable!()),
            from: None,
            to: None,
            scale: Scale::Small,
        }
    }
}

/// Control servers of one family in one source country and the machines
/// they infect, on each side of the telemetry.
#[derive(Debug, Clone)]
pub struct BotnetPlan {
    pub family: Family,
    /// Where the servers are; the target country itself for the decoy of a
    /// domestic controller, which is not cross-border.
    pub country: &'static str,
    pub servers: usize,
    /// Infected machines on the networks Zeek and Suricata watch.
    pub zeek_machines: usize,
    /// Infected machines that only the border's sampled NetFlow sees.
    pub netflow_machines: usize,
}

/// Phishing of target-country brands from one hosting country.
#[derive(Debug, Clone)]
pub struct PhishPlan {
    pub country: &'static str,
    /// Hosting addresses.
    pub hosts: usize,
    /// Pages (distinct URLs) the telemetry shows.
    pub pages: usize,
    /// Visits by clients of the target; each gives one to three operations.
    pub visits: usize,
}

/// Webshells planted in target-country websites from one country.
#[derive(Debug, Clone)]
pub struct BackdoorPlan {
    pub country: &'static str,
    /// Distinct addresses that implant.
    pub implanters: usize,
    pub websites: usize,
    /// Requests from this country that reach a backdoor.
    pub attacks: usize,
}

/// Every magnitude of one world.
#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub target: CountryCode,
    pub start: NaiveDate,
    pub days: u32,
    pub scale: Scale,
    /// Clean machines on the networks Zeek and Suricata watch (infected ones
    /// are added by the botnet plans).
    pub zeek_machines: usize,
    /// Clean machines whose traffic the sampled NetFlow shows.
    pub netflow_machines: usize,
    /// 1 in N packets, for the two exporters (IPFIX, NetFlow v9).
    pub sampling: [u32; 2],
    /// Share of machines with a fixed address; the others change address
    /// every `lease_days` days (DHCP churn).
    pub static_share_zeek: f64,
    pub static_share_netflow: f64,
    pub lease_days: (u64, u64),
    /// Background connections per Zeek machine a day.
    pub zeek_sessions: f64,
    /// Background records per NetFlow machine a day, after sampling.
    pub netflow_records: f64,
    /// Infections end after this many days at most (log-uniform from a
    /// fifth of it), starting before or during the period.
    pub infection_days: u64,
    pub botnets: Vec<BotnetPlan>,
    pub phishing: Vec<PhishPlan>,
    /// Decoy campaigns: foreign brands hosted abroad, target-country brands
    /// hosted at home (neither counts).
    pub phishing_decoys: usize,
    /// Websites with normal traffic only.
    pub clean_sites: usize,
    pub site_requests: f64,
    pub scanners: usize,
    pub backdoors: Vec<BackdoorPlan>,
    /// Webshells implanted from inside the target (not cross-border).
    pub domestic_backdoors: usize,
}

impl Plan {
    pub fn new(c: &Config) -> Result<Plan> {
        let mut plan = match c.scale {
            Scale::Small | Scale::Times(_) => small(c),
            Scale::Article => article(c),
        };
        if let Scale::Times(x) = c.scale {
            plan.multiply(x);
        }
        if let Some(from) = c.from {
            plan.start = from;
        }
        let end = match c.to {
            Some(to) => to,
            None => plan.end(),
        };
        if end < plan.start {
            bail!("--to {end} is before --from {}", plan.start);
        }
        plan.days = u32::try_from((end - plan.start).num_days() + 1).unwrap_or(u32::MAX);
        if plan.days > 3660 {
            bail!("a period of {} days is more than ten years", plan.days);
        }
        Ok(plan)
    }

    /// The last day (inclusive).
    pub fn end(&self) -> NaiveDate {
        self.start + chrono::Days::new(u64::from(self.days) - 1)
    }

    fn multiply(&mut self, x: f64) {
        let m = |n: &mut usize| *n = ((*n as f64) * x).round().max(1.0) as usize;
        m(&mut self.zeek_machines);
        m(&mut self.netflow_machines);
        m(&mut self.clean_sites);
        m(&mut self.scanners);
        m(&mut self.phishing_decoys);
        m(&mut self.domestic_backdoors);
        for b in &mut self.botnets {
            m(&mut b.servers);
            m(&mut b.zeek_machines);
            m(&mut b.netflow_machines);
        }
        for p in &mut self.phishing {
            m(&mut p.hosts);
            m(&mut p.pages);
            m(&mut p.visits);
        }
        for b in &mut self.backdoors {
            m(&mut b.implanters);
            m(&mut b.websites);
            m(&mut b.attacks);
        }
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn botnet(
    family: Family,
    country: &'static str,
    servers: usize,
    zeek_machines: usize,
    netflow_machines: usize,
) -> BotnetPlan {
    BotnetPlan {
        family,
        country,
        servers,
        zeek_machines,
        netflow_machines,
    }
}

/// Three days, every family and decoy at least once.
fn small(c: &Config) -> Plan {
    use Family::*;
    let home: &'static str = target_str(c.target);
    Plan {
        seed: c.seed,
        target: c.target,
        start: date(2025, 3, 19),
        days: 3,
        scale: c.scale,
        zeek_machines: 90,
        netflow_machines: 260,
        sampling: [256, 512],
        static_share_zeek: 0.7,
        static_share_netflow: 0.3,
        lease_days: (1, 4),
        zeek_sessions: 30.0,
        netflow_records: 12.0,
        infection_days: 20,
        botnets: vec![
            botnet(QakBot, "US", 2, 5, 8),
            botnet(QakBot, "DE", 1, 3, 4),
            botnet(Emotet, "RU", 1, 3, 5),
            botnet(Emotet, "NL", 1, 2, 3),
            botnet(IcedId, "US", 1, 3, 3),
            botnet(AsyncRat, "BR", 1, 3, 2),
            botnet(Gh0st, "HK", 1, 2, 2),
            botnet(Necurs, "RU", 1, 3, 2),
            botnet(SmokeLoader, "UA", 3, 3, 0),
            botnet(SmokeLoader, "RO", 2, 0, 0),
            botnet(SmokeLoader, "IN", 2, 0, 0),
            botnet(Andromeda, "KR", 1, 2, 2),
            botnet(CobaltStrike, "SG", 1, 1, 1),
            botnet(CobaltStrike, "US", 1, 1, 0),
            botnet(QakBot, home, 1, 2, 2),
        ],
        phishing: vec![
            PhishPlan {
                country: "US",
                hosts: 2,
                pages: 6,
                visits: 40,
            },
            PhishPlan {
                country: "RU",
                hosts: 1,
                pages: 3,
                visits: 20,
            },
            PhishPlan {
                country: "HK",
                hosts: 1,
                pages: 2,
                visits: 12,
            },
        ],
        phishing_decoys: 2,
        clean_sites: 8,
        site_requests: 60.0,
        scanners: 3,
        backdoors: vec![
            BackdoorPlan {
                country: "US",
                implanters: 3,
                websites: 2,
                attacks: 45,
            },
            BackdoorPlan {
                country: "NL",
                implanters: 1,
                websites: 2,
                attacks: 25,
            },
            BackdoorPlan {
                country: "KR",
                implanters: 1,
                websites: 1,
                attacks: 12,
            },
        ],
        domestic_backdoors: 1,
    }
}

/// The target's code as a `'static` string for the plans' country fields.
fn target_str(c: CountryCode) -> &'static str {
    // Plans are built a handful of times per run; leaking two bytes each
    // time keeps the plan types simple.
    Box::leak(c.as_str().to_string().into_boxed_str())
}

/// Sources besides the U.S. at the article scale, with their share of the
/// U.S. figures.
const ARTICLE_OTHERS: &[(&str, f64)] = &[
    ("RU", 0.06),
    ("DE", 0.04),
    ("NL", 0.04),
    ("HK", 0.04),
    ("SG", 0.03),
    ("JP", 0.03),
    ("KR", 0.02),
    ("GB", 0.02),
    ("FR", 0.02),
    ("BR", 0.015),
    ("IN", 0.015),
    ("UA", 0.01),
    ("VN", 0.01),
    ("CA", 0.01),
];

/// Family shares of the U.S. servers and of their NetFlow machines at the
/// article scale: most of the hosts belong to the big commodity botnets.
const ARTICLE_FAMILIES: &[(Family, f64, f64)] = &[
    (Family::QakBot, 0.24, 0.30),
    (Family::Emotet, 0.22, 0.30),
    (Family::IcedId, 0.12, 0.10),
    (Family::AsyncRat, 0.10, 0.08),
    (Family::Gh0st, 0.07, 0.06),
    (Family::Necurs, 0.05, 0.06),
    (Family::Andromeda, 0.05, 0.05),
    (Family::CobaltStrike, 0.11, 0.02),
    (Family::SmokeLoader, 0.04, 0.03),
];

/// U.S. servers and infected NetFlow machines at the article scale. The
/// machine count is what makes about 1.18 million distinct host addresses
/// show in the sampled flows over 61 days, given DHCP churn and sampling
/// (measured: see docs/simulator.md).
const ARTICLE_US_SERVERS: usize = 2_077;
const ARTICLE_US_MACHINES: usize = 420_000;
/// Infected machines on the Zeek-watched networks, over all sources.
const ARTICLE_ZEEK_INFECTED: usize = 60;

fn article(c: &Config) -> Plan {
    let home: &'static str = target_str(c.target);
    let mut botnets = Vec::new();
    let sources = std::iter::once(("US", 1.0)).chain(ARTICLE_OTHERS.iter().copied());
    for (country, share) in sources {
        let servers = ARTICLE_US_SERVERS as f64 * share;
        let machines = ARTICLE_US_MACHINES as f64 * share;
        for &(family, server_share, machine_share) in ARTICLE_FAMILIES {
            let s = (servers * server_share).round() as usize;
            if s == 0 {
                continue;
            }
            let zeek = if country == "US" {
                (ARTICLE_ZEEK_INFECTED as f64 * server_share).round() as usize
            } else {
                0
            };
            let nf = (machines * machine_share).round() as usize;
            botnets.push(botnet(family, country, s, zeek, nf));
        }
    }
    fix_total(&mut botnets, "US", ARTICLE_US_SERVERS);
    botnets.push(botnet(Family::Gh0st, home, 40, 4, 8_000));
    let mut phishing = vec![PhishPlan {
        country: "US",
        hosts: 135,
        pages: 563,
        visits: 5_600,
    }];
    let mut backdoors = vec![BackdoorPlan {
        country: "US",
        implanters: 2_016,
        websites: 1_754,
        attacks: 57_000,
    }];
    for &(country, share) in ARTICLE_OTHERS {
        let k = 4.0 * share;
        let n = |x: f64| (x * k).round().max(1.0) as usize;
        phishing.push(PhishPlan {
            country,
            hosts: n(135.0),
            pages: n(563.0),
            visits: n(5_600.0),
        });
        backdoors.push(BackdoorPlan {
            country,
            implanters: n(2_016.0),
            websites: n(1_754.0),
            attacks: n(57_000.0),
        });
    }
    Plan {
        seed: c.seed,
        target: c.target,
        start: date(2025, 3, 19),
        days: 61,
        scale: c.scale,
        zeek_machines: 1_500,
        netflow_machines: 120_000,
        sampling: [4096, 8192],
        static_share_zeek: 0.7,
        static_share_netflow: 0.3,
        lease_days: (1, 7),
        zeek_sessions: 20.0,
        netflow_records: 0.7,
        infection_days: 40,
        botnets,
        phishing,
        phishing_decoys: 60,
        clean_sites: 1_200,
        site_requests: 12.0,
        scanners: 120,
        backdoors,
        domestic_backdoors: 150,
    }
}

/// Rounding the family shares may miss the published server count by a
/// few: the biggest family of `country` takes the difference.
fn fix_total(botnets: &mut [BotnetPlan], country: &str, want: usize) {
    let have: usize = botnets
        .iter()
        .filter(|b| b.country == country)
        .map(|b| b.servers)
        .sum();
    if let Some(b) = botnets
        .iter_mut()
        .filter(|b| b.country == country)
        .max_by_key(|b| b.servers)
    {
        b.servers = (b.servers + want).saturating_sub(have);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse() {
        assert_eq!("small".parse::<Scale>().unwrap(), Scale::Small);
        assert_eq!("article".parse::<Scale>().unwrap(), Scale::Article);
        assert_eq!("2.5".parse::<Scale>().unwrap(), Scale::Times(2.5));
        for bad in ["0", "-1", "big", "NaN", "1e9"] {
            assert!(bad.parse::<Scale>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_article_plan_has_the_published_us_figures() {
        let plan = Plan::new(&Config {
            scale: Scale::Article,
            ..Config::default()
        })
        .unwrap();
        assert_eq!(plan.days, 61);
        assert_eq!(plan.end(), date(2025, 5, 18));
        let us_servers: usize = plan
            .botnets
            .iter()
            .filter(|b| b.country == "US")
            .map(|b| b.servers)
            .sum();
        assert_eq!(us_servers, 2_077);
        assert_eq!(plan.phishing[0].pages, 563);
        assert_eq!(plan.backdoors[0].websites, 1_754);
    }

    #[test]
    fn a_period_can_be_chosen_and_must_be_ordered() {
        let c = |from, to| Config {
            from: Some(from),
            to: Some(to),
            ..Config::default()
        };
        let plan = Plan::new(&c(date(2024, 1, 1), date(2024, 1, 10))).unwrap();
        assert_eq!(plan.days, 10);
        assert!(Plan::new(&c(date(2024, 1, 10), date(2024, 1, 1))).is_err());
    }
}
