//! The baseline: a keyword scorer of host names in the style of x0rz's
//! phishing_catcher (rules as summarised in the project's field facts),
//! run on the same brand list so the comparison is about the method.
//!
//! Points per host name: suspicious TLD +20; Shannon entropy of the name
//! without its suffix ×10; each brand term found +70 (distinctive keywords)
//! or +30 (brand names that are ordinary words); each generic word +10..+25;
//! a dash-separated word one edit from a 70-point term +70; four or more
//! hyphens +3 each; three or more dots +3 each. Confusable characters are
//! folded first. 65 or more is flagged.

use crate::brands::{BrandId, Registry};
use crate::text;
use crate::url::{parse_target, Host};

/// Points at which the baseline calls a name phishing ("potential").
pub const CATCHER_THRESHOLD: u32 = 65;

const CATCHER_TLDS: &[&str] = &[
    "ga", "gq", "ml", "cf", "tk", "xyz", "pw", "cc", "club", "work", "top", "support", "bank",
    "info", "study", "party", "click", "country", "stream", "gdn", "mom", "xin", "kim", "men",
    "loan", "download", "racing", "online", "center", "ren", "gb", "win", "review", "vip", "tech",
    "science", "business",
];

const GENERIC: &[(&str, u32)] = &[
    ("login", 25),
    ("log-in", 25),
    ("sign-in", 25),
    ("signin", 25),
    ("account", 25),
    ("verification", 25),
    ("verify", 25),
    ("webscr", 50),
    ("cgi-bin", 50),
    ("password", 25),
    ("credential", 25),
    ("support", 25),
    ("activity", 25),
    ("security", 25),
    ("update", 25),
    ("authentication", 25),
    ("authenticate", 25),
    ("authorize", 25),
    ("wallet", 25),
    ("alert", 25),
    ("purchase", 25),
    ("transaction", 25),
    ("recover", 25),
    ("unlock", 25),
    ("confirm", 20),
    ("live", 15),
    ("office", 15),
    ("service", 15),
    ("manage", 15),
    ("portal", 15),
    ("invoice", 15),
    ("secure", 10),
    ("customer", 10),
    ("client", 10),
    ("bill", 10),
    ("online", 10),
    ("safe", 10),
    ("form", 10),
    ("bank", 15),
];

/// The baseline's verdict.
#[derive(Debug, Clone)]
pub struct CatcherScore {
    pub points: u32,
    pub brand: Option<BrandId>,
}

impl CatcherScore {
    pub fn flagged(&self) -> bool {
        self.points >= CATCHER_THRESHOLD
    }
}

struct Keyword {
    text: String,
    points: u32,
    brand: Option<BrandId>,
}

/// The baseline scorer over a registry's brand terms.
pub struct Catcher {
    keywords: Vec<Keyword>,
}

impl Catcher {
    pub fn new(registry: &Registry) -> Catcher {
        let mut keywords: Vec<Keyword> = GENERIC
            .iter()
            .map(|(t, p)| Keyword {
                text: t.to_string(),
                points: *p,
                brand: None,
            })
            .collect();
        for (id, b) in registry.brands().iter().enumerate() {
            let terms = b
                .keywords
                .iter()
                .map(|k| (k, 70))
                .chain(b.words.iter().map(|w| (w, 30)));
            for (t, points) in terms {
                keywords.push(Keyword {
                    text: t.clone(),
                    points,
                    brand: Some(id),
                });
            }
        }
        Catcher { keywords }
    }

    /// Scores the host of a URL (the baseline never looks at paths).
    pub fn score(&self, input: &str) -> CatcherScore {
        let mut s = CatcherScore {
            points: 0,
            brand: None,
        };
        let Ok(target) = parse_target(input) else {
            return s;
        };
        let Host::Domain(ascii) = &target.host else {
            return s;
        };
        let host = target.unicode_host.clone().unwrap_or_else(|| ascii.clone());
        let suffix = target.suffix.clone().unwrap_or_default();
        if CATCHER_TLDS
            .iter()
            .any(|t| suffix.rsplit('.').next() == Some(*t))
        {
            s.points += 20;
        }
        let name = host
            .strip_suffix(&suffix)
            .map(|n| n.trim_end_matches('.'))
            .unwrap_or(&host);
        s.points += (text::entropy(name) * 10.0).round() as u32;
        let name = text::fold(name);
        let mut best_brand: Option<(u32, usize, BrandId)> = None;
        for k in &self.keywords {
            if name.contains(&k.text) {
                s.points += k.points;
                if let Some(b) = k.brand {
                    let rank = (k.points, k.text.len(), b);
                    if best_brand.is_none_or(|cur| (rank.0, rank.1) > (cur.0, cur.1)) {
                        best_brand = Some(rank);
                    }
                }
            }
        }
        let words: Vec<&str> = name
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !matches!(*w, "email" | "mail" | "cloud"))
            .collect();
        for k in self.keywords.iter().filter(|k| k.points >= 70) {
            for w in &words {
                let (a, b): (Vec<char>, Vec<char>) =
                    (w.chars().collect(), k.text.chars().collect());
                if text::osa_distance(&a, &b) == 1 {
                    s.points += 70;
                    if best_brand.is_none() {
                        best_brand = k.brand.map(|b| (70, k.text.len(), b));
                    }
                }
            }
        }
        let hyphens = name.matches('-').count() as u32;
        if !ascii.contains("xn--") && hyphens >= 4 {
            s.points += hyphens * 3;
        }
        let dots = name.matches('.').count() as u32;
        if dots >= 3 {
            s.points += dots * 3;
        }
        s.brand = best_brand.map(|(_, _, b)| b);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_flags_branded_names_and_not_plain_ones() {
        let r = Registry::builtin();
        let c = Catcher::new(&r);
        let s = c.score("paypal-account-verify.tk");
        assert!(s.flagged(), "{s:?}");
        assert_eq!(s.brand, r.by_name("PayPal"));
        let s = c.score("paypai-login.com");
        assert!(s.flagged(), "{s:?}");
        let s = c.score("example.com");
        assert!(!s.flagged(), "{s:?}");
        // The baseline has no allow-list: the brand's own domain scores too.
        assert!(c.score("paypal.com").points >= 70);
        assert_eq!(c.score("not a url").points, 0);
        assert_eq!(c.score("http://192.0.2.1/paypal").points, 0);
    }
}
