//! The backdoor detector's plans.
//!
//! A *site* is the host name a request named (virtual host, `Host` header),
//! else the server address. Only requests that reached a script (status
//! below 400) count as use: scanners probing for webshell names get 404s,
//! which are scanning, not attacks. A *scanner* is a client that, on one
//! site, requested many distinct paths and collected many errors; its
//! requests never make command evidence, so vulnerability scans of a site
//! are not mistaken for backdoor use.

use anyhow::Result;
use borderscope_store::staging::{collect, keep, stage};
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;

/// What `detect backdoor` is asked to do.
#[derive(Debug, Clone)]
pub struct BackdoorConfig {
    /// A (site, path) whose combined score reaches this is a backdoor.
    pub threshold: f64,
    /// Distinct paths and error responses that make a client a scanner.
    pub scanner_paths: i64,
    pub scanner_errors: i64,
    /// Seconds before a backdoor's first use in which an upload (a POST
    /// elsewhere on the site) or a scan by its user counts.
    pub lead_seconds: i64,
    /// Seconds between an IDS alert and a request from the same client
    /// within which the alert is taken to be about that request (when the
    /// two do not share a flow id).
    pub alert_window_seconds: i64,
}

impl Default for BackdoorConfig {
    fn default() -> Self {
        BackdoorConfig {
            threshold: 0.7,
            scanner_paths: 30,
            scanner_errors: 10,
            lead_seconds: 3600,
            alert_window_seconds: 60,
        }
    }
}

pub const BACKDOORS_TABLE: &str = "backdoors";
pub const ATTACKS_TABLE: &str = "backdoor_attacks";
pub const IMPLANTERS_TABLE: &str = "backdoor_implanters";

/// Extensions a server runs as scripts (the same list as the file side).
const SCRIPT_PATH: &str =
    r"(?i)\.(php[3-7]?|phtml|inc|asp|asa|cer|aspx|ashx|asmx|jsp|jspx|cfm|cgi|pl|py)$";

/// Query strings that carry an operating-system command, a code payload, or
/// a tunnel verb: a command parameter whose value holds a command word,
/// common reconnaissance commands as any parameter's value, eval/assert and
/// base64 payloads, China Chopper's output markers, reGeorg's verbs.
const COMMAND_QUERY: &str = r"(?i)((^|&)(cmd|command|exec|execute|shell|run|c)=[^&]*(whoami|\bid\b|uname|ipconfig|ifconfig|net(\+|%20)user|\bdir\b|\bls\b|\bcat\b|pwd|\bps\b|netstat|wget|curl|\becho\b|\bcd\b|powershell|cmd(\.exe)?(\+|%20)*(/|%2f)c|/bin/|%2fbin%2f|systeminfo|tasklist)|=(whoami|id|uname(\+|%20)-a|ipconfig|ifconfig|systeminfo|powershell)(&|$)|(^|&)cmd=(connect|forward|read|disconnect)(&|$)|(eval|assert)(\(|%28)|base64_decode|_S_|_E_)";

/// Query strings or paths of other attack classes (SQL injection, cross-site
/// scripting, path traversal): a client sending these to a path is testing
/// it, not using a backdoor there.
const OTHER_ATTACK: &str = r"(?i)(union(\+|%20|\s)+(all(\+|%20|\s)+)?select|'|%27|<script|%3cscript|\.\./|%2e%2e|onerror|sleep\(|sleep%28|benchmark\(|waitfor(\+|%20)delay|(\+|%20)or(\+|%20)1=1)";

/// File names webshells are commonly deployed under.
const SHELL_NAME: &str = r"(?i)/(c99|c100|r57|wso|b374k|shell|cmd|cmdasp|webshell|backdoor|bypass|phpspy|aspxspy|jspspy|spy|sh3ll|chopper|caidao|behinder|godzilla|tunnel|regeorg|up|x|1)[0-9_-]*\.(php[3-7]?|phtml|asp|aspx|ashx|jsp|jspx|cfm)$";

/// IDS alerts that name a webshell or web backdoor, by the words of their
/// signature or category, never by signature ids (rule sets renumber and
/// differ): webshell families and tools, and "backdoor" when the alert is
/// about web traffic (a web-attack category or a web rule group).
const WEBSHELL_ALERT: &str = r"(?i)(web[ _-]?shell|china[ _-]?chopper|\bchopper\b|caidao|regeorg|neo-?regeorg|behinder|godzilla|antsword|ant[ _-]sword|\bc99\b|\br57\b|b374k|\bwso\b|jspspy|aspxspy|phpspy)";
const BACKDOOR_WORD: &str = r"(?i)back[ _-]?door";
const WEB_CONTEXT: &str = r"(?i)(web application attack|web[ _-]?attack|web_server|web_specific_apps|web_client|\bweb\b|\bhttp\b|\bphp\b|\basp(x)?\b|\bjsp\b)";

const RUN_REQUESTS: &str = "bd_run_requests";
const RUN_SCANNERS: &str = "bd_run_scanners";
const RUN_EVIDENCE: &str = "bd_run_evidence";
const RUN_BACKDOORS: &str = "bd_run_backdoors";

/// Web requests from both sources, one shape: site, path and query split.
pub fn requests_sql() -> String {
    "SELECT ts, client_ip, \
            lower(regexp_replace(COALESCE(site, server_ip, '(unknown)'), ':[0-9]+$', '')) AS site, \
            upper(COALESCE(method, '-')) AS method, path, query, status, response_bytes, \
            referrer, user_agent, source_file, source_line, CAST(NULL AS VARCHAR) AS uid \
     FROM weblog WHERE path IS NOT NULL \
     UNION ALL \
     SELECT ts, client_ip, \
            lower(regexp_replace(COALESCE(host, server_ip, '(unknown)'), ':[0-9]+$', '')), \
            upper(COALESCE(method, '-')), split_part(uri, '?', 1), \
            CASE WHEN strpos(uri, '?') > 0 THEN substr(uri, strpos(uri, '?') + 1) END, \
            status, response_bytes, referrer, user_agent, source_file, source_line, uid \
     FROM http WHERE uri IS NOT NULL AND client_ip IS NOT NULL"
        .to_string()
}

/// Clients that probed many paths of a site and collected many errors.
///
/// Distinct paths are counted as groups of a first aggregation rather than
/// by `COUNT(DISTINCT path)`, which keeps a hash set per (site, client):
/// millions of them in a country's web logs.
pub fn scanners_sql(c: &BackdoorConfig) -> String {
    format!(
        "SELECT site, client_ip FROM ( \
           SELECT site, client_ip, path, SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors \
           FROM {RUN_REQUESTS} GROUP BY site, client_ip, path) \
         GROUP BY site, client_ip \
         HAVING COUNT(path) >= {p} AND SUM(errors) >= {e}",
        p = c.scanner_paths,
        e = c.scanner_errors
    )
}

/// A SQL string literal of `s` (quotes doubled; backslashes are literal in
/// DataFusion's SQL).
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Requests that reached a script, with the scanner flag and what the query carries.
fn reached() -> String {
    format!(
        "SELECT r.*, s.client_ip IS NOT NULL AS by_scanner, \
                regexp_like(COALESCE(r.query, ''), {cq}) AS carries_command, \
                regexp_like(concat(COALESCE(r.path, ''), '?', COALESCE(r.query, '')), {oa}) AS other_attack, \
                (r.referrer IS NULL OR r.referrer = '' OR r.referrer = '-') AS no_referrer \
         FROM {RUN_REQUESTS} r LEFT JOIN {RUN_SCANNERS} s ON s.site = r.site AND s.client_ip = r.client_ip \
         WHERE r.status < 400 AND regexp_like(r.path, {sp})",
        cq = lit(COMMAND_QUERY),
        oa = lit(OTHER_ATTACK),
        sp = lit(SCRIPT_PATH),
    )
}

/// Every kind of evidence, one row per (site, path, kind). The weights make
/// the published webshell profile reach the default threshold on its own: a
/// script few clients request, by POST, without referrer (`rare_post`),
/// first used right after its user POSTed elsewhere on the site
/// (`after_upload`): 1 - 0.5 × 0.6 = 0.7. Each alone stays below it, as
/// does a benign POST-only API with varying responses (0.625). An IDS alert
/// naming a webshell on a request that reached the script (`ids`, 0.6) is
/// strong but not enough alone, since such signatures also fire on
/// harmless look-alikes; with any other kind it reaches the threshold.
/// Distinct clients per path are counted as in [`scanners_sql`].
pub fn evidence_sql(c: &BackdoorConfig) -> String {
    let lead = c.lead_seconds;
    let window = c.alert_window_seconds;
    format!(
        "WITH ok AS ({reached}), \
         users AS ( \
           SELECT site, path, client_ip, COUNT(*) AS n, SUM(CASE WHEN carries_command THEN 1 ELSE 0 END) AS cmd, \
                  SUM(CASE WHEN other_attack THEN 1 ELSE 0 END) AS other, MIN(ts) AS first_ts, MAX(ts) AS last_ts \
           FROM ok WHERE NOT by_scanner GROUP BY site, path, client_ip), \
         clients AS ( \
           SELECT site, path, COUNT(client_ip) AS clients FROM (SELECT DISTINCT site, path, client_ip FROM ok) \
           GROUP BY site, path), \
         paths AS ( \
           SELECT site, path, COUNT(*) AS n, MAX(c.clients) AS clients, \
                  AVG(CASE WHEN method = 'POST' THEN 1.0 ELSE 0.0 END) AS post_share, \
                  AVG(CASE WHEN no_referrer THEN 1.0 ELSE 0.0 END) AS noref_share, \
                  stddev(CAST(response_bytes AS DOUBLE)) / NULLIF(AVG(CAST(response_bytes AS DOUBLE)), 0) AS size_cv, \
                  MIN(ts) AS first_ts, MAX(ts) AS last_ts \
           FROM ok JOIN clients c USING (site, path) GROUP BY site, path), \
         latest_scan AS ( \
           SELECT site, MAX(scanned_at) AS at FROM web_files GROUP BY site), \
         files AS ( \
           SELECT w.site, concat('/', ltrim(w.path, '/')) AS path, w.rules, w.scanned_at \
           FROM web_files w JOIN latest_scan l ON l.site = w.site AND l.at = w.scanned_at \
           WHERE cardinality(w.rules) > 0), \
         webshell_alerts AS ( \
           SELECT ts, uid, src_ip, signature FROM alerts \
           WHERE src_ip IS NOT NULL AND (regexp_like(concat(signature, ' ', COALESCE(category, '')), {wa}) \
              OR (regexp_like(signature, {bd}) AND regexp_like(concat(signature, ' ', COALESCE(category, '')), {wc})))), \
         alerted AS ( \
           SELECT DISTINCT o.site, o.path, o.ts, o.client_ip, a.signature \
           FROM ok o JOIN webshell_alerts a ON a.src_ip = o.client_ip \
           WHERE NOT o.by_scanner AND ((o.uid IS NOT NULL AND a.uid = o.uid) \
              OR (a.ts >= o.ts - INTERVAL '{window} seconds' AND a.ts <= o.ts + INTERVAL '{window} seconds'))) \
         SELECT site, path, 'command' AS kind, 0.85 AS score, MIN(first_ts) AS first_seen, SUM(cmd) AS requests, \
                COUNT(*) AS clients, concat(SUM(cmd), ' requests carrying commands from ', COUNT(*), ' non-scanning clients') AS detail \
         FROM users WHERE cmd > 0 AND other = 0 GROUP BY site, path \
         UNION ALL \
         SELECT site, path, 'rare_post', 0.5, first_ts, n, clients, \
                concat(n, ' requests from ', clients, ' clients, POST ', round(post_share, 2), ', no referrer ', round(noref_share, 2)) \
         FROM paths WHERE clients <= 3 AND n >= 3 AND post_share >= 0.6 AND noref_share >= 0.8 \
         UNION ALL \
         SELECT site, path, 'shell_name', 0.4, first_ts, n, clients, concat('file name of known webshells, ', n, ' requests reached it') \
         FROM paths WHERE regexp_like(path, {sn}) \
         UNION ALL \
         SELECT site, path, 'size_varies', 0.25, first_ts, n, clients, concat('response size varies (cv ', round(size_cv, 2), ') over ', n, ' requests') \
         FROM paths WHERE clients <= 3 AND n >= 4 AND size_cv >= 0.5 \
         UNION ALL \
         SELECT u.site, u.path, 'after_upload', 0.4, MIN(u.first_ts), COUNT(*), COUNT(DISTINCT u.client_ip), \
                concat('first used by a client that POSTed to ', MAX(up.path), ' shortly before') \
         FROM users u JOIN {RUN_REQUESTS} up ON up.site = u.site AND up.client_ip = u.client_ip AND up.method = 'POST' \
              AND up.status < 400 AND up.path <> u.path \
              AND up.ts <= u.first_ts AND up.ts >= u.first_ts - INTERVAL '{lead} seconds' \
         JOIN paths p ON p.site = u.site AND p.path = u.path AND p.first_ts = u.first_ts AND p.clients <= 3 \
         GROUP BY u.site, u.path \
         UNION ALL \
         SELECT o.site, o.path, 'after_scan', 0.3, MIN(o.ts), COUNT(*), COUNT(DISTINCT o.client_ip), \
                'first reached by a client that had been scanning the site' \
         FROM ok o JOIN paths p ON p.site = o.site AND p.path = o.path AND p.first_ts = o.ts AND p.clients <= 3 \
         WHERE o.by_scanner AND NOT o.other_attack \
         GROUP BY o.site, o.path \
         UNION ALL \
         SELECT site, path, 'ids', 0.6, MIN(ts), COUNT(*), COUNT(DISTINCT client_ip), \
                concat(COUNT(*), ' requests with IDS alerts naming a webshell: ', array_to_string(array_sort(array_agg(DISTINCT signature)), '; ')) \
         FROM alerted GROUP BY site, path \
         UNION ALL \
         SELECT f.site, f.path, 'file', 0.9, COALESCE(p.first_ts, f.scanned_at), COALESCE(p.n, 0), COALESCE(p.clients, 0), \
                concat('YARA: ', array_to_string(f.rules, ', ')) \
         FROM files f LEFT JOIN paths p ON p.site = f.site AND p.path = f.path",
        reached = reached(),
        sn = lit(SHELL_NAME),
        wa = lit(WEBSHELL_ALERT),
        bd = lit(BACKDOOR_WORD),
        wc = lit(WEB_CONTEXT),
    )
}

/// (site, path) pairs whose combined evidence reaches the threshold.
pub fn backdoors_sql(c: &BackdoorConfig) -> String {
    format!(
        "SELECT site, path, MIN(first_seen) AS first_seen, \
                1 - exp(SUM(ln(1 - least(score, 0.999)))) AS score, \
                array_agg(kind ORDER BY kind) AS evidence, \
                string_agg(concat(kind, ': ', detail), '; ') AS detail \
         FROM {RUN_EVIDENCE} GROUP BY site, path \
         HAVING 1 - exp(SUM(ln(1 - least(score, 0.999)))) >= {t}",
        t = c.threshold
    )
}

/// Every request that reached a backdoor.
pub fn attacks_sql() -> String {
    format!(
        "SELECT r.ts, r.client_ip AS attacker_ip, r.site, r.path, r.method, r.status, r.query, \
                r.source_file, r.source_line \
         FROM {RUN_REQUESTS} r JOIN {RUN_BACKDOORS} b ON b.site = r.site AND b.path = r.path \
         WHERE r.status < 400"
    )
}

/// Who planted each backdoor: the client that POSTed elsewhere on the site
/// shortly before the backdoor's first use and then used it ("uploaded"),
/// else the client of its first use ("first_used").
pub fn implanters_sql(c: &BackdoorConfig) -> String {
    let lead = c.lead_seconds;
    format!(
        "WITH first_use AS ( \
           SELECT r.site, r.path, r.client_ip, r.ts, \
                  ROW_NUMBER() OVER (PARTITION BY r.site, r.path ORDER BY r.ts, r.client_ip) AS k \
           FROM {RUN_REQUESTS} r JOIN {RUN_BACKDOORS} b ON b.site = r.site AND b.path = r.path WHERE r.status < 400), \
         uploads AS ( \
           SELECT f.site, f.path, up.client_ip, MAX(up.ts) AS ts, \
                  ROW_NUMBER() OVER (PARTITION BY f.site, f.path ORDER BY MAX(up.ts) DESC, up.client_ip) AS k \
           FROM first_use f JOIN {RUN_REQUESTS} up ON up.site = f.site AND up.method = 'POST' AND up.status < 400 \
                AND up.path <> f.path AND up.ts <= f.ts AND up.ts >= f.ts - INTERVAL '{lead} seconds' \
           WHERE f.k = 1 AND up.client_ip IN (SELECT client_ip FROM first_use u WHERE u.site = f.site AND u.path = f.path) \
           GROUP BY f.site, f.path, up.client_ip) \
         SELECT f.site, f.path, COALESCE(u.client_ip, f.client_ip) AS ip, \
                CASE WHEN u.client_ip IS NOT NULL THEN 'uploaded' ELSE 'first_used' END AS how, \
                COALESCE(u.ts, f.ts) AS ts \
         FROM first_use f LEFT JOIN uploads u ON u.site = f.site AND u.path = f.path AND u.k = 1 \
         WHERE f.k = 1 \
         UNION ALL \
         SELECT b.site, b.path, CAST(NULL AS VARCHAR), 'unknown', b.first_seen \
         FROM {RUN_BACKDOORS} b WHERE NOT EXISTS ( \
           SELECT 1 FROM first_use f WHERE f.site = b.site AND f.path = b.path)"
    )
}

/// One run's findings, ready to store.
pub struct BackdoorFindings {
    pub evidence: Vec<RecordBatch>,
    pub backdoors: Vec<RecordBatch>,
    pub attacks: Vec<RecordBatch>,
    pub implanters: Vec<RecordBatch>,
}

/// Runs every plan; the session has the store's tables, `web_files` included.
pub async fn detect(ctx: &SessionContext, c: &BackdoorConfig) -> Result<BackdoorFindings> {
    keep(ctx, RUN_REQUESTS, "web requests", &requests_sql()).await?;
    keep(ctx, RUN_SCANNERS, "scanning clients", &scanners_sql(c)).await?;
    let evidence = stage(ctx, RUN_EVIDENCE, "backdoor evidence", &evidence_sql(c)).await?;
    let backdoors = stage(ctx, RUN_BACKDOORS, "backdoors", &backdoors_sql(c)).await?;
    let attacks = collect(ctx, "backdoor attacks", &attacks_sql()).await?;
    let implanters = collect(ctx, "implanters", &implanters_sql(c)).await?;
    for t in [RUN_REQUESTS, RUN_SCANNERS, RUN_EVIDENCE, RUN_BACKDOORS] {
        ctx.deregister_table(t)?;
    }
    Ok(BackdoorFindings {
        evidence,
        backdoors,
        attacks,
        implanters,
    })
}
