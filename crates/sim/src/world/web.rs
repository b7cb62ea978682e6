//! Websites hosted in the defended country, the webshells planted in some
//! of them, who planted them and who uses them, and the scanners that probe
//! every site for webshell names.
//!
//! Decoys that must not count: webshells planted from inside the country
//! (even when foreign addresses use them later), the country's own
//! addresses using a foreign-planted webshell, scanners' 404 probes, and
//! administrators uploading images.

use std::net::Ipv4Addr;
use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_geo::CountryCode;

use super::{key, World, DAY_US};
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Php,
    Aspx,
    Jsp,
}

impl Platform {
    pub fn ext(self) -> &'static str {
        match self {
            Platform::Php => "php",
            Platform::Aspx => "aspx",
            Platform::Jsp => "jsp",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Site {
    pub name: Arc<str>,
    pub ip: Ipv4Addr,
    pub platform: Platform,
    /// The script that takes uploads (an editor plugin, an admin page).
    pub upload: Arc<str>,
    pub admin: Ipv4Addr,
    /// Mean requests a day relative to the plan's.
    pub popularity: f64,
}

/// How a webshell is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellStyle {
    /// GET with the command in the query (`?cmd=whoami`).
    Command,
    /// China Chopper and its successors: POST bodies, no query.
    Chopper,
    /// reGeorg tunnels: POST `?cmd=connect|forward|read`, no user agent.
    Tunnel,
}

#[derive(Debug, Clone)]
pub struct Backdoor {
    pub site: usize,
    pub path: Arc<str>,
    pub style: ShellStyle,
    pub implanter: Ipv4Addr,
    pub country: CountryCode,
    /// Its upload shows in the log (a POST to the site's upload script).
    pub uploaded: bool,
    /// The implanter scanned the site first.
    pub scanned_first: bool,
    /// First use (µs).
    pub start: i64,
    /// Requests reaching it from its implanter's country, first use included.
    pub attacks: u32,
    /// Others of the implanter's country who use it too.
    pub partners: Vec<Ipv4Addr>,
    /// Requests through it from inside the target (not counted).
    pub domestic_attacks: u32,
}

#[derive(Debug, Clone)]
pub struct Scanner {
    pub ip: Ipv4Addr,
    /// Sites probed per day it is active.
    pub sites_per_day: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Web {
    pub sites: Vec<Site>,
    pub backdoors: Vec<Backdoor>,
    pub scanners: Vec<Scanner>,
}

const SYLLABLES: &[&str] = &[
    "hua", "xin", "tian", "long", "jin", "hong", "an", "kang", "ming", "feng", "yuan", "da",
    "sheng", "tong", "hai", "shan", "bao", "li", "zhong", "guo", "xing", "fu",
];
const UPLOADS: &[(&str, Platform)] = &[
    ("/ueditor/php/controller.php", Platform::Php),
    ("/kindeditor/php/upload_json.php", Platform::Php),
    ("/admin/upload.php", Platform::Php),
    ("/plus/upload.php", Platform::Php),
    ("/ueditor/net/controller.ashx", Platform::Aspx),
    ("/admin/upload.aspx", Platform::Aspx),
    ("/fileupload.aspx", Platform::Aspx),
    ("/upload/upload.jsp", Platform::Jsp),
    ("/admin/fileUpload.do", Platform::Jsp),
];
/// Where uploaded files land.
const DROP_DIRS: &[&str] = &[
    "/uploads/2025/03/",
    "/upload/image/",
    "/images/",
    "/attachment/",
    "/ueditor/upload/file/",
    "/UploadFiles/",
    "/data/cache/",
];
/// Shell names: some that name themselves, most that hide.
const SHELL_NAMES: &[&str] = &[
    "x",
    "shell",
    "1",
    "up",
    "cmd",
    "cache",
    "thumb",
    "config_bak",
    "db_init",
    "img",
    "tmp",
    "index1",
    "logo",
    "error",
    "help",
    "conn",
    "global_inc",
];

pub fn build(world: &mut World) -> Result<Web> {
    let mut rng = Rng::derive(world.plan.seed, &[key::WEB]);
    let mut web = Web::default();
    let target = world.target();
    for _ in 0..world.plan.clean_sites {
        add_site(world, &mut web, &mut rng);
    }
    let plans = world.plan.backdoors.clone();
    for plan in &plans {
        let country = CountryCode::parse(plan.country).context("backdoor country")?;
        plant(
            world,
            &mut web,
            &mut rng,
            country,
            plan.implanters,
            plan.websites,
            plan.attacks,
        )?;
    }
    // Planted from inside: not cross-border, whoever uses them later.
    for _ in 0..world.plan.domestic_backdoors {
        plant(world, &mut web, &mut rng, target, 1, 1, 8)?;
        if let Some(b) = web.backdoors.last_mut() {
            let source = *rng.pick(&["US", "RU", "NL"]);
            let country = CountryCode::parse(source).context("country")?;
            b.partners.push(world.draw(country, &mut rng)?);
        }
    }
    for _ in 0..world.plan.scanners {
        let country = *rng.pick(&["US", "NL", "RU", "DE", "SG", "HK", "KR", ""]);
        let country = CountryCode::parse(country).unwrap_or(target);
        web.scanners.push(Scanner {
            ip: world.draw(country, &mut rng)?,
            sites_per_day: 1 + rng.index(4),
        });
    }
    Ok(web)
}

fn add_site(world: &World, web: &mut Web, rng: &mut Rng) -> usize {
    let tld = world.target().as_str().to_ascii_lowercase();
    let name = loop {
        let a = *rng.pick(SYLLABLES);
        let b = *rng.pick(SYLLABLES);
        let n = rng.below(100);
        let name = match rng.below(5) {
            0 => format!("www.{a}{b}.com.{tld}"),
            1 => format!("{a}{b}.gov.{tld}"),
            2 => format!("www.{a}{b}{n}.edu.{tld}"),
            3 => format!("www.{a}-{b}.{tld}"),
            _ => format!("{a}{b}{n}.net.{tld}"),
        };
        if !web.sites.iter().any(|s| *s.name == *name) {
            break name;
        }
    };
    let &(upload, platform) = rng.pick(UPLOADS);
    web.sites.push(Site {
        name: Arc::from(name),
        ip: world.home.draw(rng),
        platform,
        upload: Arc::from(upload),
        admin: world.home.draw(rng),
        popularity: 0.2 + 1.8 * rng.unit(),
    });
    web.sites.len() - 1
}

/// `implanters` addresses of `country` plant webshells in `websites` new
/// sites: as many webshells as the larger of the two, the addresses and
/// sites taken in turn, so that every address and every site is used.
/// `attacks` requests reach them from the country, each webshell's first
/// use included.
fn plant(
    world: &mut World,
    web: &mut Web,
    rng: &mut Rng,
    country: CountryCode,
    implanters: usize,
    websites: usize,
    attacks: usize,
) -> Result<()> {
    let implanters = implanters.max(1);
    let websites = websites.max(1);
    let ips: Vec<Ipv4Addr> = (0..implanters)
        .map(|_| world.draw(country, rng))
        .collect::<Result<_>>()?;
    let sites: Vec<usize> = (0..websites).map(|_| add_site(world, web, rng)).collect();
    let shells = implanters.max(websites);
    let first = web.backdoors.len();
    for j in 0..shells {
        let site = sites[j % websites];
        let path = loop {
            let ext = web.sites[site].platform.ext();
            let dir = *rng.pick(DROP_DIRS);
            let path = format!("{dir}{}.{ext}", rng.pick(SHELL_NAMES));
            if !web
                .backdoors
                .iter()
                .any(|b| b.site == site && *b.path == *path)
            {
                break path;
            }
        };
        let style = match rng.below(10) {
            0..=3 => ShellStyle::Command,
            4..=7 => ShellStyle::Chopper,
            _ => ShellStyle::Tunnel,
        };
        let days = i64::from(world.plan.days);
        let start = world.start_us + rng.below(((days * DAY_US) * 3 / 4).max(1) as u64) as i64;
        let partners = if rng.chance(0.3) {
            vec![world.draw(country, rng)?]
        } else {
            Vec::new()
        };
        web.backdoors.push(Backdoor {
            site,
            path: Arc::from(path),
            style,
            implanter: ips[j % implanters],
            country,
            uploaded: rng.chance(0.7),
            scanned_first: rng.chance(0.3),
            start,
            attacks: 1,
            partners,
            domestic_attacks: u32::from(rng.chance(0.2)) * (1 + rng.below(3) as u32),
        });
    }
    // One more use each where there are enough, then the rest skewed.
    let n = web.backdoors.len() - first;
    let mut left = attacks.saturating_sub(n);
    for b in &mut web.backdoors[first..] {
        if left == 0 {
            break;
        }
        b.attacks += 1;
        left -= 1;
    }
    for _ in 0..left {
        web.backdoors[first + rng.skewed(n)].attacks += 1;
    }
    Ok(())
}
