//! The constituency: the addresses a CERT defends. Detectors call a host
//! "internal" (a host that can be controlled, a website that can be
//! backdoored) when it is in the constituency, and a server "external" when
//! it is not.
//!
//! A national CERT's sensors often see its own space as public addresses, and
//! an enterprise's as private ones, so three things can make an address
//! internal: a private or reserved range (on by default), a listed network,
//! or geolocation to the defended country. Websites are defended by name as
//! well: a listed domain covers its subdomains, wherever the site is hosted.
//!
//! A CERT keeps this in a small TOML file (`--constituency FILE`):
//!
//! ```toml
//! country = "CN"                       # addresses that geolocate here
//! networks = ["10.0.0.0/8", "203.0.113.0/24"]
//! domains = ["gov.cn", "example.com.cn"]
//! reserved = true                      # private/reserved ranges are ours (default)
//! ```

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;

use crate::{is_reserved, CountryCode, GeoDb, GeoError};

#[derive(Debug, Clone)]
pub struct Constituency {
    /// Private and reserved ranges count as internal.
    pub reserved: bool,
    /// Networks listed by the user.
    pub networks: Vec<IpNet>,
    /// Addresses that geolocate to this country count as internal.
    pub country: Option<CountryCode>,
    /// Registrable domains (lower case, no trailing dot) whose websites are
    /// defended; each covers its subdomains.
    pub domains: Vec<String>,
}

impl Default for Constituency {
    fn default() -> Self {
        Constituency {
            reserved: true,
            networks: Vec::new(),
            country: None,
            domains: Vec::new(),
        }
    }
}

/// The constituency file as written by a user.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConstituencyFile {
    country: Option<CountryCode>,
    #[serde(default)]
    networks: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
    reserved: Option<bool>,
}

impl Constituency {
    pub fn with_networks(mut self, networks: impl IntoIterator<Item = IpNet>) -> Self {
        self.networks.extend(networks);
        self
    }

    pub fn with_country(mut self, country: Option<CountryCode>) -> Self {
        self.country = country;
        self
    }

    /// Reads a constituency file (see the module documentation).
    pub fn load(path: &Path) -> Result<Self, GeoError> {
        let text = std::fs::read_to_string(path).map_err(|source| GeoError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| GeoError::Constituency {
            path: path.to_owned(),
            reason,
        })
    }

    /// Parses the text of a constituency file; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: ConstituencyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut domains = Vec::with_capacity(file.domains.len());
        for d in file.domains {
            domains.push(normalise_domain(&d).ok_or_else(|| format!("invalid domain {d:?}"))?);
        }
        let mut networks = Vec::with_capacity(file.networks.len());
        for n in &file.networks {
            let net: IpNet = n
                .trim()
                .parse()
                .map_err(|e| format!("networks: {n:?} is not a CIDR network ({e})"))?;
            networks.push(net);
        }
        Ok(Constituency {
            reserved: file.reserved.unwrap_or(true),
            networks,
            country: file.country,
            domains,
        })
    }

    /// Whether a website's host name is under one of the defended domains.
    pub fn contains_domain(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|d| {
            host == *d
                || host
                    .strip_suffix(d.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }

    /// Whether `ip` is one of the defended addresses.
    pub fn contains(&self, ip: IpAddr, geo: &GeoDb) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        (self.reserved && is_reserved(ip))
            || self.networks.iter().any(|n| n.contains(&ip))
            || self.country.is_some_and(|c| geo.country(ip) == Some(c))
    }
}

/// Lower case, no trailing dot, and only the characters a host name can have.
fn normalise_domain(d: &str) -> Option<String> {
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && !d.starts_with('.')
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    ok.then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_listed_and_country_addresses_are_internal() {
        let geo = GeoDb::builtin();
        let c = Constituency::default();
        assert!(c.contains("10.1.2.3".parse().unwrap(), &geo));
        assert!(c.contains("::ffff:192.168.0.1".parse().unwrap(), &geo));
        assert!(!c.contains("8.8.8.8".parse().unwrap(), &geo));
        let c = c.with_networks(["147.32.0.0/16".parse().unwrap()]);
        assert!(c.contains("147.32.84.1".parse().unwrap(), &geo));
        let us = Constituency {
            reserved: false,
            ..Constituency::default()
        }
        .with_country(CountryCode::parse("US"));
        assert!(us.contains("8.8.8.8".parse().unwrap(), &geo));
        assert!(!us.contains("10.0.0.1".parse().unwrap(), &geo));
    }

    #[test]
    fn file_lists_country_networks_and_domains() {
        let c = Constituency::parse(
            "country = \"cn\"\nnetworks = [\"203.0.113.0/24\"]\ndomains = [\"Gov.CN.\"]\n",
        )
        .unwrap();
        assert_eq!(c.country, CountryCode::parse("CN"));
        assert!(c.reserved);
        assert!(c.contains("203.0.113.9".parse().unwrap(), &GeoDb::empty()));
        assert!(c.contains_domain("www.beijing.gov.cn"));
        assert!(c.contains_domain("GOV.CN"));
        assert!(!c.contains_domain("notgov.cn"));
        assert!(!c.contains_domain("gov.cn.evil.com"));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        for (text, says) in [
            ("country = \"China\"", "country code"),
            ("networks = [\"10.0.0.0/33\"]", "networks"),
            ("domains = [\"a b\"]", "invalid domain"),
            ("contry = \"CN\"", "contry"),
        ] {
            let err = Constituency::parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
