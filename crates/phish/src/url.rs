//! Turning one input (a URL, or a bare host name) into the parts the
//! scorer looks at: host (domain or IP literal), its registrable domain under
//! the public suffix list, user info, and the path.

use std::net::IpAddr;

/// Inputs longer than this are scored on their first part only: real URLs
/// fit easily, and a hostile multi-megabyte line must not cost more.
pub const MAX_INPUT: usize = 8 * 1024;

/// The host of a candidate URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// Lower-case ASCII (IDN labels in punycode), no trailing dot.
    Domain(String),
    Ip(IpAddr),
}

/// A parsed candidate.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: Host,
    /// The host in Unicode where it has punycode labels.
    pub unicode_host: Option<String>,
    /// Registrable domain (public suffix plus one label); `None` for IP
    /// literals and for hosts that are a public suffix themselves.
    pub registrable: Option<String>,
    /// The public suffix of the host.
    pub suffix: Option<String>,
    /// The suffix is from the private section of the list (hosting
    /// platforms such as `github.io`): names under it belong to users.
    pub private_suffix: bool,
    /// `user:password@` before the host, decoded.
    pub userinfo: Option<String>,
    /// Path, query and fragment, percent-decoded, lower case.
    pub path: String,
    /// The same in its original case (homoglyphs such as capital I for l).
    pub raw_path: String,
    /// The input was cut to [`MAX_INPUT`] bytes.
    pub truncated: bool,
}

impl Target {
    /// The host as text (canonical form for IP literals).
    pub fn host_text(&self) -> String {
        match &self.host {
            Host::Domain(d) => d.clone(),
            Host::Ip(ip) => ip.to_string(),
        }
    }

    /// Labels of the host before its registrable domain (`a.b` in
    /// `a.b.example.com`), in Unicode where the host is an IDN.
    pub fn subdomain_labels(&self) -> Vec<String> {
        let (Host::Domain(_), Some(reg)) = (&self.host, &self.registrable) else {
            return Vec::new();
        };
        let host = self.display_host();
        let reg_labels = reg.split('.').count();
        let labels: Vec<&str> = host.split('.').collect();
        let keep = labels.len().saturating_sub(reg_labels);
        labels[..keep].iter().map(|s| s.to_string()).collect()
    }

    /// The registrable domain's own label (`example` in `example.co.uk`), in
    /// Unicode where it is an IDN.
    pub fn registrable_label(&self) -> Option<String> {
        let reg = self.registrable.as_ref()?;
        let unicode = idna::domain_to_unicode(reg).0;
        unicode.split('.').next().map(str::to_string)
    }

    fn display_host(&self) -> String {
        self.unicode_host
            .clone()
            .unwrap_or_else(|| self.host_text())
    }
}

/// Parses a URL or bare host name. `Err` says why the input is not one.
pub fn parse_target(input: &str) -> Result<Target, String> {
    let mut text = input.trim();
    if text.is_empty() {
        return Err("empty input".into());
    }
    let truncated = text.len() > MAX_INPUT;
    if truncated {
        text = cut(text, MAX_INPUT);
    }
    let refanged = refang(text);
    let with_scheme = if has_scheme(&refanged) || other_scheme(&refanged) {
        refanged
    } else {
        format!("http://{refanged}")
    };
    let parsed = url::Url::parse(&with_scheme).map_err(|e| format!("not a URL: {e}"))?;
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => Host::Domain(clean_domain(d)?),
        Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Host::Ip(canonical_ip(IpAddr::V6(ip))),
        None => return Err("the URL has no host".into()),
    };
    let mut target = Target {
        host,
        unicode_host: None,
        registrable: None,
        suffix: None,
        private_suffix: false,
        userinfo: userinfo(&parsed),
        path: path_text(&parsed).to_lowercase(),
        raw_path: path_text(&parsed),
        truncated,
    };
    if let Host::Domain(d) = &target.host {
        if d.split('.').any(|l| l.starts_with("xn--")) {
            let (unicode, result) = idna::domain_to_unicode(d);
            if result.is_ok() {
                target.unicode_host = Some(unicode.to_lowercase());
            }
        }
        if let Some(suffix) = psl::suffix(d.as_bytes()) {
            target.suffix = std::str::from_utf8(suffix.as_bytes())
                .ok()
                .map(String::from);
            target.private_suffix = suffix.typ() == Some(psl::Type::Private);
        }
        target.registrable = psl::domain_str(d).map(String::from);
    }
    Ok(target)
}

/// Lower-case ASCII form of a domain name (IDN to punycode), checked.
pub fn to_ascii_host(name: &str) -> Result<String, String> {
    let ascii = idna::domain_to_ascii(name).map_err(|e| format!("{e:?}"))?;
    clean_domain(&ascii)
}

fn clean_domain(d: &str) -> Result<String, String> {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    if d.is_empty() || d.len() > 253 {
        return Err(format!("`{d}` is not a host name (length)"));
    }
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !d.split('.').all(valid_label) {
        return Err(format!("`{d}` is not a host name"));
    }
    Ok(d)
}

/// IPv4-mapped IPv6 addresses as IPv4, as the store keeps them.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn has_scheme(s: &str) -> bool {
    match s.find("://") {
        Some(i) => s[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        None => false,
    }
}

/// `mailto:x@y`, `javascript:...`, `data:...`: a scheme with no `//`, which
/// has no host to score. (`example.com:8080` is a host and port: the part
/// before the colon has a dot, or a digit follows it.)
fn other_scheme(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-'))
        && !rest.starts_with(|c: char| c.is_ascii_digit())
}

/// Feeds defang URLs so they are not clickable: `hxxp://`, `[.]`, `(.)`.
fn refang(s: &str) -> String {
    let mut out = s
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":");
    for (from, to) in [("hxxps://", "https://"), ("hxxp://", "http://")] {
        if out.len() >= from.len() && out[..from.len()].eq_ignore_ascii_case(from) {
            out = format!("{to}{}", &out[from.len()..]);
        }
    }
    out
}

fn userinfo(u: &url::Url) -> Option<String> {
    let user = u.username();
    if user.is_empty() && u.password().is_none() {
        return None;
    }
    let mut text = percent_decode(user);
    if let Some(p) = u.password() {
        text.push(':');
        text.push_str(&percent_decode(p));
    }
    Some(text.to_lowercase())
}

fn path_text(u: &url::Url) -> String {
    let mut raw = u.path().to_string();
    if let Some(q) = u.query() {
        raw.push('?');
        raw.push_str(q);
    }
    if let Some(f) = u.fragment() {
        raw.push('#');
        raw.push_str(f);
    }
    percent_decode(&raw)
}

/// `%xx` decoding; bytes that do not form UTF-8 are replaced, never fatal.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The longest prefix of `s` of at most `max` bytes ending on a char boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_domains_and_urls_give_registrable_domains() {
        let t = parse_target("Login.PayPal.co.uk.").unwrap();
        assert_eq!(t.host, Host::Domain("login.paypal.co.uk".into()));
        assert_eq!(t.registrable.as_deref(), Some("paypal.co.uk"));
        assert_eq!(t.suffix.as_deref(), Some("co.uk"));
        assert_eq!(t.subdomain_labels(), vec!["login"]);
        let t = parse_target("https://a.b.example.com/Path/Web%20Scr?x=1#F").unwrap();
        assert_eq!(t.registrable.as_deref(), Some("example.com"));
        assert_eq!(t.path, "/path/web scr?x=1#f");
        assert_eq!(t.subdomain_labels(), vec!["a", "b"]);
    }

    #[test]
    fn private_suffixes_make_user_sites_registrable() {
        let t = parse_target("https://paypal-verify.github.io/x").unwrap();
        assert_eq!(t.registrable.as_deref(), Some("paypal-verify.github.io"));
        assert!(t.private_suffix);
    }

    #[test]
    fn ip_literal_hosts() {
        let t = parse_target("http://217.61.4.62/BPCE/CyberPlus/").unwrap();
        assert_eq!(t.host, Host::Ip("217.61.4.62".parse().unwrap()));
        assert!(t.registrable.is_none());
        let t = parse_target("http://[::ffff:10.0.0.1]:8080/a").unwrap();
        assert_eq!(t.host, Host::Ip("10.0.0.1".parse().unwrap()));
        let t = parse_target("http://[2001:db8::1]/").unwrap();
        assert_eq!(t.host_text(), "2001:db8::1");
    }

    #[test]
    fn idn_hosts_keep_punycode_and_unicode() {
        let t = parse_target("http://pаypal.com/").unwrap(); // Cyrillic а
        let Host::Domain(d) = &t.host else { panic!() };
        assert!(d.starts_with("xn--"), "{d}");
        assert_eq!(t.unicode_host.as_deref(), Some("pаypal.com"));
        assert_eq!(t.registrable_label().as_deref(), Some("pаypal"));
    }

    #[test]
    fn userinfo_and_defanged_urls() {
        let t = parse_target("hxxp://paypal.com@evil[.]tk/").unwrap();
        assert_eq!(t.registrable.as_deref(), Some("evil.tk"));
        assert_eq!(t.userinfo.as_deref(), Some("paypal.com"));
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        for bad in [
            "",
            "   ",
            "http://",
            "http://exa mple.com/",
            "mailto:a@b.c",
            "http://[::1/",
        ] {
            assert!(parse_target(bad).is_err(), "{bad:?}");
        }
        assert!(parse_target("http://%zz%/").is_err());
        assert!(parse_target("http://a..b/").is_err());
    }

    #[test]
    fn very_long_urls_are_cut_on_a_char_boundary() {
        let long = format!("http://example.com/{}", "é".repeat(20_000));
        let t = parse_target(&long).unwrap();
        assert!(t.truncated);
        assert!(t.path.len() <= MAX_INPUT);
        assert_eq!(percent_decode("%e9%"), "\u{fffd}%");
    }
}
