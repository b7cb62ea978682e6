//! The constituency: the addresses a CERT defends. Detectors call a host
//! "internal" (a host that can be controlled, a website that can be
//! backdoored) when it is in the constituency, and a server "external" when
//! it is not.
//!
//! A national CERT's sensors often see its own space as public addresses, and
//! an enterprise's as private ones, so three things can make an address
//! internal: a private or reserved range (on by default), a listed network,
//! or geolocation to the defended country.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::{is_reserved, CountryCode, GeoDb};

#[derive(Debug, Clone)]
pub struct Constituency {
    /// Private and reserved ranges count as internal.
    pub reserved: bool,
    /// Networks listed by the user.
    pub networks: Vec<IpNet>,
    /// Addresses that geolocate to this country count as internal.
    pub country: Option<CountryCode>,
}

impl Default for Constituency {
    fn default() -> Self {
        Constituency {
            reserved: true,
            networks: Vec::new(),
            country: None,
        }
    }
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
}
