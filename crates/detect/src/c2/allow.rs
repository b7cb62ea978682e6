//! Allow-lists: known-good services kept out of the C2 findings.
//!
//! Every host talks regularly to its operating system's update and telemetry
//! services, its anti-virus vendor and certificate revocation servers; beacon
//! scoring cannot tell those from malware (RITA's users report it as their
//! main source of noise). A server is allowed when a name it was reached by
//! (TLS SNI, HTTP Host, or a DNS answer) is an allowed domain or under one, or
//! when its address is in an allowed network or autonomous system.
//!
//! The built-in list names platform, PKI and anti-virus vendors' own domains
//! only — never services where anyone can host content (cloud storage, code
//! hosting, user pages), which malware uses for C2. Users extend it with a
//! file of one entry a line, `#` starting a comment:
//!
//! ```text
//! domain  corp-updates.example   # our patch server
//! network 192.0.2.0/24
//! asn     64500
//! ```

use std::path::Path;

use anyhow::{Context, Result};
use ipnet::IpNet;

/// Domains every ordinary host beacons to.
const BUILTIN_DOMAINS: &[&str] = &[
    // Operating system updates, telemetry and connectivity checks.
    "microsoft.com",
    "windows.com",
    "windowsupdate.com",
    "msftncsi.com",
    "msftconnecttest.com",
    "live.com",
    "office.com",
    "office365.com",
    "apple.com",
    "icloud.com",
    "mzstatic.com",
    "ubuntu.com",
    "canonical.com",
    "debian.org",
    "fedoraproject.org",
    "mozilla.org",
    "mozilla.net",
    "mozilla.com",
    // Certificate revocation and time.
    "digicert.com",
    "lencr.org",
    "sectigo.com",
    "globalsign.com",
    "rapidssl.com",
    "pki.goog",
    "ntp.org",
    // Anti-virus vendors' update and reputation services.
    "eset.com",
    "kaspersky.com",
    "kaspersky-labs.com",
    "avast.com",
    "avg.com",
    "mcafee.com",
    "symantec.com",
    "norton.com",
    "trendmicro.com",
    "sophos.com",
    "bitdefender.com",
    "bitdefender.net",
    "malwarebytes.com",
];

/// Entries of an allow-list, and where they came from.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    pub domains: Vec<String>,
    pub networks: Vec<IpNet>,
    pub asns: Vec<u32>,
}

impl AllowList {
    pub fn builtin() -> Self {
        AllowList {
            domains: BUILTIN_DOMAINS.iter().map(|d| d.to_string()).collect(),
            ..AllowList::default()
        }
    }

    /// Reads an allow-list file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read allow-list {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("allow-list {}", path.display()))
    }

    /// Parses `domain NAME`, `network CIDR` and `asn NUMBER` lines.
    pub fn parse(text: &str) -> Result<Self> {
        let mut list = AllowList::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let (kind, value) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            anyhow::ensure!(
                !value.is_empty() && words.next().is_none(),
                "line {}: expected `domain|network|asn VALUE`, found {line:?}",
                i + 1
            );
            match kind {
                "domain" => list.domains.push(normalise_domain(value)),
                "network" => {
                    list.networks
                        .push(value.parse::<IpNet>().map(|n| n.trunc()).with_context(|| {
                            format!("line {}: {value:?} is not a network (CIDR)", i + 1)
                        })?)
                }
                "asn" => {
                    list.asns
                        .push(value.trim_start_matches("AS").parse().with_context(|| {
                            format!("line {}: {value:?} is not an AS number", i + 1)
                        })?)
                }
                other => anyhow::bail!("line {}: unknown entry kind {other:?}", i + 1),
            }
        }
        Ok(list)
    }

    pub fn extend(&mut self, other: AllowList) {
        self.domains.extend(other.domains);
        self.networks.extend(other.networks);
        self.asns.extend(other.asns);
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.networks.is_empty() && self.asns.is_empty()
    }

    /// The entries as `(kind, value)` rows for the `c2_allow` relation.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows: Vec<(&'static str, String)> = Vec::new();
        rows.extend(self.domains.iter().map(|d| ("domain", d.clone())));
        rows.extend(self.networks.iter().map(|n| ("network", n.to_string())));
        rows.extend(self.asns.iter().map(|a| ("asn", a.to_string())));
        rows
    }
}

fn normalise_domain(d: &str) -> String {
    d.trim()
        .trim_start_matches("*.")
        .trim_end_matches('.')
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_domains_networks_and_asns_and_normalises_them() {
        let a = AllowList::parse(
            "# ours\ndomain *.Corp.Example.  # vendor\n\nnetwork 192.0.2.77/24\nasn AS64500\n",
        )
        .unwrap();
        assert_eq!(a.domains, vec!["corp.example"]);
        assert_eq!(a.networks[0].to_string(), "192.0.2.0/24");
        assert_eq!(a.asns, vec![64500]);
    }

    #[test]
    fn rejects_bad_networks_and_unknown_kinds() {
        assert!(AllowList::parse("network not-a-net").is_err());
        assert!(AllowList::parse("domains x.example").is_err());
        assert!(AllowList::parse("domain a.example b.example").is_err());
    }

    #[test]
    fn builtin_list_holds_no_content_hosting_services() {
        let b = AllowList::builtin();
        for hosting in [
            "dropbox.com",
            "github.com",
            "googleusercontent.com",
            "amazonaws.com",
            "azurewebsites.net",
            "pastebin.com",
        ] {
            assert!(!b.domains.iter().any(|d| d == hosting), "{hosting}");
        }
    }
}
