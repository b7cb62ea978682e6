//! The figures as CSV, one row per (source, figure): what spreadsheets and
//! dashboards take. The evidence tables are in the JSON and HTML forms.

use std::io::Write;

use anyhow::Result;

use crate::Report;

pub fn write(r: &Report, out: &mut dyn Write) -> Result<()> {
    let mut w = Writer(out);
    w.row(&[
        "from",
        "to",
        "target",
        "source",
        "figure",
        "value",
        "definition",
    ])?;
    let all = r
        .source
        .as_ref()
        .map(|s| s.code.clone())
        .unwrap_or_else(|| "*".to_string());
    for d in &r.details {
        let value = d.value.map(|v| v.to_string()).unwrap_or_default();
        w.row(&[
            &r.period.from,
            &r.period.to,
            &r.target.code,
            &all,
            d.key,
            &value,
            d.definition,
        ])?;
    }
    if r.source.is_none() {
        for s in &r.by_source {
            for (key, value) in &s.figures {
                w.row(&[
                    &r.period.from,
                    &r.period.to,
                    &r.target.code,
                    &s.country.code,
                    key,
                    &value.to_string(),
                    "",
                ])?;
            }
        }
    }
    Ok(())
}

/// RFC 4180 quoting: a field with a comma, quote or line break is quoted.
struct Writer<'a>(&'a mut dyn Write);

impl Writer<'_> {
    fn row(&mut self, fields: &[&str]) -> Result<()> {
        let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        write!(self.0, "{}\r\n", line.join(","))?;
        Ok(())
    }
}

fn quote(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn fields_with_separators_are_quoted() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a, b"), "\"a, b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
