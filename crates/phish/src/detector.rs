//! The phishing detector's plans: candidates from every place they show up,
//! scored by the `phish_score` UDF inside the plan, combined with feed and
//! page evidence; then the pages, the addresses that host them, and every
//! visit to them.
//!
//! A *candidate* is a URL or a host name: feed URLs and CT names
//! (`phish_feed`), DNS look-ups (`dns.query`), HTTP requests (`http://` +
//! `Host` + URI), TLS server names (`tls.sni`), and the URLs of saved pages
//! (`--pages`). Its score combines, as independent evidence
//! (`1 - Π(1 - s)`), the URL's own score, a phishing feed listing it (0.9),
//! and its page content; it is phishing at the threshold (0.5) when a
//! protected brand is named — by a feed's target (a person named it), else
//! by the URL when the URL alone is phishing, else by the content, else by
//! the URL's weaker hit — and never when the host is one of the brand's own.
//!
//! A *page* is a phishing URL. A host name seen only as a name (DNS, TLS,
//! CT) is a page of its own, written as the bare name, only when no
//! phishing URL on that host is known; static assets (images, scripts,
//! styles) are never pages. A *phishing domain* is a host whose name alone
//! is phishing, or that serves a phishing page at its root: every visit to
//! it counts. A page on a host that is not phishing by name (a kit on a
//! hacked site) counts only requests for that page.

use anyhow::Result;
use borderscope_schema::Micros;
use borderscope_store::staging::{collect, keep, mem_table, stage};
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;

use crate::pages::{evidence_batch, evidence_schema, PageEvidence};

/// What `detect phishing` is asked to do.
#[derive(Debug, Clone)]
pub struct PhishConfig {
    /// Only events (and feed sightings) at or after this time (µs).
    pub from: Option<Micros>,
    /// Only events before this time.
    pub to: Option<Micros>,
    /// Combined score a candidate needs (with a brand) to be phishing.
    pub threshold: f64,
    /// Weight of a phishing feed's listing as evidence.
    pub feed_weight: f64,
}

impl Default for PhishConfig {
    fn default() -> Self {
        PhishConfig {
            from: None,
            to: None,
            threshold: crate::THRESHOLD,
            feed_weight: 0.9,
        }
    }
}

impl PhishConfig {
    /// SQL predicate on a time expression for the configured period.
    fn window(&self, ts: &str) -> String {
        let mut w = vec!["TRUE".to_string()];
        if let Some(f) = self.from {
            w.push(format!("{ts} >= to_timestamp_micros({f})"));
        }
        if let Some(t) = self.to {
            w.push(format!("{ts} < to_timestamp_micros({t})"));
        }
        w.join(" AND ")
    }
}

pub const PAGES_TABLE: &str = "phish_pages";
pub const OPS_TABLE: &str = "phish_ops";

const RUN_EVIDENCE: &str = "ph_run_page_evidence";
const RUN_SCORED: &str = "ph_run_scored";
const RUN_HITS: &str = "ph_run_hits";
const RUN_DOMAINS: &str = "ph_run_domains";
const RUN_PAGES: &str = "ph_run_pages";
const RUN_HOSTING: &str = "ph_run_hosting";

/// A URL's scheme; taken off to match a page saved as `https://` with the
/// same page requested as `http://`.
const SCHEME: &str = "^[A-Za-z][A-Za-z0-9+.-]*://";

/// A URL whose path names a static asset: a visit, never a page.
const STATIC_ASSET: &str = r"(?i)^[A-Za-z][A-Za-z0-9+.-]*://[^/]+/[^?#]*\.(css|js|mjs|map|png|jpe?g|gif|ico|svg|webp|bmp|woff2?|ttf|otf|eot|mp4|webm|mp3)([?#].*)?$";

/// Look-ups that lead a browser to a host (addresses, HTTPS records and
/// the aliases on the way); mail (MX), text and reverse look-ups do not.
const DNS_VISIT: &str = "x.query IS NOT NULL AND x.query <> '' \
     AND (x.qtype IS NULL OR upper(x.qtype) IN ('A', 'AAAA', 'HTTPS', 'SVCB', 'CNAME', 'ANY', '*', '1', '5', '28', '64', '65', '255')) \
     AND NOT lower(rtrim(x.query, '.')) LIKE '%.arpa'";

const DNS_NAME: &str = "lower(rtrim(x.query, '.'))";
const TLS_NAME: &str = "lower(rtrim(x.sni, '.'))";

/// The host an HTTP request named (port taken off), else its server.
const HTTP_HOST: &str = "COALESCE(NULLIF(NULLIF(lower(rtrim(regexp_replace(x.host, ':[0-9]+$', ''), '.')), ''), '-'), x.server_ip)";

/// Requests for a path or an absolute URL (proxies log those); CONNECT
/// tunnels name no page.
fn http_ok() -> String {
    format!(
        "x.uri IS NOT NULL AND (starts_with(x.uri, '/') OR regexp_like(x.uri, '{SCHEME}')) \
         AND upper(COALESCE(x.method, '')) <> 'CONNECT'"
    )
}

/// The URL of an HTTP request.
fn http_url() -> String {
    format!(
        "CASE WHEN regexp_like(x.uri, '{SCHEME}') THEN x.uri \
              WHEN x.host IS NOT NULL AND x.host <> '' AND x.host <> '-' THEN concat('http://', lower(x.host), x.uri) \
              WHEN strpos(x.server_ip, ':') > 0 THEN concat('http://[', x.server_ip, ']', x.uri) \
              ELSE concat('http://', x.server_ip, x.uri) END"
    )
}

/// Every candidate with where and when it was seen and what feeds say of
/// it, scored by `phish_score` (one call per distinct candidate), with the
/// strongest page evidence for its URL.
pub fn scored_sql(c: &PhishConfig) -> String {
    let w = c.window("x.ts");
    let fw = c.feed_weight;
    format!(
        "SELECT c.*, phish_score(c.cand) AS v, e.score AS page_score, e.brand AS page_brand, \
                e.reasons AS page_reasons \
         FROM ( \
           SELECT cand, array_sort(array_agg(DISTINCT source)) AS sources, MIN(ts) AS first_seen, \
                  MAX(ts) AS last_seen, bool_or(listed) AS listed, MAX(feed_brand) AS feed_brand, \
                  array_sort(array_agg(DISTINCT note) FILTER (WHERE note IS NOT NULL)) AS feed_notes \
           FROM ( \
             SELECT url AS cand, source, COALESCE(first_seen, loaded_at) AS ts, phishing AS listed, \
                    CASE WHEN phishing THEN get_field(phish_brand(target), 'brand') END AS feed_brand, \
                    CASE WHEN phishing THEN concat('feed: listed as phishing by ', source, \
                         CASE WHEN target IS NOT NULL THEN concat(' (target `', target, '`)') ELSE '' END, \
                         ' [+{fw:.2}]') END AS note \
             FROM phish_feed WHERE {fwin} \
             UNION ALL \
             SELECT {DNS_NAME}, 'dns', x.ts, false, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) \
             FROM dns x WHERE {w} AND {DNS_VISIT} \
             UNION ALL \
             SELECT {url}, 'http', x.ts, false, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) \
             FROM http x WHERE {w} AND {ok} \
             UNION ALL \
             SELECT {TLS_NAME}, 'tls', x.ts, false, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) \
             FROM tls x WHERE {w} AND x.sni IS NOT NULL AND x.sni <> '' \
             UNION ALL \
             SELECT url, 'page', seen, false, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM {RUN_EVIDENCE} \
           ) s WHERE cand IS NOT NULL AND cand <> '' GROUP BY cand \
         ) c LEFT JOIN ( \
           SELECT regexp_replace(url, '{SCHEME}', '') AS key, MAX(score) AS score, \
                  first_value(brand ORDER BY score DESC, url) AS brand, \
                  first_value(reasons ORDER BY score DESC, url) AS reasons \
           FROM {RUN_EVIDENCE} GROUP BY regexp_replace(url, '{SCHEME}', '') \
         ) e ON e.key = regexp_replace(c.cand, '{SCHEME}', '')",
        fwin = c.window("COALESCE(first_seen, loaded_at)"),
        url = http_url(),
        ok = http_ok(),
    )
}

/// Phishing candidates: the combined score, the brand and its country, and
/// the facts that decide what is a page and what is a phishing domain.
pub fn hits_sql(c: &PhishConfig) -> String {
    format!(
        "SELECT h.*, get_field(phish_brand(h.brand), 'country') AS brand_country, \
                NOT regexp_like(h.cand, '[/?#]') AS is_host, \
                regexp_like(h.cand, '^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]+/?$') AS at_root, \
                COALESCE(get_field(phish_score(h.domain), 'phishing'), false) AS host_phishing, \
                regexp_like(h.cand, '{STATIC_ASSET}') AS static_asset \
         FROM ( \
           SELECT cand, sources, first_seen, last_seen, v['host'] AS domain, \
                  v['registered_domain'] AS registered_domain, \
                  COALESCE(v['legitimate'], false) AS legitimate, \
                  round(1 - (1 - COALESCE(v['score'], 0)) * (1 - CASE WHEN listed THEN {fw} ELSE 0 END) \
                        * (1 - COALESCE(page_score, 0)), 2) AS score, \
                  CASE WHEN feed_brand IS NOT NULL THEN feed_brand WHEN v['phishing'] THEN v['brand'] \
                       WHEN page_brand IS NOT NULL THEN page_brand ELSE v['brand'] END AS brand, \
                  array_concat(v['reasons'], feed_notes, page_reasons) AS reasons \
           FROM {RUN_SCORED} \
         ) h \
         WHERE h.score >= {t} AND h.brand IS NOT NULL AND NOT h.legitimate AND h.domain IS NOT NULL",
        fw = c.feed_weight,
        t = c.threshold,
    )
}

/// Phishing domains: every visit to them counts.
pub fn domains_sql() -> String {
    format!(
        "SELECT domain, first_value(brand ORDER BY score DESC, cand) AS brand, \
                first_value(brand_country ORDER BY score DESC, cand) AS brand_country \
         FROM {RUN_HITS} WHERE is_host OR at_root OR host_phishing GROUP BY domain"
    )
}

/// The pages: phishing URLs that are not static assets, and phishing
/// domains with no such URL, as their bare name.
pub fn pages_sql() -> String {
    format!(
        "WITH urls AS (SELECT * FROM {RUN_HITS} WHERE NOT is_host AND NOT static_asset), \
              host_sources AS (SELECT domain, flatten(array_agg(sources)) AS s FROM {RUN_HITS} \
                               WHERE is_host GROUP BY domain) \
         SELECT u.cand AS url, u.domain, u.registered_domain, u.brand, u.brand_country, u.first_seen, \
                u.last_seen, u.score, u.reasons, \
                array_sort(array_distinct(array_concat(u.sources, COALESCE(hs.s, u.sources)))) AS sources \
         FROM urls u LEFT JOIN host_sources hs ON hs.domain = u.domain \
         UNION ALL \
         SELECT h.domain AS url, h.domain AS domain, MAX(h.registered_domain) AS registered_domain, \
                first_value(h.brand ORDER BY h.score DESC, h.cand) AS brand, \
                first_value(h.brand_country ORDER BY h.score DESC, h.cand) AS brand_country, \
                MIN(h.first_seen) AS first_seen, MAX(h.last_seen) AS last_seen, MAX(h.score) AS score, \
                first_value(h.reasons ORDER BY h.score DESC, h.cand) AS reasons, \
                array_sort(array_distinct(flatten(array_agg(h.sources)))) AS sources \
         FROM {RUN_HITS} h \
         WHERE h.domain IN (SELECT rd.domain FROM {RUN_DOMAINS} rd) AND h.domain NOT IN (SELECT uu.domain FROM urls uu) \
         GROUP BY h.domain"
    )
}

/// Where each page's host was served from: the public addresses its name
/// resolved to, and the servers of HTTP requests and TLS sessions naming
/// it (an IP-literal host is its own address), with when.
pub fn hosting_sql(c: &PhishConfig) -> String {
    let w = c.window("x.ts");
    format!(
        "WITH hosts AS (SELECT domain FROM {RUN_PAGES} UNION SELECT domain FROM {RUN_DOMAINS}) \
         SELECT domain, ip, MIN(ts) AS first_seen, MAX(ts) AS last_seen FROM ( \
           SELECT q AS domain, a AS ip, ts FROM ( \
             SELECT {DNS_NAME} AS q, x.ts, unnest(x.answers) AS a FROM dns x \
             WHERE {w} AND x.answers IS NOT NULL AND {DNS_NAME} IN (SELECT hh.domain FROM hosts hh)) d \
           UNION ALL \
           SELECT {HTTP_HOST} AS domain, x.server_ip AS ip, x.ts FROM http x \
           WHERE {w} AND {HTTP_HOST} IN (SELECT hh.domain FROM hosts hh) \
           UNION ALL \
           SELECT {TLS_NAME} AS domain, x.server_ip AS ip, x.ts FROM tls x \
           WHERE {w} AND {TLS_NAME} IN (SELECT hh.domain FROM hosts hh) \
           UNION ALL \
           SELECT domain, domain AS ip, first_seen AS ts FROM {RUN_PAGES} WHERE ip_is_reserved(domain) IS NOT NULL \
           UNION ALL \
           SELECT domain, domain AS ip, last_seen AS ts FROM {RUN_PAGES} WHERE ip_is_reserved(domain) IS NOT NULL \
         ) s WHERE ip_is_reserved(ip) = false GROUP BY domain, ip"
    )
}

/// The `phish_pages` rows: each page with each address that hosted it
/// (times are when the host was seen at that address), or with none.
pub fn page_rows_sql() -> String {
    format!(
        "SELECT p.url, p.domain, p.registered_domain, h.ip AS hosting_ip, p.brand, p.brand_country, \
                COALESCE(h.first_seen, p.first_seen) AS first_seen, \
                COALESCE(h.last_seen, p.last_seen) AS last_seen, p.score, p.reasons, p.sources \
         FROM {RUN_PAGES} p LEFT JOIN {RUN_HOSTING} h ON h.domain = p.domain \
         ORDER BY url, hosting_ip"
    )
}

/// The `phish_ops` rows: DNS look-ups of phishing domains (with the first
/// public address answered), HTTP requests to phishing domains or for
/// phishing pages, TLS sessions to phishing domains.
pub fn ops_sql(c: &PhishConfig) -> String {
    let w = c.window("x.ts");
    format!(
        "WITH url_pages AS ( \
           SELECT regexp_replace(url, '{SCHEME}', '') AS key, MIN(domain) AS domain, \
                  first_value(brand ORDER BY score DESC, url) AS brand, \
                  first_value(brand_country ORDER BY score DESC, url) AS brand_country \
           FROM {RUN_PAGES} WHERE url <> domain GROUP BY regexp_replace(url, '{SCHEME}', '')), \
         dns_ops AS ( \
           SELECT x.ts, x.client_ip, d.domain, d.brand, d.brand_country, x.answers, x.source_file, x.source_line \
           FROM dns x JOIN {RUN_DOMAINS} d ON d.domain = {DNS_NAME} WHERE {w} AND {DNS_VISIT}), \
         dns_ip AS ( \
           SELECT source_file, source_line, ts, MIN(a) AS ip FROM ( \
             SELECT source_file, source_line, ts, unnest(answers) AS a FROM dns_ops WHERE answers IS NOT NULL) s \
           WHERE ip_is_reserved(a) = false GROUP BY source_file, source_line, ts), \
         http_req AS ( \
           SELECT x.ts, x.client_ip, x.server_ip, x.source_file, x.source_line, {url} AS url, {HTTP_HOST} AS h \
           FROM http x WHERE {w} AND {ok}) \
         SELECT o.ts, o.client_ip, 'dns' AS kind, CAST(NULL AS VARCHAR) AS url, o.domain, i.ip AS hosting_ip, \
                o.brand, o.brand_country, o.source_file, o.source_line \
         FROM dns_ops o LEFT JOIN dns_ip i \
              ON i.source_file = o.source_file AND i.source_line = o.source_line AND i.ts = o.ts \
         UNION ALL \
         SELECT r.ts, r.client_ip, 'http', r.url, COALESCE(d.domain, u.domain), \
                CASE WHEN ip_is_reserved(r.server_ip) = false THEN r.server_ip END, \
                COALESCE(d.brand, u.brand), COALESCE(d.brand_country, u.brand_country), r.source_file, r.source_line \
         FROM http_req r LEFT JOIN {RUN_DOMAINS} d ON d.domain = r.h \
              LEFT JOIN url_pages u ON u.key = regexp_replace(r.url, '{SCHEME}', '') \
         WHERE d.domain IS NOT NULL OR u.key IS NOT NULL \
         UNION ALL \
         SELECT x.ts, x.client_ip, 'tls', CAST(NULL AS VARCHAR), d.domain, \
                CASE WHEN ip_is_reserved(x.server_ip) = false THEN x.server_ip END, \
                d.brand, d.brand_country, x.source_file, x.source_line \
         FROM tls x JOIN {RUN_DOMAINS} d ON d.domain = {TLS_NAME} WHERE {w} \
         ORDER BY ts, client_ip, kind, source_file, source_line",
        url = http_url(),
        ok = http_ok(),
    )
}

/// One run's findings, ready to store.
pub struct PhishFindings {
    pub pages: Vec<RecordBatch>,
    pub ops: Vec<RecordBatch>,
}

/// Runs every plan. The session has the store's tables (with `phish_feed`)
/// and borderscope's functions; `pages` is the evidence of saved pages.
pub async fn detect(
    ctx: &SessionContext,
    c: &PhishConfig,
    pages: &[PageEvidence],
) -> Result<PhishFindings> {
    let evidence = evidence_batch(pages)?;
    ctx.deregister_table(RUN_EVIDENCE)?;
    ctx.register_table(RUN_EVIDENCE, mem_table(evidence_schema(), &[evidence])?)?;
    keep(ctx, RUN_SCORED, "scored candidates", &scored_sql(c)).await?;
    stage(ctx, RUN_HITS, "phishing candidates", &hits_sql(c)).await?;
    stage(ctx, RUN_DOMAINS, "phishing domains", &domains_sql()).await?;
    stage(ctx, RUN_PAGES, "phishing pages", &pages_sql()).await?;
    stage(ctx, RUN_HOSTING, "hosting addresses", &hosting_sql(c)).await?;
    let pages = collect(ctx, "phish_pages", &page_rows_sql()).await?;
    let ops = collect(ctx, "phish_ops", &ops_sql(c)).await?;
    for t in [
        RUN_EVIDENCE,
        RUN_SCORED,
        RUN_HITS,
        RUN_DOMAINS,
        RUN_PAGES,
        RUN_HOSTING,
    ] {
        ctx.deregister_table(t)?;
    }
    Ok(PhishFindings { pages, ops })
}
