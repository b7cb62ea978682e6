//! `borderscope geo lookup IP...`

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_geo::GeoDb;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Country and ASN of addresses; private and reserved ranges answer none.
    Lookup {
        #[arg(required = true)]
        ips: Vec<String>,
        /// One JSON object per address instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// The geolocation database: the given .mmdb files, then the built-in
/// registry delegations.
pub fn load(mmdb: &[PathBuf]) -> Result<Arc<GeoDb>> {
    let mut db = GeoDb::builtin();
    for p in mmdb {
        db = db
            .with_mmdb(p)
            .with_context(|| format!("cannot use geolocation database {}", p.display()))?;
    }
    Ok(Arc::new(db))
}

pub fn run(mmdb: &[PathBuf], cmd: &Command) -> Result<ExitCode> {
    let Command::Lookup { ips, json } = cmd;
    let json = *json;
    let db = load(mmdb)?;
    let mut bad = 0;
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["ip", "country", "asn", "as organisation", "answered by"]);
    for text in ips {
        let Ok(ip) = text.trim().parse::<IpAddr>() else {
            eprintln!("error: {text:?} is not an IP address");
            bad += 1;
            continue;
        };
        let a = db.lookup(ip);
        let country = a.country.map(|c| c.to_string());
        let asn = a.asn.as_ref().map(|x| x.number);
        let org = a.asn.as_ref().and_then(|x| x.org.clone());
        let source = a
            .source
            .country
            .or(a.source.asn)
            .map(|s| db.source_label(s));
        if json {
            println!(
                "{}",
                serde_json::json!({"ip": ip.to_string(), "country": country, "asn": asn, "as_org": org, "source": source, "reserved": borderscope_geo::is_reserved(ip)})
            );
        } else {
            let none = || "none".to_string();
            table.add_row([
                ip.to_string(),
                country.unwrap_or_else(none),
                asn.map(|n| format!("AS{n}")).unwrap_or_else(none),
                org.unwrap_or_else(none),
                source.unwrap_or_else(|| {
                    if borderscope_geo::is_reserved(ip) {
                        "reserved range".into()
                    } else {
                        "no database".into()
                    }
                }),
            ]);
        }
    }
    if !json {
        println!("{table}");
    }
    Ok(if bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
