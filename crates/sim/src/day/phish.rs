//! Visits to phishing pages by clients on the watched networks: the look-up
//! of the page's domain, then the page over HTTP (and often the form posted
//! back) or a TLS session naming the domain. A few look-ups go nowhere
//! (a mail client fetching a preview).

use std::sync::Arc;

use super::{ephemeral, tcp, Gen};
use crate::rows::{Http, Ssl};
use crate::world::key;

/// Where victims come from: webmail, chat apps, or nothing (an SMS link).
const LURES: &[Option<&str>] = &[
    Some("https://mail.qq.com/"),
    Some("https://mail.163.com/"),
    Some("https://wx.qq.com/"),
    None,
    None,
];

pub fn generate(g: &mut Gen) {
    let w = g.world;
    let zeek: Vec<u32> = (0..w.machines.len() as u32)
        .filter(|&m| w.machines[m as usize].zeek)
        .collect();
    if zeek.is_empty() {
        return;
    }
    for (p, page) in w.phishing.pages.iter().enumerate() {
        let domain = &w.phishing.domains[page.domain];
        let campaign = &w.phishing.campaigns[domain.campaign];
        for v in 0..page.visits {
            let mut rng =
                crate::rng::Rng::derive(w.plan.seed, &[key::VISITS, p as u64, u64::from(v)]);
            let span = (campaign.end - campaign.start).max(1) as u64;
            let ts = campaign.start + rng.below(span) as i64;
            if ts < g.start || ts >= g.end {
                continue;
            }
            let m = zeek[rng.index(zeek.len())];
            let client = w.ip(m, ts);
            let host = domain.host;
            let name = domain.name.clone();
            // The first visit of a page always reaches it, so each page
            // the plan counts shows in the logs.
            let preview_only = v > 0 && rng.chance(0.05);
            if v == 0 || !rng.chance(0.1) {
                g.lookup(ts - 30_000, client, &name, vec![host]);
            }
            if preview_only {
                continue;
            }
            let uid = g.uid();
            let response = rng.between(3_000, 60_000);
            let duration = rng.between(200_000, 20_000_000) as i64;
            if page.https {
                g.out.conn.push(tcp(
                    ts,
                    uid,
                    client,
                    host,
                    443,
                    Some("ssl"),
                    1_200,
                    response,
                    duration,
                ));
                g.out.ssl.push(Ssl {
                    ts: ts + 25_000,
                    uid,
                    client,
                    client_p: ephemeral(uid >> 8),
                    server: host,
                    server_p: 443,
                    version: "TLSv12",
                    sni: Some(name),
                });
                continue;
            }
            g.out.conn.push(tcp(
                ts,
                uid,
                client,
                host,
                80,
                Some("http"),
                900,
                response,
                duration,
            ));
            let lure = rng.pick(LURES).map(Arc::from);
            let agent = super::background::browser(&mut rng);
            let mut request = Http {
                ts: ts + 25_000,
                uid,
                client,
                client_p: ephemeral(uid >> 8),
                server: host,
                server_p: 80,
                method: "GET",
                host: name,
                uri: page.uri.clone(),
                referrer: lure,
                user_agent: agent,
                request_len: 0,
                response_len: response,
                status: 200,
                mime: "text/html",
            };
            if rng.chance(0.3) {
                // The victim types the password and submits the form.
                let mut post = request.clone();
                post.ts += rng.between(8_000_000, 90_000_000) as i64;
                post.method = "POST";
                post.request_len = rng.between(40, 200);
                post.response_len = rng.between(200, 2_000);
                post.referrer = Some(Arc::from(page.url.as_str()));
                g.out.http.push(post);
            }
            request.response_len = response;
            g.out.http.push(request);
        }
    }
}
