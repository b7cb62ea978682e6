//! Phishing: campaigns against brands of the defended country (from the
//! phishing crate's brand registry), on lookalike and combosquat domains
//! hosted abroad, with pages some of which a PhishTank-style feed lists,
//! and visits by the country's clients.
//!
//! Decoys that must not count: campaigns against foreign brands, and
//! campaigns against the country's brands hosted inside it.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_geo::CountryCode;
use borderscope_phish::brands::Registry;

use super::{key, World, DAY_US};
use crate::rng::Rng;

/// One campaign: a brand, where it is hosted, when it runs.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub brand: String,
    /// The name a feed gives the brand (PhishTank `target`).
    pub alias: String,
    pub brand_country: CountryCode,
    pub country: CountryCode,
    pub start: i64,
    pub end: i64,
    /// Not counted: a foreign brand, or hosted in the target.
    pub decoy: bool,
}

#[derive(Debug, Clone)]
pub struct Domain {
    pub name: Arc<str>,
    pub host: Ipv4Addr,
    pub campaign: usize,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub url: String,
    pub domain: usize,
    pub https: bool,
    /// Path and query, as an HTTP request names it.
    pub uri: String,
    /// In the PhishTank feed.
    pub listed: bool,
    /// Visits planned.
    pub visits: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Phishing {
    pub campaigns: Vec<Campaign>,
    pub domains: Vec<Domain>,
    pub pages: Vec<Page>,
    /// Why no campaign could be planted, when none was.
    pub note: Option<String>,
}

const WORDS: &[&str] = &[
    "login", "secure", "verify", "account", "service", "online", "update", "pay", "auth", "safe",
    "vip", "kefu", "denglu", "zhifu", "help", "center",
];
const TLDS: &[&str] = &[
    "com", "net", "top", "xyz", "cc", "vip", "shop", "online", "info", "site",
];
const PATHS: &[&str] = &[
    "/",
    "/login.html",
    "/index.php",
    "/m/login.php",
    "/verify/account.html",
    "/cn/index.html",
    "/secure/login.aspx",
    "/user/login",
    "/pay/confirm.php",
    "/mobile/",
];
/// Brands impersonated by the decoy campaigns against other countries.
const FOREIGN_BRANDS: &[&str] = &["PayPal", "Microsoft", "Apple", "Netflix", "DHL"];

pub fn build(world: &mut World) -> Result<Phishing> {
    let registry = Registry::builtin();
    let target = world.target();
    let home_brands: Vec<_> = registry
        .brands()
        .iter()
        .filter(|b| b.country == target.as_str())
        .cloned()
        .collect();
    let mut out = Phishing::default();
    if home_brands.is_empty() {
        out.note = Some(format!(
            "no brand of {target} in the brand registry: no phishing campaign planted"
        ));
        return Ok(out);
    }
    let mut rng = Rng::derive(world.plan.seed, &[key::PHISHING]);
    let mut urls = BTreeSet::new();
    let plans = world.plan.phishing.clone();
    for plan in &plans {
        let country = CountryCode::parse(plan.country).context("phishing country")?;
        let brands: Vec<_> = home_brands.iter().collect();
        let counts = Counts {
            hosts: plan.hosts,
            pages: plan.pages,
            visits: plan.visits,
        };
        plant(
            world, &mut out, &mut rng, &mut urls, country, &brands, counts, false,
        )?;
    }
    for d in 0..world.plan.phishing_decoys {
        let counts = Counts {
            hosts: 1,
            pages: 3,
            visits: 10,
        };
        if d % 2 == 0 {
            let name = FOREIGN_BRANDS[(d / 2) % FOREIGN_BRANDS.len()];
            let Some(brand) = registry.brands().iter().find(|b| b.name == name) else {
                continue;
            };
            let country = *rng.pick(&["NL", "US", "DE", "RU"]);
            let country = CountryCode::parse(country).context("decoy country")?;
            plant(
                world,
                &mut out,
                &mut rng,
                &mut urls,
                country,
                &[brand],
                counts,
                true,
            )?;
        } else {
            let brands: Vec<_> = home_brands.iter().collect();
            plant(
                world, &mut out, &mut rng, &mut urls, target, &brands, counts, true,
            )?;
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy)]
struct Counts {
    hosts: usize,
    pages: usize,
    visits: usize,
}

/// Plants hosts, domains and pages so that exactly `counts.pages` URLs get
/// shown (every page is visited once at least; pages served over HTTPS,
/// whose path no sensor sees, are listed in the feed), plus a few more
/// HTTPS pages the feed misses, which the telemetry never names.
#[allow(clippy::too_many_arguments)]
fn plant(
    world: &mut World,
    out: &mut Phishing,
    rng: &mut Rng,
    urls: &mut BTreeSet<String>,
    country: CountryCode,
    brands: &[&borderscope_phish::brands::Brand],
    counts: Counts,
    decoy: bool,
) -> Result<()> {
    let pages = counts.pages.max(1);
    let hosts = counts.hosts.clamp(1, pages);
    let domains = pages.div_ceil(3).clamp(hosts, pages);
    let campaigns = domains.div_ceil(3);
    let host_ips: Vec<Ipv4Addr> = (0..hosts)
        .map(|_| world.draw(country, rng))
        .collect::<Result<_>>()?;
    let first_campaign = out.campaigns.len();
    for _ in 0..campaigns {
        let brand = *rng.pick(brands);
        let (start, end) = window(world, rng);
        out.campaigns.push(Campaign {
            brand: brand.name.clone(),
            alias: brand
                .aliases
                .first()
                .cloned()
                .unwrap_or_else(|| brand.name.clone()),
            brand_country: CountryCode::parse(&brand.country).unwrap_or(country),
            country,
            start,
            end,
            decoy,
        });
    }
    let first_domain = out.domains.len();
    for d in 0..domains {
        let campaign = first_campaign + d % campaigns;
        let brand = brands
            .iter()
            .find(|b| b.name == out.campaigns[campaign].brand)
            .context("campaign brand")?;
        let name = loop {
            let n = lookalike(rng, brand);
            if !out.domains.iter().any(|x| *x.name == *n) {
                break n;
            }
        };
        out.domains.push(Domain {
            name: Arc::from(name),
            host: host_ips[d % hosts],
            campaign,
        });
    }
    let extra = (pages / 10).max(usize::from(!decoy));
    for p in 0..pages + extra {
        let domain = first_domain + p % domains;
        let hidden = p >= pages;
        let https = hidden || rng.chance(0.5);
        let uri = loop {
            let uri = page_uri(rng);
            let url = format!(
                "{}://{}{uri}",
                if https { "https" } else { "http" },
                out.domains[domain].name
            );
            if urls.insert(url) {
                break uri;
            }
        };
        let scheme = if https { "https" } else { "http" };
        out.pages.push(Page {
            url: format!("{scheme}://{}{uri}", out.domains[domain].name),
            domain,
            https,
            uri,
            listed: !hidden && (https || rng.chance(0.5)),
            visits: 1,
        });
    }
    let first_page = out.pages.len() - (pages + extra);
    let spare = counts.visits.saturating_sub(pages + extra);
    for _ in 0..spare {
        let p = first_page + rng.skewed(pages + extra);
        out.pages[p].visits += 1;
    }
    Ok(())
}

/// A campaign's active window: a few days, inside the period.
fn window(world: &World, rng: &mut Rng) -> (i64, i64) {
    let days = i64::from(world.plan.days);
    let length = (rng.between(2, 12) as i64).min(days) * DAY_US;
    let latest = (days * DAY_US - length).max(0);
    let start = world.start_us + rng.below(latest as u64 + 1) as i64;
    (start, (start + length).min(world.end_us))
}

/// A domain imitating `brand`: its keyword with phishing words, a typo of
/// it, or its own domain in front of a foreign one.
fn lookalike(rng: &mut Rng, brand: &borderscope_phish::brands::Brand) -> String {
    let terms: Vec<&String> = brand.keywords.iter().chain(&brand.words).collect();
    let term = terms
        .get(rng.index(terms.len().max(1)))
        .map(|t| t.as_str())
        .unwrap_or("secure");
    let word = *rng.pick(WORDS);
    let tld = *rng.pick(TLDS);
    let n = rng.below(100);
    match rng.below(6) {
        0 => format!("{term}-{word}.{tld}"),
        1 => format!("{word}-{term}.{tld}"),
        2 => format!("{term}{word}{n}.{tld}"),
        3 if term.len() >= 5 => format!("{}.{tld}", typo(rng, term)),
        4 => {
            let own = brand.domains.first().map(String::as_str).unwrap_or(term);
            format!("www.{own}.{word}{n}.{tld}")
        }
        _ => format!("{term}-{word}-{n}.{tld}"),
    }
}

/// A letter doubled, dropped or swapped with its neighbour (never the first).
fn typo(rng: &mut Rng, term: &str) -> String {
    let mut c: Vec<char> = term.chars().collect();
    let i = 1 + rng.index(c.len() - 1);
    match rng.below(3) {
        0 => c.insert(i, c[i]),
        1 => {
            c.remove(i);
        }
        _ if i + 1 < c.len() => c.swap(i, i + 1),
        _ => c.swap(i - 1, i),
    }
    c.into_iter().collect()
}

fn page_uri(rng: &mut Rng) -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let token: String = (0..6).map(|_| char::from(*rng.pick(ALNUM))).collect();
    match rng.below(4) {
        0 => format!("/{token}/"),
        1 => format!("/{token}{}", rng.pick(PATHS)),
        2 => format!("/update.php?id={}", rng.between(1000, 99_999)),
        _ => rng.pick(PATHS).to_string(),
    }
}
