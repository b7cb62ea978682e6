//! The report for the terminal: statements, figures, sources, evidence.

use std::io::Write;

use anyhow::Result;

use crate::table::{cell_text, Table};
use crate::Report;

/// Rows of an evidence table shown in the terminal (the JSON has them all).
const TEXT_ROWS: usize = 10;

pub fn write(r: &Report, out: &mut dyn Write) -> Result<()> {
    let source = r
        .source
        .as_ref()
        .map(|s| format!("{} ({})", s.name, s.code))
        .unwrap_or_else(|| "every other country".to_string());
    writeln!(
        out,
        "borderscope report: {} to {} ({} days), target {} ({}), source {source}\n",
        r.period.from, r.period.to, r.period.days, r.target.name, r.target.code
    )?;
    for s in &r.statements {
        writeln!(out, "  {s}")?;
    }
    writeln!(out, "\nFigures")?;
    for d in &r.details {
        let v = d
            .value
            .map(crate::build::thousands)
            .unwrap_or_else(|| "not measured".into());
        writeln!(out, "  {:<22}{v:>12}", d.key)?;
    }
    if r.source.is_none() && !r.by_source.is_empty() {
        writeln!(out, "\nBy source country (ranked)")?;
        let keys: Vec<&str> = r.details.iter().map(|d| d.key).collect();
        let mut t = Table {
            title: String::new(),
            sql: String::new(),
            columns: std::iter::once("country".to_string())
                .chain(keys.iter().map(|k| k.to_string()))
                .collect(),
            rows: Vec::new(),
        };
        for s in r.by_source.iter().take(20) {
            let mut row = vec![serde_json::Value::String(s.country.code.clone())];
            row.extend(keys.iter().map(|k| {
                s.figures
                    .get(k)
                    .map_or(serde_json::Value::Null, |v| (*v).into())
            }));
            t.rows.push(row);
        }
        write_table(&t, usize::MAX, out)?;
    }
    for section in &r.evidence {
        if !section.measured {
            continue;
        }
        for t in &section.tables {
            writeln!(out, "\n{} — {}", section.family, t.title)?;
            write_table(t, TEXT_ROWS, out)?;
        }
    }
    writeln!(out, "\nStore versions: {}", versions(r))?;
    writeln!(out, "Geolocation: {}", r.geolocation.join("; "))?;
    for n in &r.notes {
        writeln!(out, "Note: {n}")?;
    }
    writeln!(
        out,
        "\nEach figure's definition and SQL: --format json (details), or docs/methodology.md."
    )?;
    Ok(())
}

fn versions(r: &Report) -> String {
    r.store
        .versions
        .iter()
        .map(|(t, v)| format!("{t}@{v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_table(t: &Table, max_rows: usize, out: &mut dyn Write) -> Result<()> {
    if t.rows.is_empty() {
        writeln!(out, "  (none)")?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .take(max_rows)
        .map(|r| r.iter().map(|v| clip(&cell_text(v), 60)).collect())
        .collect();
    let widths: Vec<usize> = (0..t.columns.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([t.columns[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(out, "  {}", line(&t.columns).trim_end())?;
    for r in &rows {
        writeln!(out, "  {}", line(r).trim_end())?;
    }
    if t.rows.len() > rows.len() {
        writeln!(out, "  ... {} more rows", t.rows.len() - rows.len())?;
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut c: String = s.chars().take(n - 1).collect();
    c.push('…');
    c
}
