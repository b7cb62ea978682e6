//! Control servers and the hosts they control: every kind of evidence is a
//! SQL plan over the store, giving rows of `c2_evidence` per (host, server);
//! the evidence is combined per pair into `c2_control` and per server into
//! `c2_servers`.
//!
//! A host is an address of the constituency (`ip_is_internal`), a server one
//! outside it. Scores combine as independent evidence (noisy-or:
//! `1 - Π(1 - s)`), so two weak signals can make a finding that neither makes
//! alone, and every finding keeps the list of its evidence kinds and a
//! readable account of each.

use anyhow::{Context, Result};
use borderscope_schema::Micros;

use super::allow::AllowList;
use borderscope_store::staging::{collect, keep, stage};
use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

/// What `detect c2` is asked to do.
#[derive(Debug, Clone)]
pub struct C2Config {
    /// Only events at or after this time (µs since the epoch).
    pub from: Option<Micros>,
    /// Only events before this time.
    pub to: Option<Micros>,
    /// Beacon scores at or above this are evidence (weaker ones are ignored).
    pub min_beacon_evidence: f64,
    /// A pair whose combined score reaches this is a control relation.
    pub control_threshold: f64,
    /// Connections a pair needs before its regularity means anything.
    pub min_connections: i64,
    /// Hosts that must beacon to one server with about the same period for
    /// fan-in evidence.
    pub fan_in_min_hosts: i64,
    /// Share of the hosts reaching a server that must be part of such a
    /// fleet: fan-in is a server almost nothing else talks to.
    pub fan_in_min_share: f64,
    /// Connections a beacon needs before its retries or opaque channel
    /// count as evidence: a handful of failed attempts is everyday noise
    /// (dead peers, blocked ports), a long series of them is not.
    pub min_corroborating_connections: i64,
    /// Non-existent registered labels of one shape a host must look up
    /// before the shape counts as a domain-generation family.
    pub dga_min_family: i64,
    /// Distinct addresses, and countries, a name must resolve to over the
    /// period to count as fast-flux.
    pub flux_min_addresses: i64,
    pub flux_min_countries: i64,
    /// Busy share of a pair's span (summed durations over first-to-last)
    /// above which it is a persistent session rather than a beacon.
    pub max_duty_cycle: f64,
    /// Let beacon evidence alone make a control pair (RITA's view). Off by
    /// default: benign software polls as regularly as implants do, so a
    /// beacon needs a second kind of evidence.
    pub beacon_alone: bool,
    /// Days an indicator stays valid before its first and after its last
    /// sighting in the feed.
    pub intel_grace_days: i64,
    /// Known-good services kept out of the findings.
    pub allow: AllowList,
}

impl Default for C2Config {
    fn default() -> Self {
        C2Config {
            from: None,
            to: None,
            min_beacon_evidence: 0.5,
            control_threshold: 0.7,
            min_connections: 4,
            fan_in_min_hosts: 3,
            fan_in_min_share: 0.8,
            min_corroborating_connections: 10,
            dga_min_family: 10,
            flux_min_addresses: 5,
            flux_min_countries: 3,
            max_duty_cycle: 0.4,
            beacon_alone: false,
            intel_grace_days: 30,
            allow: AllowList::builtin(),
        }
    }
}

pub const EVIDENCE_TABLE: &str = "c2_evidence";
pub const CONTROL_TABLE: &str = "c2_control";
pub const SERVERS_TABLE: &str = "c2_servers";
pub const ALLOWED_TABLE: &str = "c2_allowed";

impl C2Config {
    /// SQL predicate on a `ts` column for the configured period.
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

/// Service ports whose traffic is commonly regular for benign reasons (web,
/// mail, name and time services, remote administration). A channel on any
/// other port that the sensor could not name a protocol for is "opaque".
const SERVICE_PORTS: &str = "20, 21, 22, 25, 53, 80, 110, 123, 143, 443, 465, 587, 853, 993, 995, 3389, 5222, 5223, 8080, 8443";

/// A flow that opened a connection: for TCP, Zeek's history shows the
/// originator's SYN (`S`). Records with only mid-stream packets (`A`, `Da`,
/// ...) continue a connection opened before, and their keep-alive rhythm is
/// the TCP stack's, not a re-connecting implant's. Sources without history
/// (NetFlow, Argus) count every record.
const OPENED: &str = "(f.transport <> 'tcp' OR f.history IS NULL OR strpos(f.history, 'S') > 0)";

/// A TCP connection attempt the server never accepted: Zeek states for an
/// unanswered or refused SYN, Argus states with the originator's SYN and no
/// SYN from the responder, or a record with packets out and none back.
const FAILED: &str = "(f.transport = 'tcp' AND (f.state IN ('S0', 'REJ', 'RSTOS0', 'SH') \
     OR (strpos(f.state, '_') > 0 AND strpos(split_part(f.state, '_', 1), 'S') > 0 \
         AND strpos(split_part(f.state, '_', 2), 'S') = 0) \
     OR (f.history IS NULL AND f.src_pkts > 0 AND f.dst_pkts = 0)))";

/// Every host-to-outside pair of the period with its beacon score and the
/// flow-level facts the beacon evidence uses, computed once and staged: the
/// evidence plans read these pairs four times.
///
/// The beacon score covers the connections the host opened (see
/// [`OPENED`]); the busy share is summed durations over the pair's span.
pub fn beacon_pairs_sql(c: &C2Config) -> String {
    format!(
        "WITH span AS (SELECT MIN(ts) AS s, MAX(ts) AS e FROM flows WHERE {ws}) \
         SELECT f.src_ip AS host, f.dst_ip AS server, MIN(f.dst_port) AS port, \
                beacon_score(f.ts, f.src_bytes, span.s, span.e) FILTER (WHERE {OPENED}) AS p, \
                SUM(COALESCE(f.duration, 0)) / greatest(MAX(date_part('epoch', f.ts) + COALESCE(f.duration, 0)) \
                    - MIN(date_part('epoch', f.ts)), 1) AS duty, \
                AVG(CASE WHEN {FAILED} THEN 1.0 ELSE 0.0 END) FILTER (WHERE {OPENED} AND f.transport = 'tcp') AS failed, \
                bool_and(f.service IS NULL) AND MAX(f.dst_port) NOT IN ({SERVICE_PORTS}) \
                    AND MIN(f.dst_port) NOT IN ({SERVICE_PORTS}) AS opaque \
         FROM flows f CROSS JOIN span \
         WHERE {w} AND ip_is_internal(f.src_ip) AND NOT ip_is_internal(f.dst_ip) \
         GROUP BY f.src_ip, f.dst_ip",
        ws = c.window("ts"),
        w = c.window("f.ts"),
    )
}

/// Beacons: regular, similar-sized connections from a host to a server. A
/// pair needs a period (at least four distinct beats, connections within a
/// second of each other being one beat): a burst of page loads is not a
/// beacon however regular its sizes. A pair connected most of the time (busy
/// share above `max_duty_cycle`) holds a persistent session, such as a
/// long-poll, whose reconnections are regular by construction; it is not a
/// beacon.
///
/// Three more facts about a beaconing pair are evidence of their own, and
/// exist only for beacons: `retries` when most of its connection attempts
/// went unanswered, as an implant retrying a dead or sinkholed controller
/// does; `opaque` when its traffic ran a protocol the sensor could not name
/// on a port that belongs to no common service (both only for beacons of at
/// least `min_corroborating_connections`); and `fan_in` when several hosts
/// beacon to the server with about the same period and they are nearly all
/// (`fan_in_min_share`) of the hosts that reach it — a fleet of implants
/// checking in.
pub fn beacon_sql(c: &C2Config) -> String {
    format!(
        "WITH beacons AS ( \
           SELECT * FROM {RUN_PAIRS} \
           WHERE p['connections'] >= {min} AND p['period_s'] IS NOT NULL AND p['score'] >= {min_score} \
             AND duty <= {max_duty}), \
         clients AS (SELECT server, COUNT(*) AS clients FROM {RUN_PAIRS} GROUP BY server), \
         fleets AS ( \
           SELECT server, COUNT(*) AS beaconing, median(p['period_s']) AS period FROM beacons \
           GROUP BY server HAVING COUNT(*) >= {fan_min}) \
         SELECT host, server, port, 'beacon' AS kind, p['score'] AS score, \
                p['first_seen'] AS first_seen, p['last_seen'] AS last_seen, \
                p['first_seen'] AS detected_at, p['connections'] AS flows, \
                CAST(NULL AS VARCHAR) AS family, \
                concat('connections=', p['connections'], ' period_s=', round(p['period_s'], 1), \
                       ' ts=', round(p['ts_score'], 3), ' size=', round(p['ds_score'], 3), \
                       ' hourly=', round(p['hist_score'], 3), ' duration=', round(p['dur_score'], 3), \
                       ' busy=', round(duty, 3), \
                       CASE WHEN p['strobe'] THEN ' strobe' ELSE '' END) AS detail \
         FROM beacons \
         UNION ALL \
         SELECT host, server, port, 'retries', 0.5, p['first_seen'], p['last_seen'], p['first_seen'], \
                p['connections'], CAST(NULL AS VARCHAR), \
                concat(round(failed * 100, 0), '% of ', p['connections'], ' connection attempts unanswered or refused') \
         FROM beacons WHERE failed >= 0.5 AND p['connections'] >= {min_facts} \
         UNION ALL \
         SELECT host, server, port, 'opaque', 0.4, p['first_seen'], p['last_seen'], p['first_seen'], \
                p['connections'], CAST(NULL AS VARCHAR), \
                concat('no protocol recognised on port ', port, ', which no common service uses') \
         FROM beacons WHERE opaque AND p['connections'] >= {min_facts} \
         UNION ALL \
         SELECT b.host, b.server, b.port, 'fan_in', 0.6, b.p['first_seen'], b.p['last_seen'], b.p['first_seen'], \
                b.p['connections'], CAST(NULL AS VARCHAR), \
                concat(fl.beaconing, ' hosts beacon to this server every ~', round(fl.period, 0), \
                       ' s; ', cl.clients, ' hosts of the constituency reach it at all') \
         FROM beacons b JOIN fleets fl ON b.server = fl.server JOIN clients cl ON cl.server = b.server \
         WHERE fl.beaconing >= {fan_share} * cl.clients \
           AND abs(b.p['period_s'] - fl.period) <= 0.25 * fl.period",
        min = c.min_connections,
        min_score = c.min_beacon_evidence,
        max_duty = c.max_duty_cycle,
        fan_min = c.fan_in_min_hosts,
        min_facts = c.min_corroborating_connections,
        fan_share = c.fan_in_min_share,
    )
}

/// Threat intelligence: flows to listed C2 addresses or into listed C2
/// networks (each distinct destination tested against the networks once,
/// then joined back on the address), replies from listed C2 addresses
/// ([`REPLY`]), and look-ups, HTTP requests and TLS sessions naming listed
/// C2 domains (or their subdomains), each within the indicator's validity.
pub fn intel_sql(c: &C2Config) -> String {
    let valid = |ts: &str| {
        format!(
            "(i.first_seen IS NULL OR {ts} >= i.first_seen - INTERVAL '{g} days') \
             AND (i.last_seen IS NULL OR {ts} <= i.last_seen + INTERVAL '{g} days')",
            g = c.intel_grace_days
        )
    };
    let domain_match =
        |col: &str| format!("(lower({col}) = i.value OR lower({col}) LIKE concat('%.', i.value))");
    let score = "MAX(COALESCE(i.confidence, 80)) / 100.0";
    let pick = "MAX(i.family) AS family, \
                concat('indicator ', MAX(i.value), ' (', MAX(i.feed), COALESCE(concat(', ', MAX(i.campaign)), ''), ')') AS detail";
    format!(
        "SELECT f.src_ip AS host, f.dst_ip AS server, MIN(f.dst_port) AS port, 'intel' AS kind, {score} AS score, \
                MIN(f.ts) AS first_seen, MAX(f.ts) AS last_seen, MIN(f.ts) AS detected_at, COUNT(*) AS flows, {pick} \
         FROM flows f JOIN intel i ON i.kind = 'ip' AND i.value = f.dst_ip \
         WHERE {w} AND i.threat = 'botnet_cc' AND {vf} \
           AND ip_is_internal(f.src_ip) AND NOT ip_is_internal(f.dst_ip) \
         GROUP BY f.src_ip, f.dst_ip \
         UNION ALL \
         SELECT f.dst_ip, f.src_ip, MIN(f.src_port), 'intel', {score}, \
                MIN(f.ts), MAX(f.ts), MIN(f.ts), COUNT(*), {pick} \
         FROM flows f JOIN intel i ON i.kind = 'ip' AND i.value = f.src_ip \
         WHERE {w} AND i.threat = 'botnet_cc' AND {vf} AND {reply} \
           AND ip_is_internal(f.dst_ip) AND NOT ip_is_internal(f.src_ip) \
         GROUP BY f.dst_ip, f.src_ip \
         UNION ALL \
         SELECT f.src_ip, f.dst_ip, MIN(f.dst_port), 'intel', {score}, \
                MIN(f.ts), MAX(f.ts), MIN(f.ts), COUNT(*), {pick} \
         FROM flows f JOIN ( \
                SELECT n.ip, c.value, c.threat, c.first_seen, c.last_seen, c.confidence, c.family, c.feed, c.campaign \
                FROM (SELECT DISTINCT dst_ip AS ip FROM flows WHERE {wd}) n \
                JOIN intel c ON c.kind = 'cidr' AND ip_in_network(n.ip, c.value)) i ON i.ip = f.dst_ip \
         WHERE {w} AND i.threat = 'botnet_cc' AND {vf} \
           AND ip_is_internal(f.src_ip) AND NOT ip_is_internal(f.dst_ip) \
         GROUP BY f.src_ip, f.dst_ip \
         UNION ALL \
         SELECT d.client_ip, d.answer, CAST(NULL AS INT), 'intel', {score}, \
                MIN(d.ts), MAX(d.ts), MIN(d.ts), COUNT(*), {pick} \
         FROM (SELECT ts, client_ip, query, unnest(answers) AS answer FROM dns WHERE {wd}) d \
              JOIN intel i ON i.kind = 'domain' AND {dq} \
         WHERE i.threat = 'botnet_cc' AND {vd} AND ip_is_internal(d.client_ip) \
           AND ip_is_reserved(d.answer) IS NOT NULL AND NOT ip_is_internal(d.answer) \
         GROUP BY d.client_ip, d.answer \
         UNION ALL \
         SELECT h.client_ip, h.server_ip, MIN(h.server_port), 'intel', {score}, \
                MIN(h.ts), MAX(h.ts), MIN(h.ts), COUNT(*), {pick} \
         FROM (SELECT ts, client_ip, server_ip, server_port, host AS name FROM http WHERE {wd} \
               UNION ALL SELECT ts, client_ip, server_ip, server_port, sni FROM tls WHERE {wd}) h \
              JOIN intel i ON i.kind = 'domain' AND {dh} \
         WHERE i.threat = 'botnet_cc' AND {vh} \
           AND ip_is_internal(h.client_ip) AND NOT ip_is_internal(h.server_ip) \
         GROUP BY h.client_ip, h.server_ip",
        w = c.window("f.ts"),
        wd = c.window("ts"),
        vf = valid("f.ts"),
        vd = valid("d.ts"),
        vh = valid("h.ts"),
        dq = domain_match("d.query"),
        dh = domain_match("h.name"),
        reply = REPLY,
    )
}

/// A one-way flow record (sampled NetFlow/IPFIX: no reverse counters) that
/// is a server's reply to a connection the internal host opened: from the
/// lower (service) port to the higher (ephemeral) one, and, for TCP, not a
/// bare SYN, which would be the outside address opening a connection (a
/// scan) rather than answering one. Sampling keeps one packet in thousands,
/// so for many hosts the only record left of a session with a listed
/// server is the server's side of it.
const REPLY: &str = "f.dst_bytes IS NULL AND f.src_port < f.dst_port \
     AND (f.transport <> 'tcp' OR f.history IS NULL OR strpos(f.history, 'A') > 0)";

/// IDS alerts that name a trojan, a botnet or command-and-control traffic
/// between a host and an outside server. A signature that says "command and
/// control" (or C2, CnC, checkin) is strong evidence; a trojan category alone
/// is weaker, because the same categories fire on inbound exploits.
pub fn ids_sql(c: &C2Config) -> String {
    let w = c.window("ts");
    let text = "concat(COALESCE(category, ''), ' ', signature)";
    format!(
        "SELECT CASE WHEN ip_is_internal(src_ip) THEN src_ip ELSE dst_ip END AS host, \
                CASE WHEN ip_is_internal(src_ip) THEN dst_ip ELSE src_ip END AS server, \
                MIN(CASE WHEN ip_is_internal(src_ip) THEN dst_port ELSE src_port END) AS port, \
                'ids' AS kind, \
                MAX(CASE WHEN regexp_like({text}, '(?i)(command and control|\\bc2\\b|\\bcnc\\b|c&c|checkin|check-in|beacon)') \
                         THEN 0.9 ELSE 0.6 END) AS score, \
                MIN(ts) AS first_seen, MAX(ts) AS last_seen, MIN(ts) AS detected_at, COUNT(*) AS flows, \
                CAST(NULL AS VARCHAR) AS family, \
                concat(COUNT(*), ' alerts, e.g. ', MAX(signature)) AS detail \
         FROM alerts \
         WHERE {w} AND src_ip IS NOT NULL AND dst_ip IS NOT NULL \
           AND regexp_like({text}, '(?i)(trojan|command and control|\\bc2\\b|\\bcnc\\b|c&c|botnet|checkin)') \
           AND ip_is_internal(src_ip) <> ip_is_internal(dst_ip) \
         GROUP BY 1, 2"
    )
}

/// The label a domain was registered under and the suffix it sits below.
/// An approximation of the public suffix list: one label of suffix, or two
/// when the second-level one is a generic registry label under a country
/// code (`co.uk`, `com.br`, `ac.jp`, ...).
const REGISTERED: &str = r"([a-z0-9-]+)\.((?:(?:co|com|net|org|gov|edu|ac|or|ne|go|gob|nic)\.)?[a-z][a-z0-9-]{1,62})\.?$";

/// Flows counted once each after a join with look-ups, which pairs one flow
/// with every look-up before it.
const DISTINCT_FLOWS: &str =
    "COUNT(DISTINCT concat(CAST(ts AS VARCHAR), '/', COALESCE(CAST(src_port AS VARCHAR), '')))";

/// How long after a look-up a connection to one of its answers counts as
/// using it.
const LOOKUP_USE: &str = "INTERVAL '1 hour'";

/// Domains an implant's generator made, resolved and then contacted. A
/// domain-generation algorithm shows as a host asking for many registered
/// names that do not exist, all under one suffix and of one label shape
/// (length, and whether digits or hyphens occur: the generator's
/// alphabet); the few that resolve belong to the same family, and a
/// connection to an answer of one of those within an hour of the look-up
/// is evidence against that server. Distinct registered labels are
/// counted, not names, so that a browser's probes under one search domain
/// are not a family. The score grows with the family's size: 0.7 (enough
/// alone) at the minimum, 0.9 from three times it.
pub fn dga_sql(c: &C2Config) -> String {
    format!(
        "WITH q AS ( \
           SELECT client_ip AS host, lower(query) AS name, rcode, answers, ts, \
                  regexp_match(lower(query), '{REGISTERED}') AS m \
           FROM dns WHERE {w} AND query IS NOT NULL AND ip_is_internal(client_ip)), \
         named AS ( \
           SELECT host, name, rcode, answers, ts, m[1] AS label, m[2] AS suffix, \
                  concat(character_length(m[1]), CASE WHEN regexp_like(m[1], '[0-9]') THEN ' with digits' ELSE '' END, \
                         CASE WHEN strpos(m[1], '-') > 0 THEN ' with hyphens' ELSE '' END) AS shape \
           FROM q WHERE m IS NOT NULL), \
         families AS ( \
           SELECT host, suffix, shape, \
                  COUNT(DISTINCT label) FILTER (WHERE rcode = 'NXDOMAIN') AS missing \
           FROM named GROUP BY host, suffix, shape \
           HAVING COUNT(DISTINCT label) FILTER (WHERE rcode = 'NXDOMAIN') >= {min}), \
         resolved AS ( \
           SELECT n.host, n.name, n.ts, fam.missing, fam.suffix, fam.shape, unnest(n.answers) AS answer \
           FROM named n JOIN families fam ON n.host = fam.host AND n.suffix = fam.suffix AND n.shape = fam.shape \
           WHERE n.rcode = 'NOERROR'), \
         used AS ( \
           SELECT r.host, r.answer AS server, r.name, r.missing, r.suffix, r.shape, f.ts, f.src_port, f.dst_port \
           FROM resolved r JOIN flows f ON f.src_ip = r.host AND f.dst_ip = r.answer \
           WHERE ip_is_reserved(r.answer) = FALSE AND NOT ip_is_internal(r.answer) \
             AND f.ts >= r.ts AND f.ts < r.ts + {LOOKUP_USE} AND {wf}) \
         SELECT host, server, MIN(dst_port) AS port, 'dga' AS kind, \
                least(0.9, 0.7 + 0.2 * (MAX(missing) - {min}) / (2.0 * {min})) AS score, \
                MIN(ts) AS first_seen, MAX(ts) AS last_seen, MIN(ts) AS detected_at, {DISTINCT_FLOWS} AS flows, \
                CAST(NULL AS VARCHAR) AS family, \
                concat('resolved ', MIN(name), ' (', COUNT(DISTINCT name), ' names) from a family of ', \
                       MAX(missing), ' non-existent .', MAX(suffix), ' names with labels of ', MAX(shape), \
                       ' characters looked up by this host') AS detail \
         FROM used GROUP BY host, server",
        w = c.window("ts"),
        wf = c.window("f.ts"),
        min = c.dga_min_family,
    )
}

/// Fast-flux domains, resolved and then contacted: a name whose answers,
/// over the period, are many addresses spread over several countries (and
/// autonomous systems, where the geolocation data has them), as botnets
/// rotate compromised hosts in front of their servers. Content networks
/// answer one resolver from nearby networks, so the country spread is what
/// sets the two apart. Not enough alone (0.6): it says the server is
/// disposable, not that it controls anything.
pub fn fast_flux_sql(c: &C2Config) -> String {
    format!(
        "WITH a AS ( \
           SELECT client_ip AS host, lower(query) AS name, ts, unnest(answers) AS answer \
           FROM dns WHERE {w} AND query IS NOT NULL AND rcode = 'NOERROR'), \
         ips AS (SELECT * FROM a WHERE ip_is_reserved(answer) = FALSE), \
         flux AS ( \
           SELECT name, COUNT(DISTINCT answer) AS addresses, COUNT(DISTINCT ip_country(answer)) AS countries, \
                  COUNT(DISTINCT ip_asn(answer)) AS networks \
           FROM ips GROUP BY name \
           HAVING COUNT(DISTINCT answer) >= {min_ips} AND COUNT(DISTINCT ip_country(answer)) >= {min_cc} \
              AND (COUNT(DISTINCT ip_asn(answer)) = 0 OR COUNT(DISTINCT ip_asn(answer)) >= {min_cc})), \
         used AS ( \
           SELECT i.host, i.answer AS server, i.name, x.addresses, x.countries, f.ts, f.src_port, f.dst_port \
           FROM ips i JOIN flux x ON i.name = x.name \
                JOIN flows f ON f.src_ip = i.host AND f.dst_ip = i.answer \
           WHERE ip_is_internal(i.host) AND NOT ip_is_internal(i.answer) \
             AND f.ts >= i.ts AND f.ts < i.ts + {LOOKUP_USE} AND {wf}) \
         SELECT host, server, MIN(dst_port) AS port, 'fast_flux' AS kind, 0.6 AS score, \
                MIN(ts) AS first_seen, MAX(ts) AS last_seen, MIN(ts) AS detected_at, {DISTINCT_FLOWS} AS flows, \
                CAST(NULL AS VARCHAR) AS family, \
                concat(MIN(name), ' resolved to ', MAX(addresses), ' addresses in ', MAX(countries), ' countries') AS detail \
         FROM used GROUP BY host, server",
        w = c.window("ts"),
        wf = c.window("f.ts"),
        min_ips = c.flux_min_addresses,
        min_cc = c.flux_min_countries,
    )
}

/// All evidence rows, one per (host, server, kind).
pub fn evidence_sql(c: &C2Config) -> String {
    [
        beacon_sql(c),
        intel_sql(c),
        ids_sql(c),
        dga_sql(c),
        fast_flux_sql(c),
    ]
    .iter()
    .map(|sql| {
        format!(
            "SELECT host, server, CAST(port AS INT) AS port, kind, CAST(score AS DOUBLE) AS score, \
                    first_seen, last_seen, detected_at, CAST(flows AS BIGINT) AS flows, family, detail \
             FROM ({sql})"
        )
    })
    .collect::<Vec<_>>()
    .join(" UNION ALL ")
}

/// Names under which one run's intermediate results are queried; not the
/// stored tables, which hold the previous run's findings until this one
/// commits.
const RUN_PAIRS: &str = "c2_run_pairs";
const RUN_EVIDENCE: &str = "c2_run_evidence";
const RUN_CONTROL: &str = "c2_run_control";
const RUN_ALLOWED: &str = "c2_run_allowed";
const RUN_ALLOW_LIST: &str = "c2_run_allow_list";

/// Every kind of evidence the plans of [`evidence_sql`] write, sorted.
pub const EVIDENCE_KINDS: [&str; 8] = [
    "beacon",
    "dga",
    "fan_in",
    "fast_flux",
    "ids",
    "intel",
    "opaque",
    "retries",
];

/// A group's kinds of evidence as a sorted list, from one `bool_or` per
/// kind. `array_agg(DISTINCT kind)` would keep a hash set per group, and at
/// a national scale the groups are the million host-server pairs; its
/// order would also depend on how rows were partitioned, and the stored
/// findings must be the same embedded and on a cluster.
fn kinds_list(q: &str) -> String {
    let parts: Vec<String> = EVIDENCE_KINDS
        .iter()
        .map(|k| format!("CASE WHEN bool_or({q}kind = '{k}') THEN '{k}' END"))
        .collect();
    format!("string_to_array(concat_ws(',', {}), ',')", parts.join(", "))
}

/// Pairs whose combined evidence reaches the threshold.
pub fn control_sql(c: &C2Config) -> String {
    format!(
        "SELECT server, host, MIN(port) AS port, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, \
                MIN(detected_at) AS detected_at, MAX(flows) AS flows, \
                1 - exp(SUM(ln(1 - least(score, 0.999)))) AS score, \
                {kinds} AS evidence, MAX(family) AS family \
         FROM {RUN_EVIDENCE} WHERE server NOT IN (SELECT server FROM {RUN_ALLOWED}) \
         GROUP BY server, host \
         HAVING 1 - exp(SUM(ln(1 - least(score, 0.999)))) >= {t} AND {corroborated}",
        t = c.control_threshold,
        kinds = kinds_list(""),
        corroborated = corroborated(c, ""),
    )
}

/// A pair is control only with two kinds of evidence, or one kind other
/// than a beacon that is strong on its own (an intel match, a C2 alert).
/// `q` qualifies the evidence columns (`"e."` or nothing).
fn corroborated(c: &C2Config, q: &str) -> String {
    if c.beacon_alone {
        return "TRUE".into();
    }
    format!(
        "(MIN({q}kind) < MAX({q}kind) OR MAX(CASE WHEN {q}kind <> 'beacon' THEN {q}score END) >= {t})",
        t = c.control_threshold
    )
}

/// Pairs that would be control but for the allow-list, with the entry that
/// kept each out: the allow-list is reported as applied, not silently.
pub fn allowed_sql(c: &C2Config) -> String {
    format!(
        "SELECT e.server, e.host, \
                1 - exp(SUM(ln(1 - least(e.score, 0.999)))) AS score, \
                array_to_string({kinds}, ',') AS evidence, \
                (SELECT array_to_string(array_sort(array_agg(DISTINCT a.allowed_by)), ',') FROM {RUN_ALLOWED} a WHERE a.server = e.server) AS allowed_by \
         FROM {RUN_EVIDENCE} e WHERE e.server IN (SELECT server FROM {RUN_ALLOWED}) \
         GROUP BY e.server, e.host \
         HAVING 1 - exp(SUM(ln(1 - least(e.score, 0.999)))) >= {t} AND {corroborated}",
        t = c.control_threshold,
        kinds = kinds_list("e."),
        corroborated = corroborated(c, "e."),
    )
}

/// Names each evidence server was reached by, matched against allowed
/// domains, and servers in allowed autonomous systems.
fn allowed_by_name_sql() -> String {
    format!(
        "WITH names AS ( \
           SELECT server_ip AS server, lower(sni) AS name FROM tls WHERE sni IS NOT NULL \
           UNION ALL SELECT server_ip, lower(host) FROM http WHERE host IS NOT NULL \
           UNION ALL SELECT a, lower(query) FROM (SELECT query, unnest(answers) AS a FROM dns) WHERE query IS NOT NULL), \
         ev AS (SELECT DISTINCT server FROM {RUN_EVIDENCE}) \
         SELECT DISTINCT ev.server, concat('domain ', al.value) AS allowed_by \
         FROM ev JOIN names n ON n.server = ev.server \
              JOIN {RUN_ALLOW_LIST} al ON al.kind = 'domain' AND (n.name = al.value OR n.name LIKE concat('%.', al.value)) \
         UNION ALL \
         SELECT ev.server, concat('AS', al.value) FROM ev \
              JOIN {RUN_ALLOW_LIST} al ON al.kind = 'asn' AND CAST(ip_asn(ev.server) AS VARCHAR) = al.value"
    )
}

/// One row per control server.
pub fn servers_sql() -> String {
    format!(
        "SELECT c.server AS ip, COUNT(DISTINCT c.host) AS hosts, MIN(c.first_seen) AS first_seen, \
                MAX(c.last_seen) AS last_seen, MAX(c.score) AS score, SUM(c.flows) AS flows, \
                MAX(c.family) AS family, \
                array_sort(array_distinct(flatten(array_agg(c.evidence)))) AS evidence, \
                array_sort(array_agg(DISTINCT c.port) FILTER (WHERE c.port IS NOT NULL)) AS ports, \
                (SELECT array_sort(array_agg(DISTINCT d.query)) FROM (SELECT query, unnest(answers) AS a FROM dns) d WHERE d.a = c.server) AS domains \
         FROM {RUN_CONTROL} c GROUP BY c.server"
    )
}

/// The findings of one run, as record batches ready to store.
pub struct C2Findings {
    pub evidence: Vec<RecordBatch>,
    pub control: Vec<RecordBatch>,
    pub servers: Vec<RecordBatch>,
    /// Pairs kept out by the allow-list: server, host, score, evidence, allowed_by.
    pub allowed: Vec<RecordBatch>,
}

fn text_table(cols: [&str; 2], rows: &[(String, String)]) -> Result<Arc<MemTable>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new(cols[0], DataType::Utf8, false),
        Field::new(cols[1], DataType::Utf8, false),
    ]));
    let a = StringArray::from_iter_values(rows.iter().map(|r| r.0.as_str()));
    let b = StringArray::from_iter_values(rows.iter().map(|r| r.1.as_str()));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(a), Arc::new(b)])?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

/// Servers of this run's evidence that the allow-list covers.
async fn stage_allowed(
    ctx: &SessionContext,
    allow: &AllowList,
    evidence: &[RecordBatch],
) -> Result<()> {
    let list: Vec<(String, String)> = allow
        .rows()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    ctx.deregister_table(RUN_ALLOW_LIST)?;
    ctx.register_table(RUN_ALLOW_LIST, text_table(["kind", "value"], &list)?)?;
    let mut allowed: Vec<(String, String)> = Vec::new();
    for b in collect(ctx, "allowed servers", &allowed_by_name_sql()).await? {
        let server = text(b.column(0))?;
        let by = text(b.column(1))?;
        allowed.extend(
            (0..b.num_rows()).map(|i| (server.value(i).to_string(), by.value(i).to_string())),
        );
    }
    // Networks are matched here: the evidence servers are few.
    for b in evidence {
        let server = text(b.column(1))?;
        for i in 0..b.num_rows() {
            let Ok(ip) = server.value(i).parse::<std::net::IpAddr>() else {
                continue;
            };
            if let Some(n) = allow.networks.iter().find(|n| n.contains(&ip)) {
                allowed.push((server.value(i).to_string(), format!("network {n}")));
            }
        }
    }
    allowed.sort();
    allowed.dedup();
    ctx.deregister_table(RUN_ALLOWED)?;
    ctx.register_table(RUN_ALLOWED, text_table(["server", "allowed_by"], &allowed)?)?;
    Ok(())
}

/// The evidence lists of the findings name [`EVIDENCE_KINDS`] only: a plan
/// writing another kind is a bug to report, not evidence to drop.
fn known_kinds(evidence: &[RecordBatch]) -> Result<()> {
    for b in evidence {
        let kinds = text(b.column(3))?;
        if let Some(k) = kinds.iter().flatten().find(|k| !EVIDENCE_KINDS.contains(k)) {
            anyhow::bail!(
                "a C2 evidence plan wrote the kind {k:?}, which EVIDENCE_KINDS does not list"
            );
        }
    }
    Ok(())
}

fn text(a: &dyn datafusion::arrow::array::Array) -> Result<StringArray> {
    let t = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
    Ok(t.as_any()
        .downcast_ref::<StringArray>()
        .context("not text")?
        .clone())
}

/// Runs every plan. The session must have the store's tables (including
/// `intel`) and borderscope's functions registered.
pub async fn detect(ctx: &SessionContext, c: &C2Config) -> Result<C2Findings> {
    keep(ctx, RUN_PAIRS, "beacon scores", &beacon_pairs_sql(c)).await?;
    let evidence = stage(ctx, RUN_EVIDENCE, "C2 evidence", &evidence_sql(c)).await?;
    known_kinds(&evidence)?;
    stage_allowed(ctx, &c.allow, &evidence).await?;
    let control = stage(ctx, RUN_CONTROL, "C2 control pairs", &control_sql(c)).await?;
    let allowed = collect(ctx, "allow-listed pairs", &allowed_sql(c)).await?;
    let servers = collect(ctx, "C2 servers", &servers_sql()).await?;
    for t in [
        RUN_PAIRS,
        RUN_EVIDENCE,
        RUN_CONTROL,
        RUN_ALLOWED,
        RUN_ALLOW_LIST,
    ] {
        ctx.deregister_table(t)?;
    }
    Ok(C2Findings {
        evidence,
        control,
        servers,
        allowed,
    })
}
