//! Turning the values feeds write into the normalised values the `intel` table
//! stores. Every function here answers `Err(reason)` for a value it cannot
//! accept; the reason becomes the quarantine row's `reason`, so it names the
//! value.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use borderscope_schema::Micros;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use ipnet::{IpNet, Ipv4Net};

use crate::indicator::{threat, IndicatorKind};

/// Canonical text of an address: IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the
/// IPv4 address it stands for, as in every event table, so joins match.
pub fn ip_text(ip: IpAddr) -> String {
    canonical_ip(ip).to_string()
}

fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Feeds write "no value" in many ways.
pub fn is_null(s: &str) -> bool {
    let s = s.trim();
    s.is_empty()
        || ["none", "null", "-", "n/a"]
            .iter()
            .any(|n| s.eq_ignore_ascii_case(n))
}

/// `Some(trimmed)` unless the value is one of the null spellings.
pub fn non_null(s: &str) -> Option<&str> {
    (!is_null(s)).then(|| s.trim())
}

pub fn parse_ip(s: &str) -> Result<IpAddr, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    IpAddr::from_str(inner)
        .map(canonical_ip)
        .map_err(|_| format!("`{s}` is not an IP address"))
}

/// A network normalised to its network address (`192.0.2.9/24` is
/// `192.0.2.0/24`); an IPv4-mapped IPv6 network becomes the IPv4 network.
pub fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    let net = IpNet::from_str(s).map_err(|_| format!("`{s}` is not a CIDR network"))?;
    let net = match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => IpNet::V4(
                Ipv4Net::new(v4, v6.prefix_len() - 96).expect("prefix at most 32 after -96"),
            ),
            None => net,
        },
        _ => net,
    };
    Ok(net.trunc())
}

pub fn parse_port(s: &str) -> Result<u16, String> {
    let s = s.trim();
    s.parse::<u16>()
        .map_err(|_| format!("`{s}` is not a port number"))
}

/// A host name: ASCII lower-case, trailing dot removed. Non-ASCII labels
/// (IDNA U-labels) are kept as given rather than converted to punycode, so
/// the value is what the feed published; [`is_ascii_domain`] tells them apart.
pub fn parse_domain(s: &str) -> Result<String, String> {
    let s = s.trim();
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.is_empty() || name.len() > 253 {
        return Err(format!("`{s}` is not a domain name (length)"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        // Dotted digits are an address attempt, not a name: say so.
        return Err(format!("`{s}` is not an IP address"));
    }
    if labels.len() < 2 {
        return Err(format!("`{s}` is not a domain name (a single label)"));
    }
    if let Some(bad) = labels.iter().find(|l| !valid_label(l)) {
        return Err(format!("`{s}` is not a domain name (label `{bad}`)"));
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "`{s}` is not a domain name (numeric top-level label)"
        ));
    }
    Ok(name.to_ascii_lowercase())
}

fn valid_label(l: &str) -> bool {
    // Underscores occur in real DNS names (service labels, some C2 names);
    // anything non-ASCII is an IDNA U-label, kept as given.
    !l.is_empty()
        && l.len() <= 63
        && l.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '-'
                || c == '_'
                || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
        })
}

pub fn is_ascii_domain(name: &str) -> bool {
    name.is_ascii()
}

/// The host of a URL or of a `host:port` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Ip(IpAddr),
    Domain(String),
}

impl Host {
    pub fn kind(&self) -> IndicatorKind {
        match self {
            Host::Ip(_) => IndicatorKind::Ip,
            Host::Domain(_) => IndicatorKind::Domain,
        }
    }

    pub fn value(&self) -> String {
        match self {
            Host::Ip(ip) => ip_text(*ip),
            Host::Domain(d) => d.clone(),
        }
    }

    fn parse(s: &str) -> Result<Host, String> {
        match parse_ip(s) {
            Ok(ip) => Ok(Host::Ip(ip)),
            Err(_) => parse_domain(s).map(Host::Domain),
        }
    }
}

/// A URL, kept as given (trimmed), with its host and explicit port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub text: String,
    pub host: Host,
    /// Only a port written in the URL; the scheme's default is not guessed.
    pub port: Option<u16>,
}

pub fn looks_like_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

pub fn parse_url(s: &str) -> Result<Url, String> {
    let text = s.trim();
    if !looks_like_url(text) || text.chars().any(char::is_whitespace) {
        return Err(format!("`{text}` is not a URL"));
    }
    let (_, rest) = text.split_once("://").expect("checked by looks_like_url");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // user:password@ precedes the host; the host cannot contain '@'.
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = split_host_port(hostport).map_err(|e| format!("URL `{text}`: {e}"))?;
    Ok(Url {
        text: text.to_string(),
        host,
        port,
    })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address is a host
/// without port.
pub fn split_host_port(s: &str) -> Result<(Host, Option<u16>), String> {
    if s.is_empty() {
        return Err("no host".into());
    }
    if let Ok(sa) = SocketAddr::from_str(s) {
        return Ok((Host::Ip(canonical_ip(sa.ip())), Some(sa.port())));
    }
    if let Ok(ip) = parse_ip(s) {
        return Ok((Host::Ip(ip), None));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((Host::parse(h)?, Some(parse_port(p)?))),
        _ => Ok((Host::parse(s)?, None)),
    }
}

/// A value of a plain list, recognised from its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Host(Host, Option<u16>),
    Cidr(IpNet),
    Url(Url),
}

pub fn classify(s: &str) -> Result<Value, String> {
    if looks_like_url(s) {
        return parse_url(s).map(Value::Url);
    }
    if s.contains('/') {
        return parse_cidr(s).map(Value::Cidr);
    }
    split_host_port(s).map(|(h, p)| Value::Host(h, p))
}

/// Undoes the usual defanging of published indicators (`example[.]com`,
/// `hxxp://`), so a defanged list still matches traffic.
pub fn refang(s: &str) -> Cow<'_, str> {
    const DOTS: [&str; 4] = ["[.]", "(.)", "{.}", "[dot]"];
    let needs = DOTS.iter().any(|d| s.contains(d))
        || s.contains("[:]")
        || s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("hxxp"));
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = s.to_string();
    for d in DOTS {
        out = out.replace(d, ".");
    }
    out = out.replace("[:]", ":");
    if out.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("hxxp")) {
        out.replace_range(..4, "http");
    }
    Cow::Owned(out)
}

/// A feed time in UTC: `2024-01-10 10:00:19`, with ` UTC`, ISO 8601/RFC 3339
/// (with `T`, `Z` or an offset), or a bare date (midnight UTC). Feeds without
/// a zone (Feodo, URLhaus, ThreatFox exports) document their times as UTC.
pub fn parse_time(s: &str) -> Result<Option<Micros>, String> {
    let Some(s) = non_null(s) else {
        return Ok(None);
    };
    let bare = s.strip_suffix("UTC").map_or(s, str::trim_end);
    if let Ok(t) = DateTime::parse_from_rfc3339(bare) {
        return Ok(Some(t.timestamp_micros()));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(bare, fmt) {
            return Ok(Some(t.and_utc().timestamp_micros()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(bare, "%Y-%m-%d") {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
        return Ok(Some(midnight.and_utc().timestamp_micros()));
    }
    Err(format!("`{s}` is not a date and time"))
}

/// [`parse_time`] of a field that may be absent.
pub fn opt_time(s: Option<&str>) -> Result<Option<Micros>, String> {
    s.map(parse_time).transpose().map(Option::flatten)
}

/// A confidence of 0-100; `Ok(None)` when the feed gives none.
pub fn parse_confidence(s: &str) -> Result<Option<u8>, String> {
    let Some(s) = non_null(s) else {
        return Ok(None);
    };
    match s.parse::<u8>() {
        Ok(c) if c <= 100 => Ok(Some(c)),
        _ => Err(format!("confidence `{s}` is not a number from 0 to 100")),
    }
}

/// Threat words normalised across feeds: a C2 is `botnet_cc` whichever way a
/// feed spells it; other words are kept, lower-case with `_` for separators.
pub fn normalise_threat(s: &str) -> String {
    let word: String = s
        .trim()
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    match word.as_str() {
        "botnet_cc"
        | "botnet_c2"
        | "c2"
        | "cc"
        | "c&c"
        | "c2_server"
        | "cnc"
        | "command_and_control" => threat::BOTNET_CC.into(),
        "malware_download" | "malware_distribution" => threat::MALWARE_DOWNLOAD.into(),
        "phishing" | "phish" => threat::PHISHING.into(),
        "payload_delivery" => threat::PAYLOAD_DELIVERY.into(),
        _ => word,
    }
}

/// Tags from a comma-separated field, trimmed, without empties or repeats.
pub fn split_tags<'a>(parts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in parts.into_iter().flat_map(|p| p.split(',')) {
        if let Some(t) = non_null(t) {
            if !out.iter().any(|o| o == t) {
                out.push(t.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_canonical_and_mapped_ones_become_ipv4() {
        assert_eq!(ip_text(parse_ip("::ffff:192.0.2.1").unwrap()), "192.0.2.1");
        assert_eq!(ip_text(parse_ip("2001:DB8:0::1").unwrap()), "2001:db8::1");
        assert_eq!(ip_text(parse_ip("[2001:db8::2]").unwrap()), "2001:db8::2");
        assert!(parse_ip("192.0.2.256").is_err());
    }

    #[test]
    fn networks_are_normalised_to_their_network_address() {
        assert_eq!(
            parse_cidr("192.0.2.77/24").unwrap().to_string(),
            "192.0.2.0/24"
        );
        assert_eq!(
            parse_cidr("2001:db8::1/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(
            parse_cidr("::ffff:198.51.100.9/120").unwrap().to_string(),
            "198.51.100.0/24"
        );
        assert!(parse_cidr("192.0.2.0/33").is_err());
    }

    #[test]
    fn domains_are_lower_case_without_trailing_dot_and_idna_is_kept() {
        assert_eq!(parse_domain("C2.Example.COM.").unwrap(), "c2.example.com");
        assert_eq!(parse_domain("bücher.example").unwrap(), "bücher.example");
        assert!(!is_ascii_domain("bücher.example"));
        assert_eq!(
            parse_domain("_srv.example.net").unwrap(),
            "_srv.example.net"
        );
        for bad in [
            "localhost",
            "a..example.com",
            "bad host.example",
            "1.2.3.999",
            "x.123",
        ] {
            assert!(parse_domain(bad).is_err(), "{bad}");
        }
        assert!(parse_domain("999.1.1.1")
            .unwrap_err()
            .contains("not an IP address"));
    }

    #[test]
    fn urls_keep_their_text_and_give_host_and_port() {
        let u = parse_url(" http://user:pw@Files.Example.com:8080/a/b?c#d ").unwrap();
        assert_eq!(u.text, "http://user:pw@Files.Example.com:8080/a/b?c#d");
        assert_eq!(u.host, Host::Domain("files.example.com".into()));
        assert_eq!(u.port, Some(8080));
        let u = parse_url("https://[2001:db8::5]:8443/x").unwrap();
        assert_eq!((u.host.value(), u.port), ("2001:db8::5".into(), Some(8443)));
        let u = parse_url("http://198.51.100.4/bins.sh").unwrap();
        assert_eq!((u.host.kind(), u.port), (IndicatorKind::Ip, None));
        assert!(parse_url("http:///nohost").is_err());
        assert!(parse_url("http://example.com:99999/").is_err());
        assert!(parse_url("not a url").is_err());
    }

    #[test]
    fn plain_values_are_classified_by_shape() {
        assert!(matches!(
            classify("192.0.2.1"),
            Ok(Value::Host(Host::Ip(_), None))
        ));
        assert!(matches!(
            classify("192.0.2.1:447"),
            Ok(Value::Host(Host::Ip(_), Some(447)))
        ));
        assert!(matches!(
            classify("2001:db8::1"),
            Ok(Value::Host(Host::Ip(_), None))
        ));
        assert!(matches!(
            classify("[2001:db8::1]:80"),
            Ok(Value::Host(Host::Ip(_), Some(80)))
        ));
        assert!(matches!(
            classify("c2.example.org:8443"),
            Ok(Value::Host(Host::Domain(_), Some(8443)))
        ));
        assert!(matches!(classify("203.0.113.0/24"), Ok(Value::Cidr(_))));
        assert!(matches!(
            classify("https://example.net/x"),
            Ok(Value::Url(_))
        ));
        assert!(classify("300.1.1.1").is_err());
    }

    #[test]
    fn defanged_values_are_refanged() {
        assert_eq!(refang("evil[.]example[.]com"), "evil.example.com");
        assert_eq!(
            refang("hxxps://x(.)example.org[:]8080/"),
            "https://x.example.org:8080/"
        );
        assert!(matches!(refang("plain.example.com"), Cow::Borrowed(_)));
    }

    #[test]
    fn times_in_the_feeds_spellings_are_read_as_utc() {
        let t = 1_704_880_819_000_000; // 2024-01-10 10:00:19 UTC
        for s in [
            "2024-01-10 10:00:19",
            "2024-01-10 10:00:19 UTC",
            "2024-01-10T10:00:19Z",
            "2024-01-10T11:00:19+01:00",
        ] {
            assert_eq!(parse_time(s), Ok(Some(t)), "{s}");
        }
        assert_eq!(parse_time("2024-01-10"), Ok(Some(1_704_844_800_000_000)));
        assert_eq!(parse_time(""), Ok(None));
        assert_eq!(parse_time("None"), Ok(None));
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2024-13-01").is_err());
    }

    #[test]
    fn threats_confidences_and_tags() {
        assert_eq!(normalise_threat("C&C"), "botnet_cc");
        assert_eq!(normalise_threat("botnet_cc"), "botnet_cc");
        assert_eq!(normalise_threat("Malware Download"), "malware_download");
        assert_eq!(normalise_threat("cc_skimming"), "cc_skimming");
        assert_eq!(parse_confidence("75"), Ok(Some(75)));
        assert_eq!(parse_confidence(""), Ok(None));
        assert!(parse_confidence("101").is_err());
        assert!(parse_confidence("high").is_err());
        assert_eq!(split_tags(["exe, Loki,,None,exe"]), vec!["exe", "Loki"]);
    }
}
