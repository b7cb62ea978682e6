//! The report as one self-contained HTML page: no scripts, no fonts, no
//! network. Charts are inline SVG drawn here, so the page renders the same
//! offline, in a mail client's preview or in a headless browser.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use chrono::{Days, NaiveDate};

use crate::build::thousands;
use crate::table::{cell_text, Table};
use crate::Report;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1b1f24;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:2em}\
.sub{color:#57606a}.statements li{font-size:1.15em;margin:.4em 0}\
.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{border:1px solid #d0d7de;border-radius:6px;padding:.5em .8em;min-width:9em}\
.card b{display:block;font-size:1.4em}.card span{color:#57606a;font-size:.85em}\
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #d0d7de;padding:2px 6px;text-align:left;vertical-align:top}\
th{background:#f6f8fa}td.n{text-align:right}pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap;font-size:.85em}\
.charts{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}";

pub fn write(r: &Report, out: &mut dyn Write) -> Result<()> {
    let mut h = String::new();
    let title = format!(
        "borderscope report: {} to {}, target {}",
        r.period.from, r.period.to, r.target.name
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&title)
    );
    header(&mut h, r);
    sources(&mut h, r);
    matrices(&mut h, r);
    daily(&mut h, r);
    evidence(&mut h, r);
    methodology(&mut h, r);
    h.push_str("</body></html>\n");
    out.write_all(h.as_bytes())?;
    Ok(())
}

fn header(h: &mut String, r: &Report) {
    let source = r
        .source
        .as_ref()
        .map(|s| format!("{} ({})", s.name, s.code))
        .unwrap_or_else(|| "every other country".into());
    let _ = write!(
        h,
        "<h1>Cross-border report: {} ({})</h1><p class=\"sub\">{} to {} ({} days) · source: {} · {}</p>\n<ul class=\"statements\">",
        esc(&r.target.name),
        esc(&r.target.code),
        esc(&r.period.from),
        esc(&r.period.to),
        r.period.days,
        esc(&source),
        esc(r.format)
    );
    for s in &r.statements {
        let _ = write!(h, "<li>{}</li>", esc(s));
    }
    h.push_str("</ul>\n<div class=\"cards\">");
    for d in &r.details {
        let v = d
            .value
            .map(thousands)
            .unwrap_or_else(|| "not measured".into());
        let _ = write!(
            h,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            esc(&v),
            esc(d.key)
        );
    }
    h.push_str("</div>\n");
    for n in &r.notes {
        let _ = write!(h, "<p class=\"sub\">Note: {}</p>", esc(n));
    }
}

/// Ranked bars of the source countries, one chart per headline figure.
fn sources(h: &mut String, r: &Report) {
    if r.source.is_some() || r.by_source.is_empty() {
        return;
    }
    h.push_str("<h2>Source countries, ranked</h2><div class=\"charts\">");
    for (key, caption) in [
        ("c2_hosts", "Hosts controlled, by control-server country"),
        ("phishing_pages", "Phishing pages, by hosting country"),
        (
            "backdoor_websites",
            "Backdoored websites, by implanter country",
        ),
    ] {
        let bars: Vec<(String, u64)> = r
            .by_source
            .iter()
            .filter_map(|s| {
                let v = s.figures.get(key).copied().unwrap_or(0);
                (v > 0).then(|| (s.country.code.clone(), v))
            })
            .take(15)
            .collect();
        let mut bars = bars;
        bars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = write!(
            h,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            esc(caption),
            bar_chart(&bars)
        );
    }
    h.push_str("</div>\n");
}

fn bar_chart(bars: &[(String, u64)]) -> String {
    if bars.is_empty() {
        return "<p class=\"sub\">none</p>".into();
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let (w, row) = (320.0, 18.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">",
        w + 110.0,
        row * bars.len() as f64 + 4.0
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = i as f64 * row;
        let len = (*v as f64 / max * w).max(1.0);
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text><rect x=\"30\" y=\"{:.1}\" width=\"{len:.1}\" height=\"{:.1}\" fill=\"#0969da\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#57606a\">{}</text>",
            y + 13.0,
            esc(label),
            y + 2.0,
            row - 4.0,
            esc(label),
            v,
            34.0 + len,
            y + 13.0,
            thousands(*v)
        );
    }
    s.push_str("</svg>");
    s
}

/// Source × target heat tables from the matrix queries.
fn matrices(h: &mut String, r: &Report) {
    if r.matrix.is_empty() {
        return;
    }
    h.push_str("<h2>Country-pair matrix</h2>");
    for t in &r.matrix {
        let value = t.columns.get(2).cloned().unwrap_or_default();
        let mut cells: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut src_tot: BTreeMap<String, u64> = BTreeMap::new();
        let mut dst_tot: BTreeMap<String, u64> = BTreeMap::new();
        for row in 0..t.rows.len() {
            let s = t.get(row, "source").map(cell_text).unwrap_or_default();
            let d = t.get(row, "target").map(cell_text).unwrap_or_default();
            let v = t.count(row, &value);
            *cells.entry((s.clone(), d.clone())).or_default() += v;
            *src_tot.entry(s).or_default() += v;
            *dst_tot.entry(d).or_default() += v;
        }
        let top = |m: &BTreeMap<String, u64>, n: usize| {
            let mut v: Vec<(String, u64)> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.into_iter().take(n).map(|x| x.0).collect::<Vec<_>>()
        };
        let (srcs, dsts) = (top(&src_tot, 15), top(&dst_tot, 10));
        let max = cells.values().copied().max().unwrap_or(1).max(1) as f64;
        let _ = write!(
            h,
            "<figure><figcaption>{} ({})</figcaption><table><tr><th>source \\ target</th>",
            esc(&t.title),
            esc(&value)
        );
        for d in &dsts {
            let _ = write!(h, "<th>{}</th>", esc(d));
        }
        h.push_str("</tr>");
        for s in &srcs {
            let _ = write!(h, "<tr><th>{}</th>", esc(s));
            for d in &dsts {
                let v = cells.get(&(s.clone(), d.clone())).copied().unwrap_or(0);
                // Square root scale: a few huge cells must not wash out the rest.
                let a = if v == 0 {
                    0.0
                } else {
                    0.12 + 0.75 * (v as f64 / max).sqrt()
                };
                let _ = write!(
                    h,
                    "<td class=\"n\" style=\"background:rgba(207,34,46,{a:.2})\">{}</td>",
                    if v == 0 { String::new() } else { thousands(v) }
                );
            }
            h.push_str("</tr>");
        }
        h.push_str("</table></figure>");
    }
}

/// A bar per day of the period (zero days drawn empty) for each family.
fn daily(h: &mut String, r: &Report) {
    let Ok(from) = NaiveDate::parse_from_str(&r.period.from, "%Y-%m-%d") else {
        return;
    };
    let days = r.period.days.clamp(1, 3660) as u64;
    h.push_str("<h2>Daily</h2><div class=\"charts\">");
    for section in r.evidence.iter().filter(|s| s.measured) {
        let Some(t) = section.tables.iter().find(|t| t.title.starts_with("Daily")) else {
            continue;
        };
        let Some(measure) = t.columns.get(1).cloned() else {
            continue;
        };
        let by_day: BTreeMap<String, u64> = (0..t.rows.len())
            .map(|row| {
                let d = t.get(row, "day").map(cell_text).unwrap_or_default();
                (d, t.count(row, &measure))
            })
            .collect();
        let series: Vec<(String, u64)> = (0..days)
            .filter_map(|i| from.checked_add_days(Days::new(i)))
            .map(|d| {
                let k = d.to_string();
                let v = by_day.get(&k).copied().unwrap_or(0);
                (k, v)
            })
            .collect();
        let _ = write!(
            h,
            "<figure><figcaption>{} — {}</figcaption>{}</figure>",
            esc(section.family),
            esc(&t.title),
            day_chart(&series)
        );
    }
    h.push_str("</div>\n");
}

fn day_chart(series: &[(String, u64)]) -> String {
    let (w, ht) = (480.0, 120.0);
    let max = series.iter().map(|s| s.1).max().unwrap_or(0).max(1) as f64;
    let step = w / series.len().max(1) as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">\
         <line x1=\"0\" y1=\"{ht}\" x2=\"{w}\" y2=\"{ht}\" stroke=\"#8c959f\"/>",
        w + 60.0,
        ht + 18.0
    );
    for (i, (day, v)) in series.iter().enumerate() {
        let bh = *v as f64 / max * (ht - 4.0);
        let _ = write!(
            s,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{bh:.2}\" fill=\"#1a7f37\"><title>{}: {}</title></rect>",
            i as f64 * step,
            ht - bh,
            (step - 1.0).max(0.5),
            esc(day),
            v
        );
    }
    if let (Some(first), Some(last)) = (series.first(), series.last()) {
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{w}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\
             <text x=\"{}\" y=\"12\" font-size=\"11\" fill=\"#57606a\">max {}</text>",
            ht + 14.0,
            esc(&first.0),
            ht + 14.0,
            esc(&last.0),
            w + 4.0,
            thousands(max as u64)
        );
    }
    s.push_str("</svg>");
    s
}

fn evidence(h: &mut String, r: &Report) {
    for section in &r.evidence {
        let _ = write!(h, "<h2>Evidence: {}</h2>", esc(section.family));
        if !section.measured {
            h.push_str(
                "<p class=\"sub\">Not measured: the detector's findings tables are missing.</p>",
            );
            continue;
        }
        for t in section
            .tables
            .iter()
            .filter(|t| !t.title.starts_with("Daily"))
        {
            table(h, t);
        }
    }
}

fn table(h: &mut String, t: &Table) {
    let _ = write!(h, "<h3>{}</h3>", esc(&t.title));
    if t.rows.is_empty() {
        h.push_str("<p class=\"sub\">none</p>");
        return;
    }
    h.push_str("<table><tr>");
    for c in &t.columns {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for row in &t.rows {
        h.push_str("<tr>");
        for v in row {
            let class = if v.is_number() { " class=\"n\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", esc(&cell_text(v)));
        }
        h.push_str("</tr>");
    }
    let _ = write!(
        h,
        "</table><details><summary>SQL</summary><pre>{}</pre></details>",
        esc(&t.sql)
    );
}

fn methodology(h: &mut String, r: &Report) {
    h.push_str("<h2>Methodology</h2><dl>");
    for t in &r.methodology {
        let _ = write!(
            h,
            "<dt><b>{}</b></dt><dd>{}</dd>",
            esc(t.term),
            esc(t.definition)
        );
    }
    h.push_str("</dl><h3>The SQL of each figure</h3>");
    for d in &r.details {
        let _ = write!(
            h,
            "<details><summary>{}</summary><pre>{}</pre></details>",
            esc(d.key),
            esc(&d.sql)
        );
    }
    h.push_str("<h3>Store versions</h3><p>");
    let versions: Vec<String> = r
        .store
        .versions
        .iter()
        .map(|(t, v)| format!("{t}@{v}"))
        .collect();
    let _ = write!(
        h,
        "{}</p><h3>Geolocation</h3><p>{}</p>",
        esc(&versions.join(" ")),
        esc(&r.geolocation.join("; "))
    );
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_data_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }

    #[test]
    fn empty_and_single_bars_draw() {
        assert!(bar_chart(&[]).contains("none"));
        let svg = bar_chart(&[("US".into(), 3)]);
        assert!(svg.starts_with("<svg") && svg.contains("US: 3"), "{svg}");
        let svg = day_chart(&[("2026-01-01".into(), 0)]);
        assert!(svg.contains("2026-01-01"), "{svg}");
    }
}
