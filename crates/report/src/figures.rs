//! The three statements' figures: what each counts, and the SQL that counts
//! it. Every function here only writes SQL; `build` runs it.

use crate::period::Period;
use crate::sides::Sides;

/// A figure of the report: its JSON key, the findings tables it reads, and
/// what it counts (also printed in the report's methodology section and in
/// docs/methodology.md).
pub struct FigureDef {
    pub key: &'static str,
    pub family: Family,
    pub definition: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    C2,
    Phishing,
    Backdoor,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::C2, Family::Phishing, Family::Backdoor];

    pub fn name(self) -> &'static str {
        match self {
            Family::C2 => "c2",
            Family::Phishing => "phishing",
            Family::Backdoor => "backdoor",
        }
    }

    /// Findings tables the family's figures need, and the command that writes them.
    pub fn tables(self) -> (&'static [&'static str], &'static str) {
        match self {
            Family::C2 => (&["c2_control", "c2_servers"], "borderscope detect c2"),
            Family::Phishing => (&["phish_pages", "phish_ops"], "borderscope detect phishing"),
            Family::Backdoor => (
                &["backdoor_implanters", "backdoor_attacks", "backdoors"],
                "borderscope detect backdoor",
            ),
        }
    }
}

pub const FIGURES: [FigureDef; 8] = [
    FigureDef {
        key: "c2_servers",
        family: Family::C2,
        definition: "Trojan or botnet control servers: distinct server IP addresses on the source side that have a row in c2_control (a control relation borderscope detected from its evidence) with a host on the target side, whose activity span [first_seen, last_seen] overlaps the period.",
    },
    FigureDef {
        key: "c2_hosts",
        family: Family::C2,
        definition: "Controlled hosts: distinct host IP addresses on the target side in those c2_control rows. A machine that changed address (DHCP) counts once per address, as published figures count.",
    },
    FigureDef {
        key: "phishing_hosts",
        family: Family::Phishing,
        definition: "Phishing hosts: distinct hosting IP addresses on the source side of phish_pages rows whose impersonated brand is registered to the target country and whose span overlaps the period. Pages with no known hosting address are not attributed to any country.",
    },
    FigureDef {
        key: "phishing_pages",
        family: Family::Phishing,
        definition: "Phishing pages: distinct URLs among those phish_pages rows (a bare domain seen only in DNS, TLS or Certificate Transparency counts as one page).",
    },
    FigureDef {
        key: "phishing_operations",
        family: Family::Phishing,
        definition: "Phishing operations: phish_ops rows inside the period (one DNS look-up, HTTP request or TLS session) by a client on the target side to a page or domain impersonating a target-country brand, reaching a hosting address on the source side.",
    },
    FigureDef {
        key: "backdoor_ips",
        family: Family::Backdoor,
        definition: "Backdoor implanters: distinct IP addresses on the source side that backdoor_implanters names (the address that uploaded the backdoor, or first used it) for a website on the target side, with the implant inside the period.",
    },
    FigureDef {
        key: "backdoor_websites",
        family: Family::Backdoor,
        definition: "Backdoored websites: distinct sites (host names; an address where a request named none) in those rows. A site is on the target side when its name is under a constituency domain or a target-country brand's domain, or a server address it was seen on is on the target side.",
    },
    FigureDef {
        key: "backdoor_attacks",
        family: Family::Backdoor,
        definition: "Backdoor attacks: backdoor_attacks rows inside the period (requests that reached a backdoor script, not scans that got 404) against target-side websites from source-side addresses.",
    },
];

/// Terms of the methodology that are not figures.
pub const TERMS: [(&str, &str); 4] = [
    ("period", "Whole UTC days from --from to --to, both included. Event times are compared in UTC."),
    ("target side", "Addresses that geolocate to the target country or lie in the constituency's networks, and private or reserved addresses unless the constituency file sets reserved = false; websites under the constituency's or the target country's brands' domains."),
    ("source side", "Public addresses that are not on the target side (private and reserved addresses have no country), counted under the country they geolocate to (ZZ when the geolocation data has none); with --source, only that country."),
    ("geolocation", "The geolocation databases given to this run (MaxMind-format files first, then the built-in registry delegation table), as of the run: the report lists them; a re-run with other databases can attribute differently."),
];

/// Most rows of a "listed" table (every counted server, page or implanter):
/// enough for the published magnitudes, bounded for the HTML and STIX forms.
pub const LISTED: usize = 100_000;

/// The SQL behind every figure, table and chart of one request.
pub struct Queries<'a> {
    pub sides: &'a Sides,
    pub period: &'a Period,
}

impl Queries<'_> {
    // ---- control servers -------------------------------------------------

    /// `FROM ... WHERE` of the control relations the figures count.
    fn control(&self) -> String {
        let (s, p) = (self.sides, self.period);
        format!(
            "FROM c2_control WHERE {} AND {} AND {}",
            p.overlaps_sql("first_seen", "last_seen"),
            s.in_target("host"),
            s.in_source("server")
        )
    }

    pub fn c2_figures(&self) -> String {
        format!(
            "SELECT count(DISTINCT server) AS c2_servers, count(DISTINCT host) AS c2_hosts {}",
            self.control()
        )
    }

    pub fn c2_by_source(&self) -> String {
        format!(
            "SELECT {} AS source, count(DISTINCT server) AS c2_servers, count(DISTINCT host) AS c2_hosts {} GROUP BY 1",
            self.sides.source_country("server"),
            self.control()
        )
    }

    pub fn c2_top_servers(&self) -> String {
        format!(
            "WITH pairs AS (SELECT server, host, flows, first_seen, last_seen {}) \
             SELECT p.server, ip_country(p.server) AS country, ip_asn(p.server) AS asn, \
                    ip_asn_org(p.server) AS as_org, count(DISTINCT p.host) AS hosts, sum(p.flows) AS flows, \
                    min(p.first_seen) AS first_seen, max(p.last_seen) AS last_seen, \
                    max(s.family) AS family, max(array_to_string(s.evidence, ' ')) AS evidence, \
                    max(array_to_string(s.domains, ' ')) AS domains \
             FROM pairs p LEFT JOIN c2_servers s ON s.ip = p.server \
             GROUP BY p.server ORDER BY hosts DESC, flows DESC, p.server LIMIT 25",
            self.control()
        )
    }

    pub fn c2_top_hosts(&self) -> String {
        format!(
            "SELECT host, count(DISTINCT server) AS servers, sum(flows) AS flows, \
                    min(first_seen) AS first_seen, max(last_seen) AS last_seen, \
                    round(max(score), 3) AS score \
             {} GROUP BY host ORDER BY servers DESC, flows DESC, host LIMIT 25",
            self.control()
        )
    }

    pub fn c2_families(&self) -> String {
        format!(
            "SELECT coalesce(family, 'unknown') AS family, count(DISTINCT server) AS servers, \
                    count(DISTINCT host) AS hosts {} GROUP BY 1 ORDER BY hosts DESC, family",
            self.control()
        )
    }

    pub fn c2_evidence_kinds(&self) -> String {
        format!(
            "SELECT kind, count(*) AS pairs FROM (SELECT unnest(evidence) AS kind {}) \
             GROUP BY kind ORDER BY pairs DESC, kind",
            self.control()
        )
    }

    /// Days on which a counted pair exchanged flows.
    pub fn c2_daily(&self) -> String {
        format!(
            "WITH pairs AS (SELECT DISTINCT server, host {}) \
             SELECT CAST(date_trunc('day', f.ts) AS DATE) AS day, count(DISTINCT p.server) AS servers, \
                    count(DISTINCT p.host) AS hosts, count(*) AS flows \
             FROM flows f JOIN pairs p ON f.src_ip = p.host AND f.dst_ip = p.server \
             WHERE {} GROUP BY 1 ORDER BY 1",
            self.control(),
            self.period.contains_sql("f.ts")
        )
    }

    /// Hosts controlled, by server country and host country, over every
    /// pair in the period (not only the target's).
    pub fn c2_matrix(&self) -> String {
        let s = self.sides;
        format!(
            "SELECT {} AS source, {} AS target, count(DISTINCT host) AS hosts, \
                    count(DISTINCT server) AS servers \
             FROM c2_control WHERE {} AND NOT coalesce(ip_is_reserved(server), true) \
             GROUP BY 1, 2 ORDER BY hosts DESC, source, target",
            s.source_country("server"),
            s.country_of("host"),
            self.period.overlaps_sql("first_seen", "last_seen")
        )
    }

    /// Every counted server (the STIX bundle's control infrastructure).
    pub fn c2_listed(&self) -> String {
        format!(
            "SELECT server AS ip, ip_country(server) AS country, count(DISTINCT host) AS hosts, \
                    min(first_seen) AS first_seen, max(last_seen) AS last_seen, max(family) AS family \
             {} GROUP BY server ORDER BY hosts DESC, server LIMIT {LISTED}",
            self.control()
        )
    }

    // ---- phishing ---------------------------------------------------------

    fn pages(&self) -> String {
        let (s, p) = (self.sides, self.period);
        format!(
            "FROM phish_pages WHERE brand_country = '{}' AND hosting_ip IS NOT NULL AND {} AND {}",
            s.target,
            p.overlaps_sql("first_seen", "last_seen"),
            s.in_source("hosting_ip")
        )
    }

    fn operations(&self) -> String {
        let (s, p) = (self.sides, self.period);
        format!(
            "FROM phish_ops WHERE brand_country = '{}' AND {} AND {} AND {}",
            s.target,
            p.contains_sql("ts"),
            s.in_target("client_ip"),
            s.in_source("hosting_ip")
        )
    }

    pub fn phishing_figures(&self) -> String {
        format!(
            "SELECT (SELECT count(DISTINCT hosting_ip) {pages}) AS phishing_hosts, \
                    (SELECT count(DISTINCT url) {pages}) AS phishing_pages, \
                    (SELECT count(*) {ops}) AS phishing_operations",
            pages = self.pages(),
            ops = self.operations()
        )
    }

    pub fn phishing_pages_by_source(&self) -> String {
        format!(
            "SELECT {} AS source, count(DISTINCT hosting_ip) AS phishing_hosts, \
                    count(DISTINCT url) AS phishing_pages {} GROUP BY 1",
            self.sides.source_country("hosting_ip"),
            self.pages()
        )
    }

    pub fn phishing_ops_by_source(&self) -> String {
        format!(
            "SELECT {} AS source, count(*) AS phishing_operations {} GROUP BY 1",
            self.sides.source_country("hosting_ip"),
            self.operations()
        )
    }

    /// Every counted page and hosting address.
    pub fn phishing_listed(&self) -> String {
        format!(
            "SELECT url, domain, hosting_ip AS ip, ip_country(hosting_ip) AS country, brand, \
                    min(first_seen) AS first_seen, max(last_seen) AS last_seen \
             {} GROUP BY url, domain, hosting_ip, brand ORDER BY url, hosting_ip LIMIT {LISTED}",
            self.pages()
        )
    }

    pub fn phishing_brands(&self) -> String {
        format!(
            "SELECT brand, count(DISTINCT url) AS pages, count(DISTINCT hosting_ip) AS hosts, \
                    count(DISTINCT domain) AS domains {} GROUP BY brand ORDER BY pages DESC, brand",
            self.pages()
        )
    }

    pub fn phishing_top_hosts(&self) -> String {
        format!(
            "SELECT hosting_ip, ip_country(hosting_ip) AS country, ip_asn_org(hosting_ip) AS as_org, \
                    count(DISTINCT url) AS pages, count(DISTINCT domain) AS domains, \
                    array_to_string(array_sort(array_agg(DISTINCT brand)), ' ') AS brands, \
                    min(first_seen) AS first_seen, max(last_seen) AS last_seen \
             {} GROUP BY hosting_ip ORDER BY pages DESC, hosting_ip LIMIT 25",
            self.pages()
        )
    }

    pub fn phishing_top_pages(&self) -> String {
        format!(
            "SELECT url, brand, hosting_ip, ip_country(hosting_ip) AS country, round(score, 3) AS score, \
                    first_seen, last_seen, array_to_string(reasons, '; ') AS reasons \
             {} ORDER BY score DESC, url, hosting_ip LIMIT 25",
            self.pages()
        )
    }

    pub fn phishing_ops_by_kind(&self) -> String {
        format!(
            "SELECT kind, count(*) AS operations, count(DISTINCT client_ip) AS clients, \
                    count(DISTINCT domain) AS domains {} GROUP BY kind ORDER BY operations DESC, kind",
            self.operations()
        )
    }

    pub fn phishing_daily(&self) -> String {
        format!(
            "SELECT CAST(date_trunc('day', ts) AS DATE) AS day, count(*) AS operations, \
                    count(DISTINCT client_ip) AS clients {} GROUP BY 1 ORDER BY 1",
            self.operations()
        )
    }

    pub fn phishing_matrix(&self) -> String {
        let s = self.sides;
        format!(
            "SELECT {} AS source, brand_country AS target, count(DISTINCT url) AS pages, \
                    count(DISTINCT hosting_ip) AS hosts \
             FROM phish_pages WHERE hosting_ip IS NOT NULL AND brand_country IS NOT NULL AND {} \
               AND NOT coalesce(ip_is_reserved(hosting_ip), true) \
             GROUP BY 1, 2 ORDER BY pages DESC, source, target",
            s.country_of("hosting_ip"),
            self.period.overlaps_sql("first_seen", "last_seen")
        )
    }

    // ---- backdoors --------------------------------------------------------

    /// Sites, whether a server address they were seen on is on the target
    /// side, and their country for the matrix; named the way the backdoor
    /// detector names sites.
    fn sites_cte(&self) -> String {
        let s = self.sides;
        format!(
            "site_servers AS ( \
               SELECT lower(regexp_replace(COALESCE(site, server_ip), ':[0-9]+$', '')) AS site, server_ip \
               FROM weblog WHERE server_ip IS NOT NULL \
               UNION SELECT lower(regexp_replace(COALESCE(host, server_ip), ':[0-9]+$', '')), server_ip \
               FROM http WHERE server_ip IS NOT NULL), \
             site_flags AS (SELECT site, bool_or({}) AS on_target, min({}) AS country \
               FROM site_servers GROUP BY site)",
            s.in_target("server_ip"),
            s.country_of("server_ip")
        )
    }

    /// The site in `col` is on the target side; `flags` is the alias of
    /// `site_flags` joined on it.
    fn site_in_target(&self, col: &str, flags: &str) -> String {
        format!(
            "({} OR {} OR coalesce({flags}.on_target, false))",
            self.sides.domain_in_target(col),
            self.sides.in_target(col)
        )
    }

    fn implants_def(&self) -> String {
        format!(
            "implants AS (SELECT i.site, i.path, i.ip, i.how, i.ts FROM backdoor_implanters i \
               LEFT JOIN site_flags f ON f.site = i.site WHERE {} AND {} AND {})",
            self.period.contains_sql("i.ts"),
            self.sides.in_source("i.ip"),
            self.site_in_target("i.site", "f")
        )
    }

    fn attacks_def(&self) -> String {
        format!(
            "attacks AS (SELECT a.ts, a.attacker_ip, a.site, a.path, a.method, a.status \
               FROM backdoor_attacks a LEFT JOIN site_flags f ON f.site = a.site WHERE {} AND {} AND {})",
            self.period.contains_sql("a.ts"),
            self.sides.in_source("a.attacker_ip"),
            self.site_in_target("a.site", "f")
        )
    }

    fn implants_cte(&self) -> String {
        format!("{}, {}", self.sites_cte(), self.implants_def())
    }

    fn attacks_cte(&self) -> String {
        format!("{}, {}", self.sites_cte(), self.attacks_def())
    }

    pub fn backdoor_figures(&self) -> String {
        format!(
            "WITH {}, {}, {} \
             SELECT (SELECT count(DISTINCT ip) FROM implants) AS backdoor_ips, \
                    (SELECT count(DISTINCT site) FROM implants) AS backdoor_websites, \
                    (SELECT count(*) FROM attacks) AS backdoor_attacks",
            self.sites_cte(),
            self.implants_def(),
            self.attacks_def()
        )
    }

    pub fn backdoor_implants_by_source(&self) -> String {
        format!(
            "WITH {} SELECT {} AS source, count(DISTINCT ip) AS backdoor_ips, \
                    count(DISTINCT site) AS backdoor_websites FROM implants GROUP BY 1",
            self.implants_cte(),
            self.sides.source_country("ip")
        )
    }

    pub fn backdoor_attacks_by_source(&self) -> String {
        format!(
            "WITH {} SELECT {} AS source, count(*) AS backdoor_attacks FROM attacks GROUP BY 1",
            self.attacks_cte(),
            self.sides.source_country("attacker_ip")
        )
    }

    /// Every counted implanter address.
    pub fn backdoor_listed(&self) -> String {
        format!(
            "WITH {} SELECT ip, ip_country(ip) AS country, count(DISTINCT site) AS websites, \
                    min(ts) AS first_seen, max(ts) AS last_seen, \
                    array_to_string(array_sort(array_agg(DISTINCT site)), ' ') AS sites \
             FROM implants GROUP BY ip ORDER BY websites DESC, ip LIMIT {LISTED}",
            self.implants_cte()
        )
    }

    pub fn backdoor_top_implanters(&self) -> String {
        format!(
            "WITH {} SELECT ip, ip_country(ip) AS country, ip_asn_org(ip) AS as_org, \
                    count(DISTINCT site) AS websites, count(*) AS backdoors, min(ts) AS first_implant, \
                    array_to_string(array_sort(array_agg(DISTINCT how)), ' ') AS how \
             FROM implants GROUP BY ip ORDER BY websites DESC, backdoors DESC, ip LIMIT 25",
            self.implants_cte()
        )
    }

    pub fn backdoor_websites(&self) -> String {
        format!(
            "WITH {} SELECT i.site, i.path, i.ip AS implanter, i.how, i.ts AS implanted, \
                    round(b.score, 3) AS score, array_to_string(b.evidence, ' ') AS evidence \
             FROM implants i LEFT JOIN backdoors b ON b.site = i.site AND b.path = i.path \
             ORDER BY i.ts, i.site, i.path, i.ip LIMIT 25",
            self.implants_cte()
        )
    }

    pub fn backdoor_evidence_kinds(&self) -> String {
        format!(
            "WITH {} SELECT kind, count(*) AS backdoors FROM ( \
               SELECT unnest(b.evidence) AS kind FROM backdoors b \
               JOIN (SELECT DISTINCT site, path FROM implants) i ON b.site = i.site AND b.path = i.path) \
             GROUP BY kind ORDER BY backdoors DESC, kind",
            self.implants_cte()
        )
    }

    pub fn backdoor_top_attacked(&self) -> String {
        format!(
            "WITH {} SELECT site, path, count(*) AS attacks, count(DISTINCT attacker_ip) AS attackers, \
                    min(ts) AS first_attack, max(ts) AS last_attack \
             FROM attacks GROUP BY site, path ORDER BY attacks DESC, site, path LIMIT 25",
            self.attacks_cte()
        )
    }

    pub fn backdoor_daily(&self) -> String {
        format!(
            "WITH {} SELECT CAST(date_trunc('day', ts) AS DATE) AS day, count(*) AS attacks, \
                    count(DISTINCT attacker_ip) AS attackers FROM attacks GROUP BY 1 ORDER BY 1",
            self.attacks_cte()
        )
    }

    pub fn backdoor_matrix(&self) -> String {
        let s = self.sides;
        format!(
            "WITH {} SELECT {} AS source, \
                    CASE WHEN {} THEN '{}' ELSE coalesce(f.country, '{}') END AS target, \
                    count(DISTINCT i.site) AS websites, count(DISTINCT i.ip) AS implanters \
             FROM backdoor_implanters i LEFT JOIN site_flags f ON f.site = i.site \
             WHERE {} AND NOT coalesce(ip_is_reserved(i.ip), true) \
             GROUP BY 1, 2 ORDER BY websites DESC, source, target",
            self.sites_cte(),
            s.source_country("i.ip"),
            self.site_in_target("i.site", "f"),
            s.target,
            crate::sides::UNKNOWN_COUNTRY,
            self.period.contains_sql("i.ts")
        )
    }
}
