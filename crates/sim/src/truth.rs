//! The ground truth, counted from the rows as they are written: an entity
//! the telemetry never shows (every flow of a host sampled away, a page no
//! log and no feed names) is not counted, because no report could count
//! it either.
//!
//! Definitions (cross-border: the source side is any country but the
//! target; all within the period; distinct by IP):
//! - `c2_servers`: control-server addresses outside the target with a flow
//!   record or IDS alert between them and a host in the target;
//!   `c2_hosts`: the target's addresses on the other end.
//! - `phishing_pages`: URLs of pages imitating a target-country brand,
//!   named by an HTTP request or the phishing feed, on a domain whose
//!   hosting address outside the target a DNS answer, HTTP request or TLS
//!   session shows; `phishing_hosts`: those addresses.
//! - `phishing_operations`: DNS look-ups, HTTP requests and TLS sessions by
//!   the target's clients naming those pages' domains (attributed to the
//!   country of the address the row resolved or reached).
//! - `backdoor_ips`: addresses outside the target that made the first
//!   request reaching a webshell (its upload, when shown, came from the
//!   same address) in a target website; `backdoor_websites`: those sites;
//!   `backdoor_attacks`: requests with a status below 400 to a webshell in
//!   a website hosted in the target, from addresses outside the target (by
//!   their country), whoever planted the webshell — the report's
//!   definition: an attack from abroad through a webshell planted from
//!   inside is still an attack from abroad.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use borderscope_geo::{CountryCode, GeoDb};
use serde::Serialize;

use crate::rows::Day;
use crate::world::World;

/// The figure keys, the same as the report's JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub c2_servers: u64,
    pub c2_hosts: u64,
    pub phishing_hosts: u64,
    pub phishing_pages: u64,
    pub phishing_operations: u64,
    pub backdoor_ips: u64,
    pub backdoor_websites: u64,
    pub backdoor_attacks: u64,
}

/// Per source country, the sets behind its figures.
#[derive(Debug, Default)]
struct Source {
    c2_servers: HashSet<Ipv4Addr>,
    c2_hosts: HashSet<Ipv4Addr>,
}

#[derive(Debug, Default)]
struct DomainSeen {
    /// Hosting addresses a row showed, by their country.
    hosts: BTreeMap<Ipv4Addr, CountryCode>,
    /// Operations by the target's clients, by the hosting country.
    ops: BTreeMap<CountryCode, u64>,
}

pub struct Truth {
    geo: GeoDb,
    target: CountryCode,
    start: i64,
    end: i64,
    /// Control servers, planted.
    servers: HashMap<Ipv4Addr, CountryCode>,
    c2: BTreeMap<CountryCode, Source>,
    all_hosts: HashSet<Ipv4Addr>,
    /// Phishing: domain → campaign's brand country; URL → shown.
    domains: HashMap<Arc<str>, CountryCode>,
    domains_seen: HashMap<Arc<str>, DomainSeen>,
    pages: HashMap<String, (Arc<str>, bool)>,
    /// Webshells: (site, path) → first user.
    shells: HashMap<(Arc<str>, Arc<str>), Option<Ipv4Addr>>,
    site_country: HashMap<Arc<str>, Option<CountryCode>>,
    /// Requests reaching a webshell, per site and client country.
    attacks: HashMap<Arc<str>, BTreeMap<CountryCode, u64>>,
}

impl Truth {
    pub fn new(world: &World) -> Truth {
        let mut t = Truth {
            geo: GeoDb::builtin(),
            target: world.target(),
            start: world.start_us,
            end: world.end_us,
            servers: HashMap::new(),
            c2: BTreeMap::new(),
            all_hosts: HashSet::new(),
            domains: HashMap::new(),
            domains_seen: HashMap::new(),
            pages: HashMap::new(),
            shells: HashMap::new(),
            site_country: HashMap::new(),
            attacks: HashMap::new(),
        };
        for s in &world.servers {
            t.servers.insert(s.ip, s.country);
        }
        let ph = &world.phishing;
        for d in &ph.domains {
            t.domains
                .insert(d.name.clone(), ph.campaigns[d.campaign].brand_country);
        }
        for p in &ph.pages {
            let domain = ph.domains[p.domain].name.clone();
            t.pages.insert(p.url.clone(), (domain, false));
        }
        for b in &world.web.backdoors {
            let site = world.web.sites[b.site].name.clone();
            t.shells.insert((site.clone(), b.path.clone()), None);
        }
        for s in &world.web.sites {
            t.site_country
                .insert(s.name.clone(), t.geo.country(s.ip.into()));
        }
        t
    }

    fn country(&self, ip: Ipv4Addr) -> Option<CountryCode> {
        self.geo.country(ip.into())
    }

    fn in_target(&self, ip: Ipv4Addr) -> bool {
        self.country(ip) == Some(self.target)
    }

    fn in_period(&self, us: i64) -> bool {
        us >= self.start && us < self.end
    }

    /// A flow or alert between `a` and `b`.
    fn link(&mut self, a: Ipv4Addr, b: Ipv4Addr) {
        for (host, server) in [(a, b), (b, a)] {
            let Some(&country) = self.servers.get(&server) else {
                continue;
            };
            if country == self.target || !self.in_target(host) {
                continue;
            }
            let source = self.c2.entry(country).or_default();
            source.c2_servers.insert(server);
            source.c2_hosts.insert(host);
            self.all_hosts.insert(host);
        }
    }

    /// A row naming phishing domain `name`, by `client`, resolved to or
    /// reaching `host`.
    fn phishing_row(&mut self, name: &str, client: Ipv4Addr, host: Ipv4Addr) {
        if !self.domains.contains_key(name) {
            return;
        }
        let Some(country) = self.country(host) else {
            return;
        };
        let client_home = self.in_target(client);
        let key: Arc<str> = Arc::from(name);
        let seen = self.domains_seen.entry(key).or_default();
        seen.hosts.insert(host, country);
        if client_home {
            *seen.ops.entry(country).or_default() += 1;
        }
    }

    /// Looks at every row of a day, as written.
    pub fn observe(&mut self, day: &Day) {
        let (start, end) = (self.start, self.end);
        let in_period = move |us: i64| us >= start && us < end;
        for c in &day.conn {
            if self.in_period(c.ts) {
                self.link(c.orig, c.resp);
            }
        }
        for a in &day.alerts {
            if self.in_period(a.ts) {
                self.link(a.src, a.dst);
            }
        }
        for r in &day.records {
            if self.in_period(r.start_ms * 1000) {
                self.link(r.src, r.dst);
            }
        }
        for d in day.dns.iter().filter(|d| in_period(d.ts)) {
            for &a in &d.answers {
                self.phishing_row(&d.query, d.client, a);
            }
        }
        for h in day.http.iter().filter(|h| in_period(h.ts)) {
            self.phishing_row(&h.host, h.client, h.server);
            let url = format!("http://{}{}", h.host, h.uri);
            if let Some(page) = self.pages.get_mut(&url) {
                page.1 = true;
            }
        }
        for s in day.ssl.iter().filter(|s| in_period(s.ts)) {
            if let Some(sni) = &s.sni {
                self.phishing_row(sni, s.client, s.server);
            }
        }
        for w in day.web.iter().filter(|w| in_period(w.ts)) {
            self.web_row(w);
        }
    }

    fn web_row(&mut self, w: &crate::rows::Web) {
        if w.status >= 400 {
            return;
        }
        let key = (w.site.clone(), w.stem.clone());
        let Some(first) = self.shells.get_mut(&key) else {
            return;
        };
        first.get_or_insert(w.client);
        if let Some(country) = self.country(w.client).filter(|&c| c != self.target) {
            *self
                .attacks
                .entry(w.site.clone())
                .or_default()
                .entry(country)
                .or_default() += 1;
        }
    }

    /// Whether the figures count control server `ip`.
    pub fn server_counted(&self, ip: Ipv4Addr) -> bool {
        self.c2.values().any(|s| s.c2_servers.contains(&ip))
    }

    /// Whether the figures count the page at `url` (whose domain imitates
    /// a brand of `brand_country`).
    pub fn page_counted(&self, url: &str) -> bool {
        let Some((domain, shown)) = self.pages.get(url) else {
            return false;
        };
        let brand_home = self.domains.get(domain) == Some(&self.target);
        let abroad = self
            .domains_seen
            .get(domain)
            .is_some_and(|d| d.hosts.values().any(|&c| c != self.target));
        *shown && brand_home && abroad
    }

    /// The address the figures count as the implanter of the webshell at
    /// `site` and `path`, if they count it.
    pub fn implanter_counted(&self, site: &Arc<str>, path: &Arc<str>) -> Option<Ipv4Addr> {
        let ip = (*self.shells.get(&(site.clone(), path.clone()))?)?;
        let home_site = self.site_country.get(site).copied().flatten() == Some(self.target);
        let foreign = self.country(ip).is_some_and(|c| c != self.target);
        (home_site && foreign).then_some(ip)
    }

    /// A page listed in the phishing feed (within the period).
    pub fn listed(&mut self, url: &str) {
        if let Some(page) = self.pages.get_mut(url) {
            page.1 = true;
        }
    }

    /// The figures, in total and per source country.
    pub fn figures(&self) -> (Figures, BTreeMap<CountryCode, Figures>) {
        let mut by: BTreeMap<CountryCode, Figures> = BTreeMap::new();
        let mut total = Figures::default();
        for (&cc, s) in &self.c2 {
            let f = by.entry(cc).or_default();
            f.c2_servers = s.c2_servers.len() as u64;
            f.c2_hosts = s.c2_hosts.len() as u64;
            total.c2_servers += f.c2_servers;
        }
        total.c2_hosts = self.all_hosts.len() as u64;
        self.phishing_figures(&mut total, &mut by);
        self.backdoor_figures(&mut total, &mut by);
        (total, by)
    }

    fn phishing_figures(&self, total: &mut Figures, by: &mut BTreeMap<CountryCode, Figures>) {
        // Pages shown, per domain.
        let mut shown: HashMap<&str, u64> = HashMap::new();
        for (domain, seen) in self.pages.values() {
            if *seen {
                *shown.entry(domain).or_default() += 1;
            }
        }
        let mut hosts: HashSet<Ipv4Addr> = HashSet::new();
        for (domain, seen) in &self.domains_seen {
            let brand = self.domains.get(domain).copied();
            let pages = shown.get(&**domain).copied().unwrap_or(0);
            if brand != Some(self.target) || pages == 0 {
                continue;
            }
            let abroad: BTreeMap<CountryCode, Vec<Ipv4Addr>> = seen
                .hosts
                .iter()
                .filter(|(_, c)| **c != self.target)
                .fold(BTreeMap::new(), |mut m, (&ip, &c)| {
                    m.entry(c).or_default().push(ip);
                    m
                });
            if abroad.is_empty() {
                continue;
            }
            total.phishing_pages += pages;
            for (&cc, ips) in &abroad {
                let f = by.entry(cc).or_default();
                f.phishing_pages += pages;
                f.phishing_operations += seen.ops.get(&cc).copied().unwrap_or(0);
                total.phishing_operations += seen.ops.get(&cc).copied().unwrap_or(0);
                hosts.extend(ips);
            }
        }
        total.phishing_hosts = hosts.len() as u64;
        let mut per: BTreeMap<CountryCode, HashSet<Ipv4Addr>> = BTreeMap::new();
        for ip in hosts {
            if let Some(cc) = self.country(ip) {
                per.entry(cc).or_default().insert(ip);
            }
        }
        for (cc, ips) in per {
            by.entry(cc).or_default().phishing_hosts = ips.len() as u64;
        }
    }

    fn backdoor_figures(&self, total: &mut Figures, by: &mut BTreeMap<CountryCode, Figures>) {
        let mut ips: BTreeMap<CountryCode, HashSet<Ipv4Addr>> = BTreeMap::new();
        let mut sites: BTreeMap<CountryCode, HashSet<&Arc<str>>> = BTreeMap::new();
        let mut all_ips = HashSet::new();
        let mut all_sites = HashSet::new();
        for ((site, _), first) in &self.shells {
            let Some(ip) = *first else { continue };
            let home_site = self.site_country.get(site).copied().flatten() == Some(self.target);
            let Some(cc) = self.country(ip).filter(|&c| c != self.target) else {
                continue;
            };
            if !home_site {
                continue;
            }
            ips.entry(cc).or_default().insert(ip);
            sites.entry(cc).or_default().insert(site);
            all_ips.insert(ip);
            all_sites.insert(site);
        }
        for (cc, set) in &ips {
            by.entry(*cc).or_default().backdoor_ips = set.len() as u64;
        }
        for (cc, set) in &sites {
            by.entry(*cc).or_default().backdoor_websites = set.len() as u64;
        }
        total.backdoor_ips = all_ips.len() as u64;
        total.backdoor_websites = all_sites.len() as u64;
        for (site, per_country) in &self.attacks {
            if self.site_country.get(site).copied().flatten() != Some(self.target) {
                continue;
            }
            for (&cc, &n) in per_country {
                by.entry(cc).or_default().backdoor_attacks += n;
                total.backdoor_attacks += n;
            }
        }
    }
}
