//! The two sides of a cross-border figure as SQL predicates.
//!
//! The defended side (the target) is a country plus the networks and domains
//! of its constituency; the source side is any other country, or one named
//! country. Predicates are written out in full (every network and domain a
//! literal) so the SQL a report prints reproduces the figure in any session
//! with the same geolocation data, whatever flags that session was given.

use borderscope_geo::{Constituency, CountryCode};
use ipnet::IpNet;

/// Who is defended and who is counted against them.
#[derive(Debug, Clone)]
pub struct Sides {
    pub target: CountryCode,
    /// `None`: every country other than the target.
    pub source: Option<CountryCode>,
    pub networks: Vec<IpNet>,
    /// Private and reserved addresses are the target's own (the sensors see
    /// its hosts behind NAT), as the detectors take them by default.
    pub reserved: bool,
    /// Website domains of the target: the constituency's and those of the
    /// target country's brands in the protected-site registry.
    pub domains: Vec<String>,
}

/// Label of addresses with no country in the geolocation data.
pub const UNKNOWN_COUNTRY: &str = "ZZ";

impl Sides {
    pub fn new(target: CountryCode, source: Option<CountryCode>, c: &Constituency) -> Sides {
        let mut domains = c.domains.clone();
        domains.sort();
        domains.dedup();
        Sides {
            target,
            source,
            networks: c.networks.clone(),
            reserved: c.reserved,
            domains,
        }
    }

    pub fn add_domains(&mut self, more: impl IntoIterator<Item = String>) {
        self.domains.extend(more);
        self.domains.sort();
        self.domains.dedup();
    }

    /// The address in `col` is in the target: it geolocates to the target
    /// country, is in one of its networks, or (unless the constituency says
    /// otherwise) is private or reserved.
    pub fn in_target(&self, col: &str) -> String {
        let mut terms = vec![format!(
            "coalesce(ip_country({col}) = '{}', false)",
            self.target
        )];
        terms.extend(
            self.networks
                .iter()
                .map(|n| format!("coalesce(ip_in_network({col}, '{n}'), false)")),
        );
        if self.reserved {
            terms.push(format!("coalesce(ip_is_reserved({col}), false)"));
        }
        format!("({})", terms.join(" OR "))
    }

    /// The address in `col` is on the source side: a public address outside
    /// the target (private and reserved addresses have no country to count
    /// them under), and in the named source country if there is one.
    pub fn in_source(&self, col: &str) -> String {
        let base = format!(
            "NOT coalesce(ip_is_reserved({col}), true) AND NOT {}",
            self.in_target(col)
        );
        match self.source {
            Some(s) => {
                format!("({base} AND coalesce(ip_country({col}), '{UNKNOWN_COUNTRY}') = '{s}')")
            }
            None => format!("({base})"),
        }
    }

    /// The country a source-side address is counted under.
    pub fn source_country(&self, col: &str) -> String {
        format!("coalesce(ip_country({col}), '{UNKNOWN_COUNTRY}')")
    }

    /// The host name in `col` is one of the target's website domains or under one.
    pub fn domain_in_target(&self, col: &str) -> String {
        if self.domains.is_empty() {
            return "false".to_string();
        }
        let terms: Vec<String> = self
            .domains
            .iter()
            .map(|d| {
                let d = d.replace('\'', "");
                format!("lower({col}) = '{d}' OR ends_with(lower({col}), '.{d}')")
            })
            .collect();
        format!("({})", terms.join(" OR "))
    }

    /// The country of an address as a matrix axis: the target for its
    /// networks, else its geolocation.
    pub fn country_of(&self, col: &str) -> String {
        format!(
            "CASE WHEN {} THEN '{}' ELSE {} END",
            self.in_target(col),
            self.target,
            self.source_country(col)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides(source: Option<&str>) -> Sides {
        let c = Constituency::parse(
            "country = \"CN\"\nnetworks = [\"10.0.0.0/8\"]\ndomains = [\"gov.cn\"]",
        )
        .unwrap();
        Sides::new(
            CountryCode::parse("CN").unwrap(),
            source.and_then(CountryCode::parse),
            &c,
        )
    }

    #[test]
    fn target_predicate_names_country_and_networks() {
        let t = sides(None).in_target("host");
        assert!(t.contains("ip_country(host) = 'CN'"), "{t}");
        assert!(t.contains("ip_in_network(host, '10.0.0.0/8')"), "{t}");
    }

    #[test]
    fn private_addresses_are_the_targets_unless_the_file_says_not() {
        let mut s = sides(None);
        assert!(s.in_target("host").contains("ip_is_reserved(host)"));
        s.reserved = false;
        assert!(!s.in_target("host").contains("ip_is_reserved"));
    }

    #[test]
    fn source_excludes_target_and_reserved_and_names_country() {
        let any = sides(None).in_source("server");
        assert!(
            any.contains("ip_is_reserved(server)") && any.contains("NOT ("),
            "{any}"
        );
        let us = sides(Some("US")).in_source("server");
        assert!(us.contains("= 'US'"), "{us}");
    }

    #[test]
    fn domains_cover_subdomains_only() {
        let d = sides(None).domain_in_target("site");
        assert!(d.contains("lower(site) = 'gov.cn'"), "{d}");
        assert!(d.contains("ends_with(lower(site), '.gov.cn')"), "{d}");
    }
}
