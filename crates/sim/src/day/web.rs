//! The websites' access logs: visitors and crawlers, administrators
//! uploading images, scanners probing for webshell names (404s), and the
//! webshells' implanters and users.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::Gen;
use crate::rng::Rng;
use crate::rows::Web;
use crate::world::key;
use crate::world::web::{Backdoor, Platform, ShellStyle, Site};

const CRAWLERS: &[&str] = &[
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
];
const SCANNER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0 Safari/537.36",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
];
/// Names scanners try at the web root.
const PROBES: &[&str] = &[
    "shell", "c99", "r57", "wso", "cmd", "b374k", "up", "x", "1", "2", "a", "webshell", "spy",
    "hack", "tunnel", "bypass", "admin1", "test", "diy", "xx", "m", "s", "t", "conn", "config",
    "sql", "data", "db", "log", "mysql", "phpinfo", "info", "inc", "indexx", "lndex", "k", "z",
    "404", "403", "sh", "ma", "dama", "xiaoma", "yijuhua", "caidao", "godzilla", "behinder",
];
const COMMANDS: &[&str] = &[
    "whoami",
    "id",
    "ipconfig",
    "ifconfig",
    "net+user",
    "dir",
    "ls+-la",
    "cat+/etc/passwd",
    "uname+-a",
    "netstat+-an",
    "tasklist",
    "systeminfo",
    "pwd",
    "ps+aux",
];

pub fn generate(g: &mut Gen) {
    let w = g.world;
    for (s, site) in w.web.sites.iter().enumerate() {
        let mut rng = g.rng(&[key::SITE_DAY, s as u64]);
        visitors(g, &mut rng, site);
        if rng.chance(0.05) {
            admin_upload(g, &mut rng, site);
        }
    }
    for (i, scanner) in w.web.scanners.iter().enumerate() {
        let mut rng = g.rng(&[key::SCANS, 7, i as u64]);
        if !rng.chance(0.5) || w.web.sites.is_empty() {
            continue;
        }
        for _ in 0..scanner.sites_per_day {
            let site = &w.web.sites[rng.index(w.web.sites.len())];
            let ts = g.daytime(&mut rng);
            scan(g, &mut rng, site, scanner.ip, ts);
        }
    }
    for (b, backdoor) in w.web.backdoors.iter().enumerate() {
        shell_use(g, b, backdoor);
    }
}

fn request(site: &Site, ts: i64, client: Ipv4Addr, method: &'static str, stem: &str) -> Web {
    Web {
        ts,
        site: site.name.clone(),
        server: site.ip,
        method,
        stem: Arc::from(stem),
        query: None,
        client,
        user_agent: CRAWLERS[0],
        referrer: None,
        status: 200,
        bytes: 0,
        request_bytes: 0,
        time_taken_ms: 0,
    }
}

/// Pages of a site by platform.
fn pages(p: Platform) -> &'static [&'static str] {
    match p {
        Platform::Php => &[
            "/",
            "/index.php",
            "/news/list.php",
            "/news/show.php",
            "/about.php",
            "/contact.php",
            "/search.php",
            "/css/style.css",
            "/js/jquery.min.js",
            "/images/logo.png",
            "/favicon.ico",
        ],
        Platform::Aspx => &[
            "/",
            "/default.aspx",
            "/news/list.aspx",
            "/news/show.aspx",
            "/about.aspx",
            "/search.aspx",
            "/css/style.css",
            "/js/jquery.min.js",
            "/images/logo.png",
            "/favicon.ico",
        ],
        Platform::Jsp => &[
            "/",
            "/index.jsp",
            "/news/list.do",
            "/news/show.do",
            "/about.jsp",
            "/search.do",
            "/css/style.css",
            "/js/jquery.min.js",
            "/images/logo.png",
            "/favicon.ico",
        ],
    }
}

fn visitors(g: &mut Gen, rng: &mut Rng, site: &Site) {
    let w = g.world;
    let n = rng.poisson(w.plan.site_requests * site.popularity);
    let referrer: Arc<str> = Arc::from(format!("http://{}/", site.name));
    for _ in 0..n {
        let ts = g.daytime(rng);
        let crawler = rng.chance(0.15);
        let client = if crawler || rng.chance(0.85) {
            w.home.draw(rng)
        } else {
            w.internet_scanners[rng.index(w.internet_scanners.len())]
        };
        let stem = *rng.pick(pages(site.platform));
        let mut r = request(site, ts, client, "GET", stem);
        r.user_agent = if crawler {
            CRAWLERS[rng.index(CRAWLERS.len())]
        } else {
            super::background::browser(rng)
        };
        if stem.contains("show") || stem.contains("list") {
            r.query = Some(format!("id={}", rng.between(1, 5_000)));
        }
        if stem.contains("search") {
            r.query = Some(format!(
                "q={}",
                rng.pick(&["gonggao", "zhaopin", "news", "2025"])
            ));
            if rng.chance(0.3) {
                r.method = "POST";
            }
        }
        if stem != "/" && rng.chance(0.5) {
            r.referrer = Some(referrer.clone());
        }
        r.status = if stem == "/favicon.ico" && rng.chance(0.5) {
            404
        } else {
            200
        };
        r.bytes = rng.log_between(300, 80_000);
        r.time_taken_ms = rng.between(2, 800) as u32;
        g.out.web.push(r);
    }
}

/// An administrator uploads an image through the site's upload script and
/// looks at it.
fn admin_upload(g: &mut Gen, rng: &mut Rng, site: &Site) {
    let ts = g.daytime(rng);
    let mut post = request(site, ts, site.admin, "POST", &site.upload);
    post.user_agent = super::background::browser(rng);
    post.referrer = Some(Arc::from(format!("http://{}/admin/", site.name)));
    post.bytes = rng.between(80, 400);
    post.request_bytes = rng.between(20_000, 900_000);
    g.out.web.push(post);
    let image = format!("/uploads/2025/03/{}.jpg", rng.between(100_000, 999_999));
    let mut get = request(
        site,
        ts + rng.between(2, 60) as i64 * 1_000_000,
        site.admin,
        "GET",
        &image,
    );
    get.user_agent = super::background::browser(rng);
    get.bytes = rng.between(20_000, 900_000);
    g.out.web.push(get);
}

/// A scanner tries 35 to 48 webshell names at the root of a site: 404s,
/// and the home page.
fn scan(g: &mut Gen, rng: &mut Rng, site: &Site, client: Ipv4Addr, start: i64) {
    let ext = site.platform.ext();
    let agent = *rng.pick(SCANNER_AGENTS);
    let n = 35 + rng.index(PROBES.len() - 35);
    for (i, name) in PROBES.iter().take(n).enumerate() {
        let stem = format!("/{name}.{ext}");
        let mut r = request(site, start + i as i64 * 300_000, client, "GET", &stem);
        r.user_agent = agent;
        r.status = 404;
        r.bytes = 1_245;
        g.out.web.push(r);
    }
    let mut home = request(site, start + n as i64 * 300_000, client, "GET", "/");
    home.user_agent = agent;
    home.bytes = rng.between(5_000, 40_000);
    g.out.web.push(home);
}

/// The requests through one webshell that fall on this day: the upload and
/// first use, then every later use by its implanter, partners and, for some,
/// addresses inside the country.
fn shell_use(g: &mut Gen, b: usize, bd: &Backdoor) {
    let w = g.world;
    let site = &w.web.sites[bd.site];
    let mut rng = Rng::derive(w.plan.seed, &[key::ATTACKS, b as u64]);
    let domestic = w.home.draw(&mut rng);
    let span = (w.end_us - bd.start - 2_000_000).max(1) as u64;
    let agent = super::background::browser(&mut rng);
    let (day_start, day_end) = (g.start, g.end);
    let in_day = move |t: i64| t >= day_start && t < day_end;
    if bd.scanned_first {
        let t = bd.start - rng.between(3_600, 7_200) as i64 * 1_000_000;
        if in_day(t) {
            scan(g, &mut rng.clone(), site, bd.implanter, t);
        }
    }
    if bd.uploaded {
        let t = bd.start - rng.between(30, 600) as i64 * 1_000_000;
        if in_day(t) {
            let mut post = request(site, t, bd.implanter, "POST", &site.upload);
            post.user_agent = agent;
            post.bytes = rng.between(60, 300);
            post.request_bytes = rng.between(400, 40_000);
            g.out.web.push(post);
        }
    }
    let total = bd.attacks + bd.domestic_attacks;
    for i in 0..total {
        let mut r = Rng::derive(w.plan.seed, &[key::ATTACKS, b as u64, u64::from(i)]);
        let t = if i == 0 {
            bd.start
        } else {
            bd.start + 1_000_000 + r.below(span) as i64
        };
        if !in_day(t) {
            continue;
        }
        let client = if i >= bd.attacks {
            domestic
        } else if i > 0 && !bd.partners.is_empty() && r.chance(0.4) {
            bd.partners[r.index(bd.partners.len())]
        } else {
            bd.implanter
        };
        g.out
            .web
            .push(shell_request(&mut r, site, bd, t, client, agent));
    }
}

fn shell_request(
    rng: &mut Rng,
    site: &Site,
    bd: &Backdoor,
    ts: i64,
    client: Ipv4Addr,
    agent: &'static str,
) -> Web {
    let mut r = request(site, ts, client, "POST", &bd.path);
    r.user_agent = agent;
    r.time_taken_ms = rng.between(20, 3_000) as u32;
    match bd.style {
        ShellStyle::Command => {
            r.method = "GET";
            let param = *rng.pick(&["cmd", "c", "exec", "command"]);
            r.query = Some(format!("{param}={}", rng.pick(COMMANDS)));
            r.bytes = rng.log_between(200, 20_000);
        }
        ShellStyle::Chopper => {
            r.request_bytes = rng.between(200, 4_000);
            r.bytes = rng.log_between(30, 60_000);
        }
        ShellStyle::Tunnel => {
            let verb = *rng.pick(&["connect", "read", "read", "forward", "disconnect"]);
            r.query = Some(match verb {
                "connect" => format!(
                    "cmd=connect&target=10.0.{}.{}&port=3389",
                    rng.below(10),
                    rng.between(2, 250)
                ),
                v => format!("cmd={v}"),
            });
            r.user_agent = "-";
            r.bytes = rng.log_between(10, 30_000);
        }
    }
    r
}
