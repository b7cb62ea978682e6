//! The feeds the world's defenders read, and the list of what was planted.
//!
//! - `feodo.csv`: abuse.ch Feodo Tracker's CSV layout, listing most servers
//!   of the families Feodo tracks, a few long-dead entries, and one entry
//!   whose address a popular service holds now but that went offline
//!   months before the period (a detector honouring `last_online` must not
//!   match it).
//! - `c2-domains.txt`: a plain domain list (`#` comments) naming the
//!   domains of families published that way.
//! - `phishtank.csv`: PhishTank's CSV layout, listing some of the pages.

use std::io::{self, Write};
use std::path::Path;

use chrono::DateTime;

use crate::rng::Rng;
use crate::truth::Truth;
use crate::world::{key, World, DAY_US};

fn stamp(us: i64) -> String {
    DateTime::from_timestamp_micros(us)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn day(us: i64) -> String {
    DateTime::from_timestamp_micros(us)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub fn feodo(path: &Path, world: &World) -> io::Result<usize> {
    let mut rng = Rng::derive(world.plan.seed, &[key::FEEDS, 1]);
    let mut rows = Vec::new();
    for s in world.servers.iter().filter(|s| s.listed) {
        let first = world.start_us - rng.between(1, 40) as i64 * DAY_US;
        let last = world.end_us - rng.between(0, 3) as i64 * DAY_US;
        let status = if rng.chance(0.8) { "online" } else { "offline" };
        rows.push((first, s.ip, s.port, status, last, s.family.traits().name));
    }
    // Long dead: listed, last online months before the period.
    let dead = 3 + world.servers.len() / 20;
    for i in 0..dead {
        // The first is a popular service's address now; the others sit
        // next to live servers (hosting providers reuse their ranges).
        let ip = match (i, world.foreign_services.first(), world.servers.len()) {
            (0, Some(&s), _) => world.services[s].ips[0],
            (_, _, 0) => continue,
            (_, _, n) => {
                let near = world.servers[rng.index(n)].ip;
                std::net::Ipv4Addr::from(u32::from(near) ^ (1 + rng.below(6) as u32))
            }
        };
        let first = world.start_us - rng.between(200, 400) as i64 * DAY_US;
        let last = world.start_us - rng.between(90, 150) as i64 * DAY_US;
        rows.push((first, ip, 443, "offline", last, "Dridex"));
    }
    rows.sort_by_key(|r| r.0);
    let mut w = super::text::create(path)?;
    writeln!(
        w,
        "################################################################"
    )?;
    writeln!(
        w,
        "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #"
    )?;
    writeln!(
        w,
        "# Last updated: {} UTC                        #",
        stamp(world.end_us - 1)
    )?;
    writeln!(
        w,
        "#                                                              #"
    )?;
    writeln!(
        w,
        "# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #"
    )?;
    writeln!(
        w,
        "# (simulated by borderscope: addresses are made up)            #"
    )?;
    writeln!(
        w,
        "################################################################"
    )?;
    writeln!(w, "#")?;
    writeln!(
        w,
        "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\""
    )?;
    for (first, ip, port, status, last, family) in &rows {
        writeln!(
            w,
            "\"{}\",\"{ip}\",\"{port}\",\"{status}\",\"{}\",\"{family}\"",
            stamp(*first),
            day(*last)
        )?;
    }
    writeln!(w, "# END {} entries", rows.len())?;
    w.flush()?;
    Ok(rows.len())
}

pub fn domain_list(path: &Path, world: &World) -> io::Result<usize> {
    let mut w = super::text::create(path)?;
    writeln!(w, "# C2 domains seen in sandbox runs (simulated)")?;
    writeln!(w)?;
    let mut n = 0;
    let mut names: Vec<(&str, &str)> = world
        .servers
        .iter()
        .filter(|s| s.family.traits().domain_list)
        .filter_map(|s| Some((s.family.traits().name, s.domain.as_deref()?)))
        .collect();
    names.sort();
    names.dedup();
    let mut family = "";
    for (f, name) in names {
        if f != family {
            writeln!(w, "\n# {f} C2 domains")?;
            family = f;
        }
        writeln!(w, "{name}")?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// Pages listed in PhishTank, submitted within their campaign; each listed
/// page is shown to the truth.
pub fn phishtank(path: &Path, world: &World, truth: &mut Truth) -> io::Result<usize> {
    let ph = &world.phishing;
    let mut rng = Rng::derive(world.plan.seed, &[key::FEEDS, 2]);
    let mut w = super::text::create(path)?;
    writeln!(
        w,
        "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target"
    )?;
    let mut n = 0;
    for p in ph.pages.iter().filter(|p| p.listed) {
        let campaign = &ph.campaigns[ph.domains[p.domain].campaign];
        let span = (campaign.end - campaign.start).max(1) as u64;
        let at = campaign.start + rng.below(span) as i64;
        let verified = (at + rng.between(600, 20_000) as i64 * 1_000_000).min(world.end_us - 1);
        let id = 8_000_000 + rng.below(999_999);
        let iso = |us: i64| {
            DateTime::from_timestamp_micros(us)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
                .unwrap_or_default()
        };
        writeln!(
            w,
            "{id},{},http://www.phishtank.com/phish_detail.php?phish_id={id},{},yes,{},{},{}",
            p.url,
            iso(at),
            iso(verified),
            if rng.chance(0.7) { "yes" } else { "no" },
            csv_field(&campaign.alias)
        )?;
        truth.listed(&p.url);
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// What was planted, for checking a detector or a report against: every
/// control server, phishing page and webshell, decoys included (each row
/// says whether the truth counts it).
pub fn planted(dir: &Path, world: &World, truth: &Truth) -> io::Result<()> {
    let target = world.target();
    let mut w = super::text::create(&dir.join("c2_servers.csv"))?;
    writeln!(
        w,
        "ip,country,family,port,domain,listed,cross_border,counted"
    )?;
    for s in &world.servers {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{}",
            s.ip,
            s.country,
            s.family.traits().name,
            s.port,
            s.domain.as_deref().unwrap_or(""),
            s.listed,
            s.country != target,
            truth.server_counted(s.ip)
        )?;
    }
    w.flush()?;
    let ph = &world.phishing;
    let mut w = super::text::create(&dir.join("phishing_pages.csv"))?;
    writeln!(
        w,
        "url,domain,host,host_country,brand,brand_country,https,listed,counted"
    )?;
    for p in &ph.pages {
        let d = &ph.domains[p.domain];
        let c = &ph.campaigns[d.campaign];
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{}",
            p.url,
            d.name,
            d.host,
            c.country,
            csv_field(&c.brand),
            c.brand_country,
            p.https,
            p.listed,
            truth.page_counted(&p.url)
        )?;
    }
    w.flush()?;
    let web = &world.web;
    let mut w = super::text::create(&dir.join("backdoors.csv"))?;
    writeln!(
        w,
        "site,path,site_ip,style,implanter,implanter_country,uploaded,scanned_first,counted"
    )?;
    for b in &web.backdoors {
        let site = &web.sites[b.site];
        writeln!(
            w,
            "{},{},{},{:?},{},{},{},{},{}",
            site.name,
            b.path,
            site.ip,
            b.style,
            b.implanter,
            b.country,
            b.uploaded,
            b.scanned_first,
            truth.implanter_counted(&site.name, &b.path).is_some()
        )?;
    }
    w.flush()
}
