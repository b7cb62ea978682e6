//! One module per output format; each renders the same [`Report`].

mod csv;
mod html;
mod stix;
mod text;

use std::io::Write;

use anyhow::Result;

use crate::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
    Html,
    Stix,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Stix => "stix.json",
        }
    }
}

pub fn write(report: &Report, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json(report, out),
        Format::Csv => csv::write(report, out),
        Format::Html => html::write(report, out),
        Format::Stix => stix::write(report, out),
    }
}

/// Pretty JSON with a final newline: the byte-identical form.
fn json(report: &Report, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)?;
    Ok(())
}
