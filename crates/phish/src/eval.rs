//! Accuracy of the scorer (and of the baseline) on a labelled phishing dump
//! against a list of popular, benign domains.
//!
//! Definitions (also in docs/accuracy.md):
//! - *branded*: dump rows whose `target` is a registry brand. A true
//!   positive is a row called phishing **with that brand**; a row called
//!   phishing with another brand counts against precision, as does every
//!   benign domain called phishing. Recall is over all branded rows.
//! - *visible*: the branded rows where the brand, one of its domains, or a
//!   lookalike (confusable fold, one-edit typo of a keyword) appears
//!   anywhere in the URL, by [`brand_visible`], a test independent of the
//!   scorer's places and weights.
//! - *other*: rows whose target is not a registry brand (mostly `Other`); a
//!   true positive is a row called phishing, whatever the brand.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::brands::{BrandId, Registry};
use crate::catcher::Catcher;
use crate::feeds::PhishRow;
use crate::score::Scorer;
use crate::text;
use crate::url::percent_decode;

/// Confusion counts and the figures derived from them.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Figures {
    /// Rows of the positive class.
    pub positives: u64,
    /// Called phishing with the right brand (any brand for `other`).
    pub tp: u64,
    /// Called phishing with a wrong brand.
    pub wrong_brand: u64,
    /// Benign domains called phishing.
    pub fp: u64,
    pub benign: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// fp / benign.
    pub false_positive_rate: f64,
}

impl Figures {
    fn finish(mut self) -> Figures {
        let called = self.tp + self.wrong_brand + self.fp;
        self.precision = ratio(self.tp, called);
        self.recall = ratio(self.tp, self.positives);
        self.f1 = if self.precision + self.recall > 0.0 {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        } else {
            0.0
        };
        self.false_positive_rate = ratio(self.fp, self.benign);
        self
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Figures for one scorer.
#[derive(Debug, Clone, Serialize)]
pub struct ScorerReport {
    pub branded: Figures,
    pub visible: Figures,
    pub other: Figures,
    pub per_brand: BTreeMap<String, Figures>,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub rows: u64,
    pub branded_rows: u64,
    pub visible_rows: u64,
    pub other_rows: u64,
    pub benign_domains: u64,
    /// Benign domains a registry brand owns (never called phishing by
    /// `borderscope`; the baseline has no such list).
    pub benign_owned_by_brands: u64,
    pub borderscope: ScorerReport,
    pub baseline: ScorerReport,
    /// Examples of borderscope's errors, for inspection: visible rows
    /// missed (URL, target, what was said) and benign domains called
    /// phishing.
    #[serde(skip)]
    pub missed_visible: Vec<(String, String, String)>,
    #[serde(skip)]
    pub false_positives: Vec<(String, String)>,
}

/// One scorer's decision: called phishing, and with which brand.
type Call = (bool, Option<BrandId>);

/// Runs both scorers over the dump rows and the benign domains.
pub fn evaluate(registry: &Registry, rows: &[PhishRow], benign: &[String]) -> Evaluation {
    let scorer = Scorer::new(registry.clone());
    let catcher = Catcher::new(registry);
    let ours = |input: &str| -> Call {
        let v = scorer.score(input);
        (v.phishing, v.brand_id)
    };
    let theirs = |input: &str| -> Call {
        let s = catcher.score(input);
        (s.flagged(), s.brand)
    };
    let labels: Vec<(Option<BrandId>, bool)> = rows
        .iter()
        .map(|r| {
            let brand = registry.by_name(&r.target);
            let visible = brand.is_some_and(|b| brand_visible(&r.url, registry, b));
            (brand, visible)
        })
        .collect();
    Evaluation {
        rows: rows.len() as u64,
        branded_rows: labels.iter().filter(|l| l.0.is_some()).count() as u64,
        visible_rows: labels.iter().filter(|l| l.1).count() as u64,
        other_rows: labels.iter().filter(|l| l.0.is_none()).count() as u64,
        benign_domains: benign.len() as u64,
        benign_owned_by_brands: benign
            .iter()
            .filter(|d| registry.owner(d).is_some())
            .count() as u64,
        borderscope: report(registry, rows, &labels, benign, &ours),
        baseline: report(registry, rows, &labels, benign, &theirs),
        missed_visible: rows
            .iter()
            .zip(&labels)
            .filter(|(_, (_, visible))| *visible)
            .filter_map(|(r, (truth, _))| {
                let v = scorer.score(&r.url);
                let right = v.phishing && v.brand_id == *truth;
                (!right).then(|| (r.url.clone(), r.target.clone(), v.reasons.join("; ")))
            })
            .collect(),
        false_positives: benign
            .iter()
            .filter_map(|d| {
                let v = scorer.score(d);
                v.phishing.then(|| (d.clone(), v.reasons.join("; ")))
            })
            .collect(),
    }
}

fn report(
    registry: &Registry,
    rows: &[PhishRow],
    labels: &[(Option<BrandId>, bool)],
    benign: &[String],
    call: &dyn Fn(&str) -> Call,
) -> ScorerReport {
    let mut branded = Figures::default();
    let mut visible = Figures::default();
    let mut other = Figures::default();
    let mut per_brand: BTreeMap<BrandId, Figures> = BTreeMap::new();
    for (row, (truth, is_visible)) in rows.iter().zip(labels) {
        let (phishing, brand) = call(&row.url);
        let Some(truth) = truth else {
            other.positives += 1;
            other.tp += u64::from(phishing);
            continue;
        };
        let mut sets = vec![&mut branded];
        if *is_visible {
            sets.push(&mut visible);
        }
        let per = per_brand.entry(*truth).or_default();
        sets.push(per);
        for f in sets {
            f.positives += 1;
            match (phishing, brand == Some(*truth)) {
                (true, true) => f.tp += 1,
                (true, false) => f.wrong_brand += 1,
                _ => {}
            }
        }
    }
    for domain in benign {
        let (phishing, brand) = call(domain);
        for f in [&mut branded, &mut visible, &mut other] {
            f.benign += 1;
            f.fp += u64::from(phishing);
        }
        if let (true, Some(b)) = (phishing, brand) {
            per_brand.entry(b).or_default().fp += 1;
        }
    }
    let per_brand = per_brand
        .into_iter()
        .map(|(id, f)| {
            let f = Figures {
                benign: benign.len() as u64,
                ..f
            };
            (registry.get(id).name.clone(), f.finish())
        })
        .collect();
    ScorerReport {
        branded: branded.finish(),
        visible: visible.finish(),
        other: other.finish(),
        per_brand,
    }
}

/// Which part of a deterministic split an input falls in: `true` for the
/// held-apart (test) part. The split is by registrable domain, so all the
/// URLs of one phishing domain (and a benign domain with them) land on the
/// same side and a rule tuned on one URL of a domain cannot be credited on
/// its siblings. One domain in three is held apart (FNV-1a of the domain).
pub fn held_apart(input: &str) -> bool {
    let key = match crate::url::parse_target(input) {
        Ok(t) => t.registrable.clone().unwrap_or_else(|| t.host_text()),
        Err(_) => input.to_string(),
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h.is_multiple_of(3)
}

/// Whether a person reading the URL could see the brand: one of its
/// keywords or domains as a substring, one of its words as a token (or the
/// start or end of one), after percent-decoding and folding confusables; or
/// a token one edit from a keyword of five letters or more.
pub fn brand_visible(url: &str, registry: &Registry, brand: BrandId) -> bool {
    let b = registry.get(brand);
    let target = crate::url::parse_target(url).ok();
    // A page on the brand's own platform (`x-my.sharepoint.com` for
    // Microsoft) does not show the brand by imitating it: only its path counts.
    let on_own_platform = target.as_ref().is_some_and(|t| {
        let host = t.host_text();
        registry.hosting_owner(&host) == Some(brand) || registry.owner(&host) == Some(brand)
    });
    let decoded = match (&target, on_own_platform) {
        (Some(t), true) => t.raw_path.to_lowercase(),
        _ => percent_decode(url).to_lowercase(),
    };
    let text = match target
        .and_then(|t| t.unicode_host)
        .filter(|_| !on_own_platform)
    {
        Some(h) => format!("{decoded} {h}"),
        None => decoded,
    };
    let folded = text::fold(&text);
    if b.domains.iter().any(|d| text.contains(d.as_str())) {
        return true;
    }
    if b.keywords.iter().any(|k| folded.contains(&text::fold(k))) {
        return true;
    }
    let tokens = text::tokens(&folded);
    let word_seen = b.words.iter().any(|w| {
        let w = text::fold(w);
        tokens
            .iter()
            .any(|t| t.starts_with(w.as_str()) || t.ends_with(w.as_str()))
    });
    word_seen
        || b.keywords.iter().any(|k| {
            tokens.iter().any(|t| {
                text::typo_of(t, k)
                    .is_some_and(|ty| !matches!(ty, text::Typo::TwoEdits | text::Typo::TwoSlips))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(url: &str, target: &str) -> PhishRow {
        PhishRow {
            position: 1,
            url: url.into(),
            target: target.into(),
            submitted: None,
            verified: None,
        }
    }

    #[test]
    fn visibility_is_judged_from_the_url_alone() {
        let r = Registry::builtin();
        let paypal = r.by_name("PayPal").unwrap();
        assert!(brand_visible("http://x.example/PayPal%20Login", &r, paypal));
        assert!(brand_visible("http://paypa1-x.example/", &r, paypal));
        assert!(brand_visible("http://paypak.example/", &r, paypal));
        assert!(!brand_visible("http://x.example/wp/login.php", &r, paypal));
        let ms = r.by_name("Microsoft").unwrap();
        assert!(!brand_visible(
            "https://x-my.sharepoint.com/personal/a/doc",
            &r,
            ms
        ));
        assert!(brand_visible(
            "https://x-my.sharepoint.com/personal/a/outlook.htm",
            &r,
            ms
        ));
    }

    #[test]
    fn split_is_by_registrable_domain_and_stable() {
        assert_eq!(
            held_apart("http://a.paypal-login.example.com/x"),
            held_apart("https://b.paypal-login.example.com/y?z")
        );
        let part: Vec<bool> = (0..300)
            .map(|i| held_apart(&format!("site{i}.example")))
            .collect();
        let apart = part.iter().filter(|p| **p).count();
        assert!((70..130).contains(&apart), "{apart} of 300 held apart");
        // Input that does not parse is split by its text, without panicking.
        assert_eq!(held_apart("::::"), held_apart("::::"));
    }

    #[test]
    fn figures_count_wrong_brands_against_precision() {
        let r = Registry::builtin();
        let rows = vec![
            row("http://paypal-login.example/", "PayPal"),
            row("http://hacked.example/x/", "PayPal"),
            row("http://apple-id-login.example/", "PayPal"),
            row("http://bpce-login.example/", "Other"),
        ];
        let benign = vec!["paypal.com".to_string(), "example.org".to_string()];
        let e = evaluate(&r, &rows, &benign);
        let b = &e.borderscope.branded;
        assert_eq!((b.positives, b.tp, b.wrong_brand, b.fp), (3, 1, 1, 0));
        assert!((b.precision - 0.5).abs() < 1e-9);
        assert!((b.recall - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(e.borderscope.visible.positives, 1);
        assert_eq!(e.other_rows, 1);
        assert_eq!(e.benign_owned_by_brands, 1);
        // The baseline flags the brand's own domain.
        assert!(e.baseline.branded.fp >= 1);
    }
}

/// Figures of the page scorer on a labelled folder of saved pages.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageFigures {
    pub phish: u64,
    pub benign: u64,
    pub tp: u64,
    pub fp: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Phishing pages whose labelled brand is in the registry.
    pub phish_with_registry_brand: u64,
    /// Of those, called phishing with that brand.
    pub right_brand: u64,
}

/// The page evaluation in three modes: the URL's host alone, the content
/// alone (no URL), and both.
#[derive(Debug, Clone, Serialize)]
pub struct PageEvaluation {
    pub url_only: PageFigures,
    pub content_only: PageFigures,
    pub url_and_content: PageFigures,
    pub unreadable: Vec<String>,
}

/// One labelled page: `index.csv` rows `file,label,brand,domain,...`.
#[derive(Debug, Clone)]
pub struct LabelledPage {
    pub file: std::path::PathBuf,
    pub phish: bool,
    pub brand: String,
    pub domain: Option<String>,
}

/// Reads `index.csv` of a labelled page folder.
pub fn read_page_index(
    dir: &std::path::Path,
) -> anyhow::Result<(Vec<LabelledPage>, Vec<crate::feeds::BadRow>)> {
    use anyhow::Context;
    let path = dir.join("index.csv");
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let header = csv.headers()?.clone();
    let col = |n: &str| header.iter().position(|h| h.trim() == n);
    let (Some(f), Some(l), Some(b), Some(d)) =
        (col("file"), col("label"), col("brand"), col("domain"))
    else {
        anyhow::bail!(
            "{}: needs columns file, label, brand, domain",
            path.display()
        );
    };
    let mut pages = Vec::new();
    let mut bad = Vec::new();
    for rec in csv.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                bad.push(crate::feeds::BadRow::new(
                    e.position().map_or(0, |p| p.line()),
                    e.to_string(),
                ));
                continue;
            }
        };
        let position = rec.position().map_or(0, |p| p.line());
        let label = rec.get(l).unwrap_or("").trim();
        let phish = match label {
            "phish" | "phishing" => true,
            "benign" => false,
            other => {
                bad.push(crate::feeds::BadRow::new(
                    position,
                    format!("label `{other}` is neither phish nor benign"),
                ));
                continue;
            }
        };
        let Some(file) = rec.get(f).filter(|s| !s.trim().is_empty()) else {
            bad.push(crate::feeds::BadRow::new(position, "no file"));
            continue;
        };
        pages.push(LabelledPage {
            file: dir.join(file.trim()),
            phish,
            brand: rec.get(b).unwrap_or("").trim().to_string(),
            domain: rec
                .get(d)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        });
    }
    Ok((pages, bad))
}

/// Scores every labelled page in the three modes.
pub fn evaluate_pages(scorer: &crate::page::PageScorer, pages: &[LabelledPage]) -> PageEvaluation {
    let mut modes = [
        PageFigures::default(),
        PageFigures::default(),
        PageFigures::default(),
    ];
    let mut unreadable = Vec::new();
    let registry = scorer.scorer().registry();
    for p in pages {
        let bytes = match std::fs::read(&p.file) {
            Ok(b) => b,
            Err(e) => {
                unreadable.push(format!("{}: {e}", p.file.display()));
                continue;
            }
        };
        let url = p.domain.as_ref().map(|d| format!("http://{d}/"));
        let verdicts = [
            url.as_deref()
                .map(|u| crate::page::from_url_verdict(scorer.scorer().score(u))),
            Some(scorer.score(&bytes, None)),
            Some(scorer.score(&bytes, url.as_deref())),
        ];
        let truth = registry.by_name(&p.brand);
        for (f, v) in modes.iter_mut().zip(verdicts) {
            let called = v.as_ref().is_some_and(|v| v.phishing);
            if p.phish {
                f.phish += 1;
                f.tp += u64::from(called);
                if let Some(t) = truth {
                    f.phish_with_registry_brand += 1;
                    let right = v
                        .as_ref()
                        .is_some_and(|v| v.phishing && v.brand_id == Some(t));
                    f.right_brand += u64::from(right);
                }
            } else {
                f.benign += 1;
                f.fp += u64::from(called);
            }
        }
    }
    let [url_only, content_only, url_and_content] = modes.map(|mut f| {
        f.precision = ratio(f.tp, f.tp + f.fp);
        f.recall = ratio(f.tp, f.phish);
        f.f1 = if f.precision + f.recall > 0.0 {
            2.0 * f.precision * f.recall / (f.precision + f.recall)
        } else {
            0.0
        };
        f
    });
    PageEvaluation {
        url_only,
        content_only,
        url_and_content,
        unreadable,
    }
}
