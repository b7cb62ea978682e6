//! Running a report request: check the inputs, run every query over one
//! store snapshot, and keep the answers in a [`Report`] any renderer reads.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Result};
use borderscope_engine::Engine;
use borderscope_geo::{Constituency, CountryCode};
use borderscope_phish::Registry;
use serde::Serialize;

use crate::figures::{Family, Queries, FIGURES, TERMS};
use crate::period::Period;
use crate::sides::{Sides, UNKNOWN_COUNTRY};
use crate::table::{self, Table};

/// What to report on.
#[derive(Debug, Clone)]
pub struct Request {
    pub period: Period,
    pub target: CountryCode,
    /// `None`: every source country, ranked, with the country matrix.
    pub source: Option<CountryCode>,
    /// Networks and domains of the target beyond its geolocated addresses.
    pub constituency: Constituency,
    /// Brand registry extending the built-in one (its brands' domains are
    /// the target's websites too).
    pub brands: Option<PathBuf>,
}

/// Format version of the JSON report; bumped when its shape changes.
pub const REPORT_FORMAT: &str = "borderscope-report/1";

/// Everything a report says. Serialised as the JSON report, field order
/// and row order fixed, so the same store and request give the same bytes.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub format: &'static str,
    pub period: PeriodOut,
    pub target: Country,
    pub source: Option<Country>,
    pub constituency: ConstituencyOut,
    pub store: StoreOut,
    pub geolocation: Vec<String>,
    pub statements: Vec<String>,
    /// Figure key → value; `null` where the findings tables are missing.
    pub figures: BTreeMap<&'static str, Option<u64>>,
    pub details: Vec<FigureDetail>,
    pub by_source: Vec<SourceFigures>,
    pub matrix: Vec<Table>,
    pub evidence: Vec<Section>,
    /// Every counted server, page and implanter (up to a bound), for
    /// indicator sharing (the STIX form).
    pub listed: Vec<Table>,
    pub notes: Vec<String>,
    pub methodology: Vec<Term>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodOut {
    pub from: String,
    pub to: String,
    pub days: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Country {
    pub code: String,
    pub name: String,
}

impl Country {
    pub fn of(code: &str) -> Country {
        let name = CountryCode::parse(code)
            .and_then(|c| c.name())
            .unwrap_or("unknown country");
        Country {
            code: code.to_string(),
            name: name.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConstituencyOut {
    pub networks: Vec<String>,
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreOut {
    /// Table → the Delta version every figure was read at.
    pub versions: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FigureDetail {
    pub key: &'static str,
    pub family: &'static str,
    pub value: Option<u64>,
    pub definition: &'static str,
    pub sql: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceFigures {
    pub country: Country,
    pub figures: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub family: &'static str,
    /// `false` when the detector's tables are missing: nothing was measured.
    pub measured: bool,
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub term: &'static str,
    pub definition: &'static str,
}

/// Runs the request over the engine's snapshot.
pub async fn build(engine: &Engine, request: &Request) -> Result<Report> {
    check_request(request)?;
    let registry = Registry::builtin_with(request.brands.as_deref())?;
    let mut sides = Sides::new(request.target, request.source, &request.constituency);
    sides.add_domains(brand_domains(&registry, request.target));
    let q = Queries {
        sides: &sides,
        period: &request.period,
    };
    let mut figures: BTreeMap<&'static str, Option<u64>> =
        FIGURES.iter().map(|f| (f.key, None)).collect();
    let mut details_sql = BTreeMap::new();
    let mut per_source: BTreeMap<String, BTreeMap<&'static str, u64>> = BTreeMap::new();
    let mut evidence = Vec::new();
    let mut matrix = Vec::new();
    let mut listed = Vec::new();
    let mut notes = Vec::new();
    for family in Family::ALL {
        let (tables, command) = family.tables();
        let missing: Vec<&str> = tables
            .iter()
            .copied()
            .filter(|t| !engine.ctx().table_exist(*t).unwrap_or(false))
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "{} figures not measured: the store has no {} table{} (run `{command}`)",
                family.name(),
                missing.join(", "),
                if missing.len() > 1 { "s" } else { "" }
            ));
            evidence.push(Section {
                family: family.name(),
                measured: false,
                tables: Vec::new(),
            });
            continue;
        }
        let counted = run_family(engine, &q, family).await?;
        for (key, value) in counted.totals {
            figures.insert(key, Some(value));
            details_sql.insert(key, counted.sql.clone());
        }
        for (country, key, value) in counted.by_source {
            *per_source
                .entry(country)
                .or_default()
                .entry(key)
                .or_default() += value;
        }
        evidence.push(Section {
            family: family.name(),
            measured: true,
            tables: counted.evidence,
        });
        if request.source.is_none() {
            matrix.push(counted.matrix);
        }
        if counted.listed.rows.len() >= crate::figures::LISTED {
            notes.push(format!(
                "{}: only the first {} counted entries are listed",
                counted.listed.title,
                crate::figures::LISTED
            ));
        }
        listed.push(counted.listed);
    }
    notes.push(
        "Geolocation is the one given to this run, applied to every row whatever its date; \
         a re-run with other databases can attribute differently."
            .to_string(),
    );
    let by_source = rank_sources(per_source, &figures);
    let details = FIGURES
        .iter()
        .map(|f| FigureDetail {
            key: f.key,
            family: f.family.name(),
            value: figures.get(f.key).copied().flatten(),
            definition: f.definition,
            sql: details_sql.get(f.key).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(Report {
        format: REPORT_FORMAT,
        period: PeriodOut {
            from: request.period.from.to_string(),
            to: request.period.to.to_string(),
            days: request.period.days(),
        },
        target: Country::of(request.target.as_str()),
        source: request.source.map(|s| Country::of(s.as_str())),
        constituency: ConstituencyOut {
            networks: sides.networks.iter().map(|n| n.to_string()).collect(),
            domains: sides.domains.clone(),
        },
        store: StoreOut {
            versions: engine.snapshot().versions(),
        },
        geolocation: geolocation_sources(engine),
        statements: statements(request, &figures),
        figures,
        details,
        by_source,
        matrix,
        evidence,
        listed,
        notes,
        methodology: methodology(),
    })
}

fn check_request(request: &Request) -> Result<()> {
    for (flag, code) in [
        ("--target", Some(request.target)),
        ("--source", request.source),
    ] {
        if let Some(code) = code {
            if !code.is_assigned() {
                bail!("{flag} {code}: not an ISO 3166-1 country code");
            }
        }
    }
    if request.source == Some(request.target) {
        bail!(
            "--source and --target are both {}: the report counts cross-border relations",
            request.target
        );
    }
    Ok(())
}

/// Legitimate domains of the target country's brands: their websites are
/// the target's wherever they are hosted.
fn brand_domains(registry: &Registry, target: CountryCode) -> Vec<String> {
    registry
        .brands()
        .iter()
        .filter(|b| b.country.eq_ignore_ascii_case(target.as_str()))
        .flat_map(|b| b.domains.iter().map(|d| d.to_ascii_lowercase()))
        .collect()
}

/// One family's answers.
struct Counted {
    totals: Vec<(&'static str, u64)>,
    sql: String,
    by_source: Vec<(String, &'static str, u64)>,
    evidence: Vec<Table>,
    matrix: Table,
    listed: Table,
}

async fn run_family(engine: &Engine, q: &Queries<'_>, family: Family) -> Result<Counted> {
    let listed_sql = match family {
        Family::C2 => ("Counted control servers", q.c2_listed()),
        Family::Phishing => ("Counted phishing pages", q.phishing_listed()),
        Family::Backdoor => ("Counted backdoor implanters", q.backdoor_listed()),
    };
    let (figures_sql, by_source_sql, evidence_sql, matrix_sql) = match family {
        Family::C2 => (
            q.c2_figures(),
            vec![q.c2_by_source()],
            vec![
                ("Control servers (top 25 by hosts)", q.c2_top_servers()),
                ("Controlled hosts (top 25 by servers)", q.c2_top_hosts()),
                ("Families", q.c2_families()),
                ("Evidence kinds", q.c2_evidence_kinds()),
                ("Daily: servers and hosts exchanging flows", q.c2_daily()),
            ],
            (
                "Hosts controlled, by server and host country",
                q.c2_matrix(),
            ),
        ),
        Family::Phishing => (
            q.phishing_figures(),
            vec![q.phishing_pages_by_source(), q.phishing_ops_by_source()],
            vec![
                ("Impersonated brands", q.phishing_brands()),
                ("Phishing hosts (top 25 by pages)", q.phishing_top_hosts()),
                ("Phishing pages (top 25 by score)", q.phishing_top_pages()),
                ("Operations by kind", q.phishing_ops_by_kind()),
                ("Daily: phishing operations", q.phishing_daily()),
            ],
            (
                "Phishing pages, by hosting and brand country",
                q.phishing_matrix(),
            ),
        ),
        Family::Backdoor => (
            q.backdoor_figures(),
            vec![
                q.backdoor_implants_by_source(),
                q.backdoor_attacks_by_source(),
            ],
            vec![
                (
                    "Implanters (top 25 by websites)",
                    q.backdoor_top_implanters(),
                ),
                ("Backdoors (first 25 implanted)", q.backdoor_websites()),
                ("Evidence kinds", q.backdoor_evidence_kinds()),
                (
                    "Most attacked backdoors (top 25)",
                    q.backdoor_top_attacked(),
                ),
                ("Daily: backdoor attacks", q.backdoor_daily()),
            ],
            (
                "Backdoored websites, by implanter and site country",
                q.backdoor_matrix(),
            ),
        ),
    };
    let figures = table::run(engine, family.name(), figures_sql).await?;
    let totals = FIGURES
        .iter()
        .filter(|f| f.family == family)
        .map(|f| (f.key, figures.count(0, f.key)))
        .collect();
    let mut by_source = Vec::new();
    for sql in by_source_sql {
        let t = table::run(engine, "by source", sql).await?;
        for row in 0..t.rows.len() {
            let country = t
                .get(row, "source")
                .and_then(|v| v.as_str())
                .unwrap_or(UNKNOWN_COUNTRY)
                .to_string();
            for f in FIGURES
                .iter()
                .filter(|f| t.columns.iter().any(|c| c == f.key))
            {
                by_source.push((country.clone(), f.key, t.count(row, f.key)));
            }
        }
    }
    let mut evidence = Vec::new();
    for (title, sql) in evidence_sql {
        evidence.push(table::run(engine, title, sql).await?);
    }
    let matrix = table::run(engine, matrix_sql.0, matrix_sql.1).await?;
    let listed = table::run(engine, listed_sql.0, listed_sql.1).await?;
    Ok(Counted {
        listed,
        totals,
        sql: figures.sql,
        by_source,
        evidence,
        matrix,
    })
}

/// Source countries, those with the most controlled hosts first, then
/// phishing pages, then backdoored websites; code breaks ties.
fn rank_sources(
    per_source: BTreeMap<String, BTreeMap<&'static str, u64>>,
    measured: &BTreeMap<&'static str, Option<u64>>,
) -> Vec<SourceFigures> {
    let mut out: Vec<SourceFigures> = per_source
        .into_iter()
        .map(|(code, mut figures)| {
            // Every measured figure present, zero where the country had none.
            for (key, value) in measured {
                if value.is_some() {
                    figures.entry(key).or_insert(0);
                }
            }
            SourceFigures {
                country: Country::of(&code),
                figures,
            }
        })
        .collect();
    let key = |s: &SourceFigures| {
        let g = |k: &str| s.figures.get(k).copied().unwrap_or(0);
        (
            std::cmp::Reverse(g("c2_hosts")),
            std::cmp::Reverse(g("phishing_pages")),
            std::cmp::Reverse(g("backdoor_websites")),
            std::cmp::Reverse(g("c2_servers") + g("phishing_hosts") + g("backdoor_ips")),
            s.country.code.clone(),
        )
    };
    out.sort_by_key(key);
    out
}

fn geolocation_sources(engine: &Engine) -> Vec<String> {
    let geo = &engine.functions().geo;
    let mut out: Vec<String> = geo
        .mmdb_sources()
        .iter()
        .map(|m| format!("{} ({})", m.path().display(), m.database_type()))
        .collect();
    if geo.has_builtin() {
        out.push("built-in regional internet registry delegation table".to_string());
    }
    out
}

/// The three statements in the words of the field.
fn statements(request: &Request, figures: &BTreeMap<&'static str, Option<u64>>) -> Vec<String> {
    let target = Country::of(request.target.as_str()).name;
    let source = match request.source {
        Some(s) => format!("in {}", Country::of(s.as_str()).name),
        None => format!("outside {target}"),
    };
    let n = |k: &str| figures.get(k).copied().flatten();
    let period = format!("From {} to {}", request.period.from, request.period.to);
    let mut out = Vec::new();
    out.push(match (n("c2_servers"), n("c2_hosts")) {
        (Some(s), Some(h)) => format!(
            "{period}, {} trojan or botnet control server{} {source} directly controlled {} host{} in {target}.",
            thousands(s), plural(s), thousands(h), plural(h)
        ),
        _ => format!("{period}: control servers not measured (no C2 findings in the store)."),
    });
    out.push(match (n("phishing_hosts"), n("phishing_pages"), n("phishing_operations")) {
        (Some(h), Some(p), Some(o)) => format!(
            "{} host{} {source} carried {} phishing page{} targeting websites of {target}, leading to {} phishing operation{}.",
            thousands(h), plural(h), thousands(p), plural(p), thousands(o), plural(o)
        ),
        _ => "Phishing not measured (no phishing findings in the store).".to_string(),
    });
    out.push(match (n("backdoor_ips"), n("backdoor_websites"), n("backdoor_attacks")) {
        (Some(i), Some(w), Some(a)) => format!(
            "{} IP address{} {source} implanted backdoors in {} website{} in {target}, involving {} backdoor attack{}.",
            thousands(i), if i == 1 { "" } else { "es" }, thousands(w), plural(w), thousands(a), plural(a)
        ),
        _ => "Backdoors not measured (no backdoor findings in the store).".to_string(),
    });
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1180000` → `1,180,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn methodology() -> Vec<Term> {
    TERMS
        .iter()
        .map(|(term, definition)| Term { term, definition })
        .chain(FIGURES.iter().map(|f| Term {
            term: f.key,
            definition: f.definition,
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_180_000), "1,180,000");
    }

    #[test]
    fn unknown_and_equal_countries_are_refused() {
        let req = |t: &str, s: Option<&str>| Request {
            period: Period::parse("2026-01-01", "2026-01-31").unwrap(),
            target: CountryCode::parse(t).unwrap(),
            source: s.and_then(CountryCode::parse),
            constituency: Constituency::default(),
            brands: None,
        };
        let e = check_request(&req("QQ", None)).unwrap_err();
        assert!(e.to_string().contains("--target QQ"), "{e}");
        let e = check_request(&req("CN", Some("ZZ"))).unwrap_err();
        assert!(e.to_string().contains("--source ZZ"), "{e}");
        let e = check_request(&req("CN", Some("CN"))).unwrap_err();
        assert!(e.to_string().contains("cross-border"), "{e}");
        check_request(&req("CN", Some("US"))).unwrap();
    }
}
