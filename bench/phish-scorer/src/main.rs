// The phishing scorer's modules (score, text, url, brands) compiled without
// DataFusion, for measuring rule changes in minutes on a busy machine. It
// repeats `eval::brand_visible` and `eval::held_apart` (keep them in step)
// and reproduces `borderscope eval phishing`'s "visible" and "other" rows.
// Usage: phish-scorer-bench URLS TARGETS BENIGN all|dev|test [1 = print errors]
// (URLS and TARGETS: one dump row a line, from the CSV's url and target).
#![allow(dead_code)]
#[path = "../../../crates/phish/src/brands.rs"]
mod brands;
#[path = "../../../crates/phish/src/score.rs"]
mod score;
#[path = "../../../crates/phish/src/text.rs"]
mod text;
#[path = "../../../crates/phish/src/url.rs"]
mod url;

use brands::{BrandId, Registry};

fn held_apart(input: &str) -> bool {
    let key = match url::parse_target(input) {
        Ok(t) => t.registrable.clone().unwrap_or_else(|| t.host_text()),
        Err(_) => input.to_string(),
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % 3 == 0
}

fn brand_visible(u: &str, registry: &Registry, brand: BrandId) -> bool {
    let b = registry.get(brand);
    let target = url::parse_target(u).ok();
    let on_own_platform = target.as_ref().is_some_and(|t| {
        let host = t.host_text();
        registry.hosting_owner(&host) == Some(brand) || registry.owner(&host) == Some(brand)
    });
    let decoded = match (&target, on_own_platform) {
        (Some(t), true) => t.raw_path.to_lowercase(),
        _ => url::percent_decode(u).to_lowercase(),
    };
    let txt = match target.and_then(|t| t.unicode_host).filter(|_| !on_own_platform) {
        Some(h) => format!("{decoded} {h}"),
        None => decoded,
    };
    let folded = text::fold(&txt);
    if b.domains.iter().any(|d| txt.contains(d.as_str())) {
        return true;
    }
    if b.keywords.iter().any(|k| folded.contains(&text::fold(k))) {
        return true;
    }
    let tokens = text::tokens(&folded);
    let word_seen = b.words.iter().any(|w| {
        let w = text::fold(w);
        tokens.iter().any(|t| t.starts_with(w.as_str()) || t.ends_with(w.as_str()))
    });
    word_seen
        || b.keywords.iter().any(|k| {
            tokens.iter().any(|t| {
                text::typo_of(t, k).is_some_and(|ty| ty_one_edit(ty))
            })
        })
}

// args: urls targets benign part(all|dev|test) errors(0/1)
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let urls: Vec<String> = std::fs::read_to_string(&a[1]).unwrap().lines().map(String::from).collect();
    let targets: Vec<String> = std::fs::read_to_string(&a[2]).unwrap().lines().map(String::from).collect();
    let benign: Vec<String> = std::fs::read_to_string(&a[3]).unwrap().lines().map(|l| l.trim().to_lowercase()).filter(|l| !l.is_empty()).collect();
    let part = a[4].as_str();
    let show = a.get(5).is_some_and(|s| s == "1");
    let keep = |s: &str| match part { "dev" => !held_apart(s), "test" => held_apart(s), _ => true };
    let reg = Registry::builtin();
    let sc = score::Scorer::new(reg.clone());
    let (mut vis, mut tp, mut wrong, mut fp, mut nb) = (0, 0, 0, 0, 0);
    let (mut other, mut other_tp) = (0, 0);
    for (u, t) in urls.iter().zip(&targets) {
        if !keep(u) { continue; }
        let Some(truth) = reg.by_name(t) else {
            other += 1;
            if sc.score(u).phishing { other_tp += 1; }
            continue;
        };
        if !brand_visible(u, &reg, truth) { continue; }
        vis += 1;
        let v = sc.score(u);
        if v.phishing && v.brand_id == Some(truth) { tp += 1; }
        else {
            if v.phishing { wrong += 1; }
            if show { println!("MISS\t{t}\t{u}\t{:.2}\t{}", v.score, v.reasons.join("; ")); }
        }
    }
    for d in &benign {
        if !keep(d) { continue; }
        nb += 1;
        let v = sc.score(d);
        if v.phishing { fp += 1; if show { println!("FP\t{d}\t{:.2}\t{}", v.score, v.reasons.join("; ")); } }
    }
    let p = tp as f64 / (tp + wrong + fp) as f64;
    let r = tp as f64 / vis as f64;
    println!("part {part}: visible {vis} tp {tp} wrong {wrong} fp {fp}/{nb} P {p:.3} R {r:.3} | other {other} tp {other_tp} R {:.3}", other_tp as f64 / other as f64);
}
fn ty_one_edit(ty: text::Typo) -> bool { !matches!(ty, text::Typo::TwoEdits | text::Typo::TwoSlips) }
