//! Impersonation scoring of one URL or host name: which protected brand it
//! imitates, how strongly, and why.
//!
//! A score is the strongest brand match (by where the brand shows and how
//! faithfully) plus small context bonuses (suspicious TLD, credential words,
//! IP host, IDN, entropy, depth). Context alone never reaches the phishing
//! threshold: without a brand there is nothing to say a page imitates. A
//! host under a domain a brand owns never scores at all.

use std::collections::HashSet;

use serde::Serialize;

use crate::brands::{BrandId, Registry};
use crate::text::{self, Typo};
use crate::url::{parse_target, Host, Target};

/// Scores at or above this are called phishing.
pub const THRESHOLD: f64 = 0.5;

/// Context alone (no brand) is capped below the threshold.
const CONTEXT_CAP: f64 = 0.45;

/// Top-level domains cheap or free to register and over-represented in
/// phishing and abuse reports (Spamhaus, APWG, Interisle).
const SUSPICIOUS_TLDS: &[&str] = &[
    "tk",
    "ml",
    "ga",
    "cf",
    "gq",
    "xyz",
    "top",
    "club",
    "online",
    "site",
    "website",
    "space",
    "icu",
    "buzz",
    "work",
    "live",
    "pw",
    "cc",
    "click",
    "link",
    "loan",
    "win",
    "review",
    "party",
    "racing",
    "download",
    "stream",
    "gdn",
    "men",
    "bid",
    "trade",
    "date",
    "science",
    "kim",
    "country",
    "cricket",
    "faith",
    "accountant",
    "webcam",
    "support",
    "fun",
    "host",
    "press",
    "shop",
    "store",
    "tech",
    "vip",
    "rest",
    "cyou",
    "monster",
    "sbs",
    "cfd",
    "quest",
    "bar",
    "mom",
    "lol",
    "ren",
    "xin",
    "zip",
    "mov",
];

/// Where in the URL a brand showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Path,
    UserInfo,
    Subdomain,
    RegistrableName,
}

/// How faithfully it showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The whole label is the brand name (`paypal.tk`).
    Exact,
    /// The brand name with phishing words only (`paypal-login`, `secureapple`).
    Combined,
    /// The brand name inside a longer name with other words
    /// (`paypalresolution`): weak, brands register such names themselves.
    Joined,
    /// The same with something brands do not put in their own names: a
    /// lure word (`binance-airdrops`) or a stray short token set off by
    /// hyphens (`icloud-us-fmi`, `binance-in`).
    JoinedWith(&'static str),
    /// The brand named (in a path).
    Named,
    /// One of the brand's own domains written inside the URL.
    Domain,
    /// Only after folding confusable characters, with non-ASCII present.
    Homoglyph,
    /// Only after folding ASCII lookalikes (`paypa1`, `rn` for `m`).
    Lookalike,
    Typo(Typo),
    /// A typo of the brand left after taking phishing words off the name
    /// (`micosrftonline`): the words are the supporting evidence.
    TypoWithWords(Typo),
}

/// One brand sighting in a URL.
#[derive(Debug, Clone)]
pub struct Hit {
    pub brand: BrandId,
    pub term: String,
    pub place: Place,
    pub how: How,
    pub score: f64,
}

impl Hit {
    fn reason(&self, registry: &Registry) -> String {
        let brand = &registry.get(self.brand).name;
        let place = match self.place {
            Place::RegistrableName => "in the registered name",
            Place::Subdomain => "in a subdomain of a foreign domain",
            Place::UserInfo => "before an @ (user info), ahead of the real host",
            Place::Path => "in the path of a foreign host",
        };
        let how = match self.how {
            How::Exact => format!("`{}` ({brand}) as the whole name", self.term),
            How::Combined => format!("`{}` ({brand}) with phishing words", self.term),
            How::Joined => format!("`{}` ({brand}) inside a longer name", self.term),
            How::JoinedWith(what) => {
                format!("`{}` ({brand}) inside a longer name with {what}", self.term)
            }
            How::Named => format!("`{}` ({brand}) named", self.term),
            How::Domain => format!("{brand}'s domain `{}`", self.term),
            How::Homoglyph => format!(
                "homoglyph of `{}` ({brand}): confusable Unicode characters",
                self.term
            ),
            How::Lookalike => format!(
                "lookalike of `{}` ({brand}): characters that look alike",
                self.term
            ),
            How::Typo(t) => format!("typo of `{}` ({brand}): {}", self.term, t.describe()),
            How::TypoWithWords(t) => format!(
                "typo of `{}` ({brand}): {}, with phishing words",
                self.term,
                t.describe()
            ),
        };
        format!("{how} {place} [{:.2}]", self.score)
    }
}

/// The score of one input, as `borderscope score url` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub input: String,
    pub phishing: bool,
    pub score: f64,
    pub brand: Option<String>,
    pub country: Option<String>,
    pub reasons: Vec<String>,
    #[serde(skip)]
    pub brand_id: Option<BrandId>,
    /// The host as parsed (canonical text), when the input parsed.
    #[serde(skip)]
    pub host: Option<String>,
    /// Its registrable domain under the public suffix list (`None` for IP
    /// literals and hosts that are a public suffix).
    #[serde(skip)]
    pub registered_domain: Option<String>,
    /// The host belongs to the brand (never phishing).
    #[serde(skip)]
    pub legitimate: bool,
}

/// A brand's term prepared for matching.
#[derive(Debug, Clone)]
struct Term {
    brand: BrandId,
    text: String,
    folded: String,
    /// Ordinary words: whole tokens (or joined to combo words) only.
    word_only: bool,
}

/// Scores URLs against a brand registry.
#[derive(Debug, Clone)]
pub struct Scorer {
    registry: Registry,
    terms: Vec<Term>,
}

/// The text of one host label, prepared once.
struct Field {
    tokens: Vec<String>,
    joined: String,
    /// `joined` with confusable characters folded.
    folded_joined: String,
    /// The label without separators, with phishing words taken off its
    /// ends in every way (the label itself included).
    label_cores: HashSet<String>,
    /// Those cores and each token's, folded (confusables) ...
    folded_cores: HashSet<String>,
    /// ... and as written.
    ascii_cores: HashSet<String>,
    non_ascii: bool,
}

impl Field {
    /// A token other than `except` that is a phishing word or holds a
    /// credential word (`accessifyverification`).
    fn has_phishing_word(&self, except: &str) -> bool {
        self.tokens.iter().filter(|t| *t != except).any(|t| {
            text::COMBO_WORDS.contains(&t.as_str())
                || text::CREDENTIAL_WORDS.iter().any(|w| t.contains(w))
        })
    }

    fn new(raw: &str) -> Field {
        let tokens = text::tokens(raw);
        let joined: String = tokens.concat();
        let label_cores = text::cores(&joined);
        let mut ascii_cores: HashSet<String> = label_cores.clone();
        for t in &tokens {
            ascii_cores.extend(text::cores(t));
        }
        let folded_cores = ascii_cores.iter().map(|c| text::fold(c)).collect();
        Field {
            label_cores,
            folded_cores,
            ascii_cores,
            non_ascii: !raw.is_ascii(),
            folded_joined: text::fold(&joined),
            joined,
            tokens,
        }
    }
}

impl Scorer {
    pub fn new(registry: Registry) -> Scorer {
        let mut terms = Vec::new();
        for (id, brand) in registry.brands().iter().enumerate() {
            let words = brand.words.iter().map(|w| (w, true));
            for (t, word_only) in brand.keywords.iter().map(|k| (k, false)).chain(words) {
                terms.push(Term {
                    brand: id,
                    text: t.clone(),
                    folded: text::fold(t),
                    word_only,
                });
            }
        }
        Scorer { registry, terms }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Scores one URL or host name. Input that is not a URL scores 0 with
    /// the parse error as its reason.
    pub fn score(&self, input: &str) -> Verdict {
        let mut v = Verdict {
            input: input.to_string(),
            phishing: false,
            score: 0.0,
            brand: None,
            country: None,
            reasons: Vec::new(),
            brand_id: None,
            host: None,
            registered_domain: None,
            legitimate: false,
        };
        let target = match parse_target(input) {
            Ok(t) => t,
            Err(e) => {
                v.reasons.push(format!("not scored: {e}"));
                return v;
            }
        };
        v.host = Some(target.host_text());
        v.registered_domain = target.registrable.clone();
        if let Host::Domain(d) = &target.host {
            if let Some(owner) = self.registry.owner(d) {
                let brand = self.registry.get(owner);
                v.set_brand(owner, &self.registry);
                v.legitimate = true;
                v.reasons.push(format!(
                    "legitimate: a domain of {} (never scored)",
                    brand.name
                ));
                return v;
            }
        }
        let mut hits = self.hits(&target);
        let mut context = context(&target);
        if let Host::Domain(d) = &target.host {
            if let Some((platform, entry)) = self.registry.hosting_entry(d) {
                // The platform's own name in its host and paths (`sites.
                // google.com`, `sharepoint.com/.../onedrive.aspx`) says
                // nothing about the page; only labels its users chose do.
                hits.retain(|h| h.brand != platform);
                let user_labels = d.strip_suffix(entry).unwrap_or("").trim_end_matches('.');
                for label in user_labels.split('.').filter(|l| !l.is_empty()) {
                    let mut own = Vec::new();
                    self.match_field(&Field::new(label), Place::Subdomain, &mut own);
                    hits.extend(own.into_iter().filter(|h| h.brand == platform));
                }
                let name = &self.registry.get(platform).name;
                context.push((
                    0.05,
                    format!("user content on {name}'s publishing platform"),
                ));
            }
        }
        let best = best_brand(&hits);
        // A fold from 0.0: an empty f64 sum is -0.0, printed as `-0.0`.
        let context_score: f64 = context.iter().fold(0.0, |acc, (s, _)| acc + s);
        match best {
            Some(brand) => {
                let mut brand_hits: Vec<&Hit> = hits.iter().filter(|h| h.brand == brand).collect();
                brand_hits.sort_by(|a, b| b.score.total_cmp(&a.score));
                v.score = (brand_hits[0].score + context_score).min(1.0);
                v.set_brand(brand, &self.registry);
                v.reasons
                    .extend(brand_hits.iter().map(|h| h.reason(&self.registry)));
            }
            None => v.score = context_score.min(CONTEXT_CAP),
        }
        v.reasons
            .extend(context.into_iter().map(|(s, r)| format!("{r} [+{s:.2}]")));
        if target.truncated {
            v.reasons.push(format!(
                "input longer than {} bytes: scored on its start",
                crate::url::MAX_INPUT
            ));
        }
        v.score = (v.score * 100.0).round() / 100.0;
        v.phishing = v.score >= THRESHOLD;
        v
    }

    /// Every brand sighting in the URL.
    pub fn hits(&self, target: &Target) -> Vec<Hit> {
        let mut hits = Vec::new();
        if let Some(label) = target.registrable_label() {
            let field = Field::new(&label);
            // A label under a private suffix (a hosting platform's user
            // site) is a user's free choice, like a subdomain.
            let place = if target.private_suffix {
                Place::Subdomain
            } else {
                Place::RegistrableName
            };
            self.match_field(&field, place, &mut hits);
        }
        let subs = target.subdomain_labels();
        for label in &subs {
            self.match_field(&Field::new(label), Place::Subdomain, &mut hits);
        }
        self.match_domains(&subs.join("."), Place::Subdomain, &mut hits);
        if let Some(user) = &target.userinfo {
            self.match_field(&Field::new(user), Place::UserInfo, &mut hits);
            self.match_domains(user, Place::UserInfo, &mut hits);
        }
        if !target.path.is_empty() {
            self.match_path(&target.path, &target.raw_path, &mut hits);
        }
        hits
    }

    fn match_field(&self, field: &Field, place: Place, hits: &mut Vec<Hit>) {
        if field.joined.is_empty() {
            return;
        }
        for term in &self.terms {
            if let Some(how) = match_term(term, field, place) {
                hits.push(Hit {
                    brand: term.brand,
                    term: term.text.clone(),
                    place,
                    how,
                    score: base_score(place, how),
                });
            }
        }
    }

    /// A brand's full domain written into a subdomain or user info
    /// (`paypal.com.secure-login.example`).
    fn match_domains(&self, text: &str, place: Place, hits: &mut Vec<Hit>) {
        if text.is_empty() {
            return;
        }
        let padded = format!(".{text}.");
        for (id, brand) in self.registry.brands().iter().enumerate() {
            for d in &brand.domains {
                if d.contains('.') && padded.contains(&format!(".{d}.")) {
                    hits.push(Hit {
                        brand: id,
                        term: d.clone(),
                        place,
                        how: How::Domain,
                        score: 0.95,
                    });
                }
            }
        }
    }

    /// A brand named in the path of a foreign host: how kits on hacked
    /// sites and free hosting show it (`/wp-content/paypal/webscr.php`).
    fn match_path(&self, path: &str, raw_path: &str, hits: &mut Vec<Hit>) {
        let tokens = text::tokens(path);
        let cores: HashSet<String> = tokens
            .iter()
            .take(64)
            .flat_map(|t| text::cores(t))
            .collect();
        // Folded from the original case: `PayPaI` (capital i) is `paypal`.
        let folded: HashSet<String> = raw_path
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .take(64)
            .flat_map(|t| text::cores(&text::fold(t)))
            .collect();
        for term in &self.terms {
            let short = term.text.chars().count() <= 3;
            // Short names also count joined to phishing words only
            // (`/aolbilling/`, `LoginNAB.html`): `cores` takes those off.
            let (score, how) =
                if !term.word_only && !short && tokens.iter().any(|t| t.contains(&term.text)) {
                    (0.55, How::Named)
                } else if short {
                    if !tokens.contains(&term.text) && !cores.contains(&term.text) {
                        continue;
                    }
                    (0.5, How::Named)
                } else if cores.contains(&term.text) || folded.contains(&term.folded) {
                    (0.5, How::Named)
                } else if let Some(t) = path_typo(term, &cores, &folded) {
                    // A misspelt brand in a path (`/PayPl/`, `/outloook/`)
                    // is weaker than the name itself: many are other words
                    // or names, so it takes a credential word or another
                    // sign to reach the threshold.
                    (0.45, How::Typo(t))
                } else {
                    continue;
                };
            hits.push(Hit {
                brand: term.brand,
                term: term.text.clone(),
                place: Place::Path,
                how,
                score,
            });
        }
        for (id, brand) in self.registry.brands().iter().enumerate() {
            for d in brand.domains.iter().filter(|d| d.contains('.')) {
                if contains_domain(path, d) {
                    hits.push(Hit {
                        brand: id,
                        term: d.clone(),
                        place: Place::Path,
                        how: How::Domain,
                        score: 0.7,
                    });
                }
            }
        }
    }
}

impl Verdict {
    fn set_brand(&mut self, id: BrandId, registry: &Registry) {
        let b = registry.get(id);
        self.brand_id = Some(id);
        self.brand = Some(b.name.clone());
        self.country = Some(b.country.clone());
    }
}

/// A one-edit typo of a distinctive keyword among a path's token cores
/// (as written or folded). Ordinary-word names and two-edit typos are left
/// out: in free text they are mostly other words.
fn path_typo(term: &Term, cores: &HashSet<String>, folded: &HashSet<String>) -> Option<Typo> {
    // Five letters or fewer are too close to names and words (`gail`).
    if term.word_only || term.text.chars().count() < 6 {
        return None;
    }
    let one = |t: &Typo| !matches!(t, Typo::TwoEdits | Typo::TwoSlips);
    cores
        .iter()
        .filter_map(|c| text::typo_of(c, &term.text))
        .find(one)
        .or_else(|| {
            folded
                .iter()
                .filter_map(|c| text::typo_of(c, &term.folded))
                .find(one)
        })
}

/// `d` in `text` with no letter or digit directly before or after it.
fn contains_domain(text: &str, d: &str) -> bool {
    text.match_indices(d).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + d.len()..].chars().next();
        let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '-');
        boundary(before) && boundary(after)
    })
}

fn match_term(term: &Term, f: &Field, place: Place) -> Option<How> {
    // In a subdomain of someone else's domain a name that is also a word
    // counts beside any phishing word (`aol-service-info.example`), not
    // only when every other token is one: nobody has a reason to put a
    // brand and `service` or `verify` under a domain that is not theirs.
    let in_subdomain = place == Place::Subdomain;
    // Names of three letters or fewer (`ing`, `ups`, `att`) are also word
    // endings: they count only as whole tokens beside phishing words.
    if term.text.chars().count() <= 3 {
        let others_combo = f.tokens.iter().filter(|t| **t != term.text).all(|t| {
            text::COMBO_WORDS.contains(&t.as_str()) || t.chars().all(|c| c.is_ascii_digit())
        });
        let combined = others_combo || (in_subdomain && f.has_phishing_word(&term.text));
        return (f.tokens.contains(&term.text) && combined).then_some(if f.tokens.len() == 1 {
            How::Exact
        } else {
            How::Combined
        });
    }
    // Strong: the label is the brand plus phishing vocabulary only.
    if f.label_cores.contains(&term.text) {
        return Some(if f.joined == term.text {
            How::Exact
        } else {
            How::Combined
        });
    }
    let lookalike = f.folded_cores.contains(&term.folded) && !f.ascii_cores.contains(&term.text);
    if lookalike {
        return Some(if f.non_ascii {
            How::Homoglyph
        } else {
            How::Lookalike
        });
    }
    if term.word_only {
        if in_subdomain && f.tokens.contains(&term.text) && f.has_phishing_word(&term.text) {
            return Some(How::Combined);
        }
        // An ordinary word next to other words is ordinary usage.
        return None;
    }
    // The brand written with lookalike characters inside a longer name
    // (`micr0s0ft0utlookwebapp`): nobody spells their own name that way.
    // Only with a digit, a non-ASCII letter or a letter pair standing for
    // another (`rn`, `vv`) in the name: folding any plain letter (`m` to
    // `rn`) finds brands by accident (`kamaveri` holds `naver`).
    let lookalike_signs = f.non_ascii
        || f.joined.chars().any(|c| c.is_ascii_digit())
        || f.joined.contains("rn")
        || f.joined.contains("vv");
    if !term.word_only
        && term.text.chars().count() >= 5
        && !f.joined.contains(&term.text)
        && lookalike_signs
        && f.folded_joined.contains(&term.folded)
    {
        return Some(How::JoinedWith("lookalike characters"));
    }
    if f.joined.contains(&term.text) {
        // One letter more than the brand is a slip of the brand
        // (`mymoneroo`), not another word joined to it.
        if f.joined.chars().count() == term.text.chars().count() + 1 {
            if let Some(t) = text::typo_of(&f.joined, &term.text) {
                return Some(How::Typo(t));
            }
        }
        return Some(joined_evidence(term, f).map_or(How::Joined, How::JoinedWith));
    }
    // Typos of a whole token, or of what remains after phishing words.
    // Prefer the typo that needed the fewest edits.
    let typo = |cores: &HashSet<String>, name: &str| {
        cores
            .iter()
            .filter_map(|c| text::typo_of(c, name).map(|t| (c, t)))
            .min_by_key(|(c, t)| (typo_rank(*t), c.len()))
            .map(|(c, t)| (c.clone(), t))
    };
    let (core, t) =
        typo(&f.ascii_cores, &term.text).or_else(|| typo(&f.folded_cores, &term.folded))?;
    let whole = std::iter::once(&f.joined)
        .chain(&f.tokens)
        .any(|t| *t == core || text::fold(t) == core);
    Some(if whole {
        How::Typo(t)
    } else {
        How::TypoWithWords(t)
    })
}

/// One-edit typos first, then two slips, then any two edits.
fn typo_rank(t: Typo) -> u8 {
    match t {
        Typo::TwoEdits => 2,
        Typo::TwoSlips => 1,
        _ => 0,
    }
}

/// Words phishing sites use to lure (giveaways, prizes, refunds); brands'
/// own infrastructure names do not use them.
const LURE_WORDS: &[&str] = &[
    "airdrop", "giveaway", "promo", "bonus", "reward", "prize", "winner", "refund", "cashback",
    "claim", "gift", "lottery",
];

/// Short tokens brands do put next to their name in their own domains
/// (`dropbox-dns`, `ads-twitter`): not evidence of a squat.
const INFRA_SHORT: &[&str] = &[
    "dns", "cdn", "api", "app", "ads", "ad", "img", "ssl", "net", "web", "dev", "int", "aws", "tv",
    "js", "css", "sdk", "ns", "mx", "go", "my", "hq", "inc", "co",
];

/// Why a brand inside a longer registered name looks like a squat rather
/// than the brand's own infrastructure, if it does.
fn joined_evidence(term: &Term, f: &Field) -> Option<&'static str> {
    let rest = f.joined.replacen(&term.text, " ", 1);
    if LURE_WORDS.iter().any(|w| rest.contains(w)) {
        return Some("a lure word");
    }
    // A phishing word starting or ending what surrounds the brand
    // (`paypal-customerfeedback`). Two- and three-letter ones (`my`, `id`,
    // `com`) start too many ordinary words to count here.
    let phishing_word = rest.split(' ').any(|piece| {
        text::COMBO_WORDS
            .iter()
            .filter(|w| w.len() >= 4)
            .any(|w| piece.len() > w.len() && (piece.starts_with(w) || piece.ends_with(w)))
    });
    if phishing_word {
        return Some("a phishing word");
    }
    // `binance-in`, `icloud-us-fmi`: a stray fragment of three letters or
    // fewer set apart by hyphens.
    let apart = f.tokens.len() >= 2
        && f.tokens.iter().any(|t| {
            !t.contains(term.text.as_str())
                && t.chars().count() <= 3
                && t.chars().all(|c| c.is_ascii_alphabetic())
                && !INFRA_SHORT.contains(&t.as_str())
        });
    apart.then_some("a short stray token")
}

fn base_score(place: Place, how: How) -> f64 {
    match (place, how) {
        // Usually the brand's own domain in a country we did not list; a
        // squat needs more evidence (suspicious TLD, credential words).
        (Place::RegistrableName, How::Exact) => 0.35,
        // Nobody names a subdomain of someone else's domain after a brand
        // for a good reason; in a registered name it is often the brand's own.
        (Place::Subdomain, How::Joined | How::JoinedWith(_)) => 0.6,
        (_, How::Joined) => 0.45,
        (_, How::JoinedWith(_)) => 0.55,
        // Two arbitrary edits of a long name are as often another company
        // (`spglobal`, `sbcglobal`): alone they stay below the threshold,
        // and a suspicious TLD or credential word lifts them over it.
        (Place::RegistrableName | Place::Subdomain, How::Typo(Typo::TwoEdits)) => 0.45,
        (Place::RegistrableName, How::Homoglyph) => 0.95,
        (Place::RegistrableName, How::Typo(_) | How::TypoWithWords(_)) => 0.8,
        (Place::RegistrableName, _) => 0.85,
        (Place::Subdomain, How::Typo(_) | How::TypoWithWords(_)) => 0.7,
        (Place::Subdomain, _) => 0.85,
        (Place::UserInfo, _) => 0.9,
        (Place::Path, _) => 0.6,
    }
}

/// The brand with the strongest hit; ties go to the longer term (more
/// specific), then to the more prominent place.
fn best_brand(hits: &[Hit]) -> Option<BrandId> {
    hits.iter()
        .max_by(|a, b| {
            a.score
                .total_cmp(&b.score)
                .then(a.term.len().cmp(&b.term.len()))
                .then(a.place.cmp(&b.place))
        })
        .map(|h| h.brand)
}

/// Context bonuses, each with its reason.
fn context(t: &Target) -> Vec<(f64, String)> {
    let mut out = Vec::new();
    let tld = t
        .suffix
        .as_deref()
        .and_then(|s| s.rsplit('.').next())
        .unwrap_or("");
    if SUSPICIOUS_TLDS.contains(&tld) {
        out.push((0.1, format!("suspicious TLD .{tld}")));
    }
    let host_words = match &t.host {
        Host::Domain(d) => text::tokens(d),
        Host::Ip(_) => Vec::new(),
    };
    let all_words: Vec<String> = host_words
        .iter()
        .cloned()
        .chain(text::tokens(&t.path))
        .collect();
    if let Some(w) = text::CREDENTIAL_WORDS
        .iter()
        .find(|w| all_words.iter().any(|t| t.contains(*w)))
    {
        out.push((0.1, format!("credential word `{w}`")));
    }
    if let Host::Ip(ip) = t.host {
        out.push((0.1, format!("IP-literal host {ip}")));
    }
    if let Some(u) = &t.unicode_host {
        let mixed = u.split('.').any(text::mixed_script);
        if mixed {
            out.push((0.1, format!("mixed scripts in the host name `{u}`")));
        } else {
            out.push((0.05, format!("internationalised (punycode) host `{u}`")));
        }
    }
    if t.private_suffix {
        if let Some(s) = &t.suffix {
            out.push((0.05, format!("user site on the hosting platform `{s}`")));
        }
    }
    if let Some(label) = t.registrable_label() {
        let e = text::entropy(&label);
        if label.chars().count() >= 12 && e >= 4.0 {
            out.push((
                0.05,
                format!("random-looking name (entropy {e:.1} bits/char)"),
            ));
        }
    }
    if let Host::Domain(d) = &t.host {
        let hyphens = d.matches('-').count();
        if hyphens >= 3 {
            out.push((0.05, format!("{hyphens} hyphens in the host name")));
        }
        let depth = t.subdomain_labels().len();
        if depth >= 3 {
            out.push((0.05, format!("{depth} levels of subdomain")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scorer() -> Scorer {
        Scorer::new(Registry::builtin())
    }

    fn check(input: &str, brand: &str) -> Verdict {
        let v = scorer().score(input);
        assert!(v.phishing, "{input}: {v:?}");
        assert_eq!(v.brand.as_deref(), Some(brand), "{input}: {v:?}");
        v
    }

    #[test]
    fn legitimate_domains_never_score() {
        let s = scorer();
        for input in [
            "paypal.com",
            "https://www.paypal.com/signin?verify=account",
            "login.microsoftonline.com",
            "https://accounts.google.com/ServiceLogin",
            "amazon.co.jp",
            "secure.bankofamerica.com/login",
            "impots.gouv.fr",
        ] {
            let v = s.score(input);
            assert_eq!(v.score, 0.0, "{input}: {v:?}");
            assert!(!v.phishing && v.legitimate, "{input}");
        }
    }

    #[test]
    fn combosquats_subdomains_and_paths() {
        let v = check("http://paypal-account-verify.com/", "PayPal");
        assert!(
            v.reasons.iter().any(|r| r.contains("phishing words")),
            "{v:?}"
        );
        check(
            "https://www.paypal.com.secure-login.example.net/x",
            "PayPal",
        );
        check("http://example.org/wp-content/paypal/webscr.php", "PayPal");
        check("http://secureappleid-login.com", "Apple");
        check("http://paypal.com@198.51.100.7/", "PayPal");
        check("https://paypal-verify.github.io/", "PayPal");
    }

    #[test]
    fn typos_homoglyphs_and_lookalikes() {
        let v = check("http://paypak.com/", "PayPal");
        assert!(v.reasons.iter().any(|r| r.contains("keyboard")), "{v:?}");
        let v = check("http://xn--pypal-4ve.com/", "PayPal"); // pаypal, Cyrillic а
        assert!(v.reasons.iter().any(|r| r.contains("homoglyph")), "{v:?}");
        assert!(
            v.reasons.iter().any(|r| r.contains("mixed scripts")),
            "{v:?}"
        );
        let v = check("http://rnicrosoft-support.com/", "Microsoft");
        assert!(v.reasons.iter().any(|r| r.contains("lookalike")), "{v:?}");
        check("faceb00k-login.tk", "Facebook");
    }

    #[test]
    fn words_match_only_as_tokens() {
        let s = scorer();
        for benign in [
            "pineapple.com",
            "steamboatresort.com",
            "singing.org",
            "oranges.net",
        ] {
            let v = s.score(benign);
            assert!(!v.phishing, "{benign}: {v:?}");
        }
        check("apple-id-verify.com", "Apple");
        check("chase-online-verify.com", "JPMorgan Chase");
    }

    #[test]
    fn two_edit_typos_need_supporting_evidence() {
        let s = scorer();
        // Two arbitrary edits of a long name: another company as often as
        // a squat, so not alone ...
        let v = s.score("spglobal.com");
        assert!(!v.phishing, "{v:?}");
        assert!(v.reasons.iter().any(|r| r.contains("two letters changed")));
        // ... but with a credential word, or as two typing slips.
        check("http://spglobal.com/login.php", "AT&T");
        let v = check("iinsttagram.com", "Instagram");
        assert!(v.reasons.iter().any(|r| r.contains("two typing slips")));
        // Phishing words taken off the name are the evidence.
        let v = check("micosrftonline.com", "Microsoft");
        assert!(v.reasons.iter().any(|r| r.contains("with phishing words")));
    }

    #[test]
    fn brand_inside_a_longer_name_needs_a_sign_of_a_squat() {
        let s = scorer();
        for own_style in [
            "dropbox-dns.com",
            "ads-twitter.com",
            "microsoftpersonalcontent.com",
        ] {
            let v = s.score(own_style);
            assert!(!v.phishing, "{own_style}: {v:?}");
        }
        let v = check("binance-airdrops.com", "Binance");
        assert!(v.reasons.iter().any(|r| r.contains("lure word")), "{v:?}");
        let v = check("icloud-us-fmi.com", "Apple");
        assert!(v.reasons.iter().any(|r| r.contains("short stray")), "{v:?}");
        let v = check("mymoneroo.com", "MyMonero");
        assert!(v.reasons.iter().any(|r| r.contains("doubled")), "{v:?}");
    }

    #[test]
    fn misspelt_and_short_names_in_paths() {
        let s = scorer();
        // A misspelt brand alone in a path stays below the threshold ...
        let v = s.score("http://example.org/gallery/PayPl/");
        assert!(!v.phishing && v.brand.as_deref() == Some("PayPal"), "{v:?}");
        // ... and passes it with a credential word.
        check("http://example.org/login.outloook/login.html", "Microsoft");
        // Short names joined to phishing words only.
        check("http://example.org/aolbilling/update.php", "AOL");
        let v = s.score("http://example.org/blog/aolympics.html");
        assert!(!v.phishing, "{v:?}");
    }

    #[test]
    fn word_names_in_foreign_subdomains_beside_phishing_words() {
        let s = scorer();
        check("https://aol-service-info.sitebuilder.example/", "AOL");
        check(
            "http://owa-accessifyverification.ukit.example/",
            "Microsoft",
        );
        let v = s.score("https://messagerie-orange-vocal.sitebuilder.example/");
        assert!(!v.phishing, "{v:?}");
        // In a registered name the stricter rule holds.
        let v = s.score("aol-service-info.com");
        assert!(!v.phishing, "{v:?}");
    }

    #[test]
    fn context_alone_is_not_phishing() {
        let v = scorer().score("http://198.51.100.7/secure/login/verify-account.php");
        assert!(!v.phishing, "{v:?}");
        assert!(v.score > 0.0 && v.score <= CONTEXT_CAP, "{v:?}");
        assert!(v.brand.is_none());
    }

    #[test]
    fn bad_inputs_score_zero_with_a_reason() {
        let s = scorer();
        for bad in ["", "http://", "http://exa mple.com", "::::"] {
            let v = s.score(bad);
            assert!(!v.phishing && v.score == 0.0, "{bad:?}: {v:?}");
            assert!(v.reasons[0].starts_with("not scored"), "{bad:?}: {v:?}");
        }
        let long = format!("http://paypal-login.example/{}", "a/".repeat(100_000));
        let v = s.score(&long);
        assert!(v.phishing);
        assert!(v.reasons.iter().any(|r| r.contains("longer than")));
    }
}
