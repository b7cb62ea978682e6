//! Web server access logs. [`read`] handles both families sniffed here:
//!
//! * Apache/Nginx **combined** (`%h %l %u %t "%r" %>s %b "%{Referer}i"
//!   "%{User-agent}i"`) and **common** (without referrer and user agent), each
//!   optionally preceded by the virtual host (`%v` or `%v:%p`, which fill
//!   `site` and `server_port`). Lines wrapped whole in an extra pair of double
//!   quotes, as in the published apache-http-logs scanner captures, are
//!   unwrapped.
//! * **IIS W3C extended** logs (`#Software: Microsoft Internet Information
//!   Services`, `#Fields: date time s-ip cs-method ...`): fields are taken in
//!   the order the latest `#Fields:` directive gives; `-` means none and `+` in
//!   the user agent stands for a space. IIS writes W3C times in UTC.
//!
//! Scanners put quotes, spaces and binary junk in request lines. Apache escapes
//! `"` and `\` in them (`\"`), so the request ends at the first unescaped quote
//! that is followed by a status and a size; for servers that do not escape,
//! the first `" DDD size` is taken instead. Values are stored as logged, with
//! the server's escapes intact. A request that is not `METHOD URI PROTOCOL`
//! (a TLS hello sent to port 80, `-` for a connection closed before a request)
//! is still traffic: its row has no method and the raw request as `path`.
//! A `-` size (Apache's "no body") is stored as 0 bytes.

use std::borrow::Cow;
use std::io::{self, BufRead};
use std::net::IpAddr;

use borderscope_schema::{Label, Micros, Rejection, WebRequest};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

use crate::formats::ReadOptions;
use crate::lines::LineReader;
use crate::sink::Sink;

/// How many leading non-blank lines `sniff` tries as access log lines.
const SNIFF_LINES: usize = 5;

/// Largest |micros| accepted: 9999-12-31T23:59:59Z, as `micros_from_secs`.
const MAX_MICROS: Micros = 253_402_300_799_000_000;

/// True for a W3C header (`#Software:` or `#Fields:` among the leading
/// directives), or when at least two of the first non-blank lines (or the
/// only one) parse as access log lines.
pub fn sniff(head: &[u8]) -> bool {
    // A last line cut by the end of the sniffed bytes would not parse.
    let whole = if head.len() >= super::SNIFF_BYTES {
        &head[..head.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)]
    } else {
        head
    };
    let text = String::from_utf8_lossy(whole);
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    if lines.peek().is_some_and(|l| l.starts_with('#')) {
        return lines
            .take_while(|l| l.starts_with('#'))
            .any(|l| l.starts_with("#Fields:") || l.starts_with("#Software:"));
    }
    let (mut tried, mut parsed) = (0, 0);
    for line in lines.take(SNIFF_LINES) {
        tried += 1;
        parsed += usize::from(parse_access(0, line).is_ok());
    }
    tried > 0 && parsed >= tried.min(2)
}

pub fn read(input: &mut dyn BufRead, opts: &ReadOptions, sink: &mut dyn Sink) -> io::Result<()> {
    let mut lines = LineReader::with_max_len(input, opts.max_line);
    let mut w3c = W3c::default();
    while let Some(line) = lines.next_line()? {
        if let Some(r) = line.overlong_rejection() {
            sink.reject(r);
            continue;
        }
        if let Err(why) = log_line(line.number, line.bytes, &mut w3c, sink) {
            sink.reject(Rejection::at_line(line.number, why, line.bytes));
        }
    }
    Ok(())
}

/// Delivers one line's row or skip; the error is why the line is rejected.
fn log_line(number: u64, bytes: &[u8], w3c: &mut W3c, sink: &mut dyn Sink) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        sink.skip(1);
        return Ok(());
    }
    // No access log line starts with `#`; W3C directives all do.
    if text.starts_with('#') {
        w3c.directive(text);
        sink.skip(1);
        return Ok(());
    }
    let row = match &w3c.fields {
        Some(fields) => parse_w3c(number, fields, w3c.date, text)?,
        None => parse_access(number, text)?,
    };
    sink.web(&row);
    Ok(())
}

// ---- Apache / Nginx ---------------------------------------------------------

fn parse_access(number: u64, line: &str) -> Result<WebRequest<'_>, String> {
    let line = unwrap_whole_line(line);
    let (prefix, rest) = line
        .split_once(" [")
        .ok_or("no `[` opening the timestamp")?;
    let who = Prefix::parse(prefix)?;
    let (stamp, rest) = rest.split_once(']').ok_or("no `]` closing the timestamp")?;
    let ts = access_time(stamp)?;
    let rest = rest
        .strip_prefix(" \"")
        .ok_or("no quoted request after the timestamp")?;
    let (request, status, size, tail) =
        split_request(rest).ok_or("no `\" status size` after the request")?;
    let response_bytes = match size {
        "-" => 0,
        digits => digits
            .parse()
            .map_err(|_| format!("response size `{digits}` is out of range"))?,
    };
    let request = Request::parse(request);
    let (path, query) = request.path_and_query();
    let (referrer, user_agent) = referrer_and_agent(tail);
    Ok(WebRequest {
        line: number,
        ts,
        client_ip: who.client_ip,
        site: who.site.map(Cow::Borrowed),
        server_ip: None,
        server_port: who.server_port,
        user: dash_none(who.user),
        method: request.method.map(Cow::Borrowed),
        path: Some(Cow::Borrowed(path)),
        query: query.map(Cow::Borrowed),
        protocol: request.protocol.map(Cow::Borrowed),
        // Three ASCII digits always fit.
        status: status.parse().ok(),
        response_bytes: Some(response_bytes),
        referrer: referrer.and_then(dash_none),
        user_agent: user_agent.and_then(dash_none),
        label: Label::default(),
    })
}

/// The apache-http-logs captures wrap each line in one more pair of quotes:
/// `"1.2.3.4 - - [...] "GET / HTTP/1.1" 200 5 "-" "UA""`. A real line starts
/// with a host name or address, never a quote.
fn unwrap_whole_line(line: &str) -> &str {
    match line.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"').unwrap_or(inner),
        None => line,
    }
}

/// What comes before the timestamp: `[vhost[:port]] host ident user`.
struct Prefix<'a> {
    site: Option<&'a str>,
    server_port: Option<u16>,
    client_ip: IpAddr,
    user: &'a str,
}

impl<'a> Prefix<'a> {
    fn parse(prefix: &'a str) -> Result<Prefix<'a>, String> {
        let mut fields = [""; 4];
        let mut count = 0;
        for field in prefix.split_ascii_whitespace() {
            if let Some(slot) = fields.get_mut(count) {
                *slot = field;
            }
            count += 1;
        }
        let (vhost, host, user) = match count {
            3 => (None, fields[0], fields[2]),
            4 => (Some(fields[0]), fields[1], fields[3]),
            n => {
                return Err(format!(
                    "expected `host ident user`, optionally after a virtual host, before the timestamp; found {n} fields"
                ))
            }
        };
        let client_ip = host
            .parse()
            .map_err(|_| format!("client `{host}` is not an IP address"))?;
        let (site, server_port) = match vhost {
            Some(v) => split_vhost(v),
            None => (None, None),
        };
        Ok(Prefix {
            site,
            server_port,
            client_ip,
            user,
        })
    }
}

/// `%v:%p` gives `example.com:443`; `%v` alone has no port.
fn split_vhost(vhost: &str) -> (Option<&str>, Option<u16>) {
    match vhost.rsplit_once(':') {
        Some((site, port)) if !site.is_empty() => match port.parse() {
            Ok(port) => (Some(site), Some(port)),
            Err(_) => (Some(vhost), None),
        },
        _ => (Some(vhost), None),
    }
}

fn access_time(stamp: &str) -> Result<Micros, String> {
    DateTime::parse_from_str(stamp, "%d/%b/%Y:%H:%M:%S %z")
        .ok()
        .map(|t| t.timestamp_micros())
        .filter(|m| m.abs() <= MAX_MICROS)
        .ok_or_else(|| format!("timestamp `{stamp}` is not like 22/Dec/2016:16:30:52 +0300"))
}

/// Splits what follows the request's opening quote into the request, the
/// status, the size and the rest (referrer, user agent, extra fields).
fn split_request(rest: &str) -> Option<(&str, &str, &str, &str)> {
    if let Some(found) = closing_quote(rest).and_then(|end| status_after(rest, end)) {
        return Some(found);
    }
    // Unescaped quotes inside the request: take the first `" DDD size`.
    rest.match_indices("\" ")
        .find_map(|(end, _)| status_after(rest, end))
}

/// `rest` split at the quote at `end` when ` DDD size` follows it.
fn status_after(rest: &str, end: usize) -> Option<(&str, &str, &str, &str)> {
    let after = rest.get(end + 1..)?.strip_prefix(' ')?;
    let status = after.get(..3)?;
    let after = after.get(3..)?.strip_prefix(' ')?;
    let size_len = after.find(' ').unwrap_or(after.len());
    let size = &after[..size_len];
    let is_size = size == "-" || (!size.is_empty() && size.bytes().all(|b| b.is_ascii_digit()));
    (status.bytes().all(|b| b.is_ascii_digit()) && is_size)
        .then(|| (&rest[..end], status, size, &after[size_len..]))
}

/// Index of the first `"` not escaped by a backslash.
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// The quoted string at the start of `s` and what follows it.
fn take_quoted(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('"')?;
    let end = closing_quote(inner)?;
    Some((&inner[..end], &inner[end + 1..]))
}

/// Referrer and user agent from what follows the size. Escape-aware first;
/// when quotes inside them were not escaped, the split is at the last `" "`.
fn referrer_and_agent(tail: &str) -> (Option<&str>, Option<&str>) {
    let tail = tail.trim();
    if tail.is_empty() {
        return (None, None);
    }
    // Whatever follows the user agent must be further quoted fields (Nginx
    // appends some); anything else means the quotes were not escaped.
    let clean_end = |rest: &str| rest.is_empty() || rest.starts_with(" \"");
    let escaped = take_quoted(tail).and_then(|(referrer, rest)| {
        if rest.is_empty() {
            return Some((Some(referrer), None));
        }
        let (agent, rest) = take_quoted(rest.strip_prefix(' ')?)?;
        clean_end(rest).then_some((Some(referrer), Some(agent)))
    });
    escaped.unwrap_or_else(|| {
        let inner = tail.strip_prefix('"').unwrap_or(tail);
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        match inner.rsplit_once("\" \"") {
            Some((referrer, agent)) => (Some(referrer), Some(agent)),
            None => (Some(inner), None),
        }
    })
}

/// A request line, or the raw text when it is not `METHOD URI [PROTOCOL]`.
struct Request<'a> {
    method: Option<&'a str>,
    target: &'a str,
    protocol: Option<&'a str>,
}

impl<'a> Request<'a> {
    fn parse(request: &'a str) -> Request<'a> {
        let raw = Request {
            method: None,
            target: request,
            protocol: None,
        };
        let Some((method, rest)) = request.split_once(' ') else {
            return raw;
        };
        if !is_token(method) {
            return raw;
        }
        // The target may itself contain spaces (scanners send them raw).
        let (target, protocol) = match rest.rsplit_once(' ') {
            Some((target, protocol)) if protocol.starts_with("HTTP/") => (target, Some(protocol)),
            // HTTP/0.9: `GET /path`.
            None if rest.starts_with('/') => (rest, None),
            _ => return raw,
        };
        Request {
            method: Some(method),
            target,
            protocol,
        }
    }

    /// Path and query split at the first `?`; a raw request stays whole.
    fn path_and_query(&self) -> (&'a str, Option<&'a str>) {
        if self.method.is_none() {
            return (self.target, None);
        }
        match self.target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (self.target, None),
        }
    }
}

/// An HTTP method is an RFC 9110 token.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn dash_none(s: &str) -> Option<Cow<'_, str>> {
    (s != "-").then_some(Cow::Borrowed(s))
}

// ---- IIS W3C extended -------------------------------------------------------

/// The W3C fields borderscope reads; the rest are passed over.
#[derive(Debug, Clone, Copy, PartialEq)]
enum W3cField {
    Date,
    Time,
    ServerIp,
    ServerPort,
    Method,
    UriStem,
    UriQuery,
    Username,
    ClientIp,
    UserAgent,
    Referer,
    Status,
    Bytes,
    Host,
    Version,
    Other,
}

impl W3cField {
    fn from_name(name: &str) -> W3cField {
        match name.to_ascii_lowercase().as_str() {
            "date" => W3cField::Date,
            "time" => W3cField::Time,
            "s-ip" => W3cField::ServerIp,
            "s-port" => W3cField::ServerPort,
            "cs-method" => W3cField::Method,
            "cs-uri-stem" => W3cField::UriStem,
            "cs-uri-query" => W3cField::UriQuery,
            "cs-username" => W3cField::Username,
            "c-ip" => W3cField::ClientIp,
            "cs(user-agent)" => W3cField::UserAgent,
            "cs(referer)" => W3cField::Referer,
            "sc-status" => W3cField::Status,
            "sc-bytes" => W3cField::Bytes,
            "cs-host" => W3cField::Host,
            "cs-version" => W3cField::Version,
            _ => W3cField::Other,
        }
    }
}

/// What the directives so far have said.
#[derive(Default)]
struct W3c {
    /// From the latest `#Fields:`; until one is seen, lines are Apache/Nginx.
    fields: Option<Vec<W3cField>>,
    /// From `#Date:`, for logs whose fields have a time but no date.
    date: Option<NaiveDate>,
}

impl W3c {
    fn directive(&mut self, line: &str) {
        if let Some(names) = line.strip_prefix("#Fields:") {
            self.fields = Some(
                names
                    .split_ascii_whitespace()
                    .map(W3cField::from_name)
                    .collect(),
            );
        } else if let Some(date) = line.strip_prefix("#Date:") {
            let day = date.trim().get(..10).unwrap_or("");
            self.date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok();
        }
    }
}

/// The values of one W3C line, by the field they belong to.
#[derive(Default)]
struct W3cValues<'a> {
    date: Option<&'a str>,
    time: Option<&'a str>,
    server_ip: Option<&'a str>,
    server_port: Option<&'a str>,
    method: Option<&'a str>,
    stem: Option<&'a str>,
    query: Option<&'a str>,
    user: Option<&'a str>,
    client_ip: Option<&'a str>,
    agent: Option<&'a str>,
    referer: Option<&'a str>,
    status: Option<&'a str>,
    bytes: Option<&'a str>,
    host: Option<&'a str>,
    version: Option<&'a str>,
}

impl<'a> W3cValues<'a> {
    fn collect(fields: &[W3cField], line: &'a str) -> Result<W3cValues<'a>, String> {
        let found = line.split(' ').count();
        if found != fields.len() {
            return Err(format!(
                "expected {} space-separated fields as in #Fields, found {found}",
                fields.len()
            ));
        }
        let mut v = W3cValues::default();
        for (field, value) in fields.iter().zip(line.split(' ')) {
            let slot = match field {
                W3cField::Date => &mut v.date,
                W3cField::Time => &mut v.time,
                W3cField::ServerIp => &mut v.server_ip,
                W3cField::ServerPort => &mut v.server_port,
                W3cField::Method => &mut v.method,
                W3cField::UriStem => &mut v.stem,
                W3cField::UriQuery => &mut v.query,
                W3cField::Username => &mut v.user,
                W3cField::ClientIp => &mut v.client_ip,
                W3cField::UserAgent => &mut v.agent,
                W3cField::Referer => &mut v.referer,
                W3cField::Status => &mut v.status,
                W3cField::Bytes => &mut v.bytes,
                W3cField::Host => &mut v.host,
                W3cField::Version => &mut v.version,
                W3cField::Other => continue,
            };
            // `-` is W3C for "no value".
            *slot = Some(value).filter(|v| *v != "-");
        }
        Ok(v)
    }
}

fn parse_w3c<'a>(
    number: u64,
    fields: &[W3cField],
    directive_date: Option<NaiveDate>,
    line: &'a str,
) -> Result<WebRequest<'a>, String> {
    let v = W3cValues::collect(fields, line)?;
    let client = v
        .client_ip
        .ok_or("no c-ip value (none in #Fields, or `-`)")?;
    Ok(WebRequest {
        line: number,
        ts: w3c_time(v.date, directive_date, v.time)?,
        client_ip: client
            .parse()
            .map_err(|_| format!("c-ip `{client}` is not an IP address"))?,
        site: v.host.map(Cow::Borrowed),
        server_ip: v
            .server_ip
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("s-ip `{s}` is not an IP address"))
            })
            .transpose()?,
        server_port: number_field("s-port", v.server_port)?,
        user: v.user.map(Cow::Borrowed),
        method: v.method.map(Cow::Borrowed),
        path: v.stem.map(Cow::Borrowed),
        query: v.query.map(Cow::Borrowed),
        protocol: v.version.map(Cow::Borrowed),
        status: number_field("sc-status", v.status)?,
        response_bytes: number_field("sc-bytes", v.bytes)?,
        referrer: v.referer.map(Cow::Borrowed),
        // IIS writes the spaces of the header as `+`.
        user_agent: v.agent.map(|a| {
            if a.contains('+') {
                Cow::Owned(a.replace('+', " "))
            } else {
                Cow::Borrowed(a)
            }
        }),
        label: Label::default(),
    })
}

fn w3c_time(
    date: Option<&str>,
    directive_date: Option<NaiveDate>,
    time: Option<&str>,
) -> Result<Micros, String> {
    let day = match date {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| format!("date `{d}` is not like 2024-01-31"))?,
        None => directive_date.ok_or("no date value and no #Date directive")?,
    };
    let time = time.ok_or("no time value")?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
        .map_err(|_| format!("time `{time}` is not like 13:45:07"))?;
    Ok(NaiveDateTime::new(day, time).and_utc().timestamp_micros())
}

fn number_field<T: std::str::FromStr>(
    name: &str,
    value: Option<&str>,
) -> Result<Option<T>, String> {
    value
        .map(|v| {
            v.parse()
                .map_err(|_| format!("{name} `{v}` is not a number in range"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::test_support::{mutated_lines, sniff_matches_shared_files};
    use crate::sink::VecSink;
    use std::io::Cursor;

    const COMBINED: &str = r#"192.168.4.25 - - [22/Dec/2016:16:30:52 +0300] "POST /administrator/index.php?a=1&b HTTP/1.1" 303 382 "http://192.168.4.161/DVWA" "Mozilla/5.0 (X11)""#;

    const IIS: &str = "#Software: Microsoft Internet Information Services 10.0\n\
        #Version: 1.0\n\
        #Date: 2024-03-01 00:00:00\n\
        #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n\
        2024-03-01 00:00:05 10.0.0.5 GET /owa/auth/logon.aspx url=%2fowa 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15\n";

    const PREAMBLE: &[u8] = b"";
    const SEEDS: &[&[u8]] = &[
        COMBINED.as_bytes(),
        br#""192.168.4.25 - - [22/Dec/2016:16:29:05 +0300] "GET /a?q=\"x\" HTTP/1.1" 500 2011 "-" "Mozilla/5.0 (X11)"""#,
        br#"www.example.com:443 10.0.0.2 - - [01/Jan/2020:00:00:00 -0100] "GET / HTTP/2.0" 301 5"#,
    ];

    #[test]
    fn mutated_lines_never_panic_and_every_line_is_accounted_for() {
        let lines = mutated_lines(SEEDS, 3000);
        let mut input = PREAMBLE.to_vec();
        for line in &lines {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        let preamble_lines = PREAMBLE.iter().filter(|&&b| b == b'\n').count();
        let sink = read_bytes(&input);
        let accounted = sink.rows() + sink.rejections.len() + sink.skipped as usize;
        assert_eq!(accounted, lines.len() + preamble_lines);
        assert!(sink.rows() > 0 && !sink.rejections.is_empty());
    }

    fn read_bytes(input: &[u8]) -> VecSink {
        read_with(input, &ReadOptions::default())
    }

    fn read_with(input: &[u8], opts: &ReadOptions) -> VecSink {
        let mut sink = VecSink::default();
        read(&mut Cursor::new(input.to_vec()), opts, &mut sink).expect("in-memory read");
        sink
    }

    fn utc(text: &str) -> Micros {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .timestamp_micros()
    }

    /// Reads a sample file and checks that every line became a row.
    fn read_sample(path: &std::path::Path, lines: usize) -> VecSink {
        let bytes = std::fs::read(path).expect("shared data file");
        // The files do not end with a newline: lines = newlines + 1.
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count() + 1, lines);
        let sink = read_bytes(&bytes);
        assert!(sink.rejections.is_empty(), "{:?}", sink.rejections.first());
        assert_eq!((sink.web.len(), sink.skipped), (lines, 0));
        sink
    }

    // Counts cross-checked with `wc -l`, `grep -c` and a Python regex pass.

    #[test]
    fn acunetix_sample() {
        let path = borderscope_testdata::require_shared!("weblogs/acunetix.txt");
        let sink = read_sample(&path, 6539);
        let first = &sink.web[0];
        assert_eq!(first.ts, utc("2016-12-22T13:30:52Z"));
        assert_eq!(first.client_ip, "192.168.4.25".parse::<IpAddr>().unwrap());
        assert_eq!(first.method.as_deref(), Some("POST"));
        assert_eq!(first.path.as_deref(), Some("/administrator/index.php"));
        assert_eq!(first.query, None);
        assert_eq!(first.protocol.as_deref(), Some("HTTP/1.1"));
        assert_eq!((first.status, first.response_bytes), (Some(303), Some(382)));
        assert_eq!(first.referrer.as_deref(), Some("http://192.168.4.161/DVWA"));
        assert_eq!(
            first.user_agent.as_deref(),
            Some("Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.21 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.21")
        );
        assert_eq!((first.user.as_deref(), first.site.as_deref()), (None, None));
        // Line 2099 is `GET  HTTP/1.1`: an empty target.
        let empty = &sink.web[2098];
        assert_eq!(
            (empty.method.as_deref(), empty.path.as_deref()),
            (Some("GET"), Some(""))
        );
        // Line 92: escaped quotes inside the query do not end the request.
        let quoted = &sink.web[91];
        assert_eq!(quoted.path.as_deref(), Some("/index.php/component/search/"));
        assert!(quoted
            .query
            .as_deref()
            .is_some_and(|q| q.ends_with("&searchword=")));
        assert_eq!(quoted.status, Some(200));
        // Status counts from `grep -c '" 404 '` and a Python regex pass agree.
        assert_eq!(
            sink.web.iter().filter(|w| w.status == Some(404)).count(),
            258
        );
        assert_eq!(
            sink.web.iter().filter(|w| w.status == Some(303)).count(),
            3407
        );
        assert!(sink.web.iter().all(|w| w.method.is_some()));
    }

    #[test]
    fn netsparker_sample() {
        let path = borderscope_testdata::require_shared!("weblogs/netsparker.txt");
        let sink = read_sample(&path, 7314);
        assert_eq!(sink.web[2].path.as_deref(), Some("/DVWA/.git/config"));
        assert_eq!(sink.web[2].method.as_deref(), Some("HEAD"));
        // Line 1725: a Shellshock probe in the referrer, quotes escaped.
        let shellshock = &sink.web[1724];
        assert_eq!(
            shellshock.referrer.as_deref(),
            Some(r#"() { :;}; echo \"NS:\" $(/bin/sh -c \"expr 268409241 - 2\")"#)
        );
        assert!(shellshock
            .user_agent
            .as_deref()
            .is_some_and(|u| u.starts_with("Mozilla/5.0")));
        assert_eq!(
            sink.web.iter().filter(|w| w.status == Some(404)).count(),
            2602
        );
    }

    #[test]
    fn w3af_sample() {
        let path = borderscope_testdata::require_shared!("weblogs/w3af.txt");
        let sink = read_sample(&path, 3996);
        // 1615 requests authenticated as `admin`; the last 62 lines are not
        // wrapped in the extra quotes and read the same.
        assert_eq!(
            sink.web
                .iter()
                .filter(|w| w.user.as_deref() == Some("admin"))
                .count(),
            1615
        );
        let unwrapped = &sink.web[3934];
        assert_eq!(
            unwrapped.client_ip,
            "192.168.1.20".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            (unwrapped.status, unwrapped.response_bytes),
            (Some(302), Some(414))
        );
        assert_eq!(unwrapped.user_agent.as_deref(), Some("w3af.org"));
        // `grep -c '"w3af.org"'`: 3926; the other 70 came from a browser.
        let scanner = sink
            .web
            .iter()
            .filter(|w| w.user_agent.as_deref() == Some("w3af.org"));
        assert_eq!(scanner.count(), 3926);
        assert_eq!(
            sink.web.iter().filter(|w| w.status == Some(404)).count(),
            490
        );
    }

    #[test]
    fn combined_common_and_vhost_variants() {
        let input = format!(
            "{COMBINED}\n\
             10.0.0.1 - bob [01/Jan/2020:00:00:00 +0000] \"GET /x HTTP/1.0\" 200 -\n\
             www.example.com:443 10.0.0.2 - - [01/Jan/2020:00:00:00 -0100] \"GET / HTTP/2.0\" 301 5 \"-\" \"curl/8\"\n\
             intranet 10.0.0.3 - - [01/Jan/2020:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\" \"10.9.9.9\"\n"
        );
        let sink = read_bytes(input.as_bytes());
        assert_eq!(sink.web.len(), 4, "{:?}", sink.rejections);
        let c = &sink.web[0];
        assert_eq!(
            (c.path.as_deref(), c.query.as_deref()),
            (Some("/administrator/index.php"), Some("a=1&b"))
        );
        let common = &sink.web[1];
        assert_eq!(
            (common.user.as_deref(), common.response_bytes),
            (Some("bob"), Some(0))
        );
        assert_eq!(
            (common.referrer.as_deref(), common.user_agent.as_deref()),
            (None, None)
        );
        let vhost = &sink.web[2];
        assert_eq!(
            (vhost.site.as_deref(), vhost.server_port),
            (Some("www.example.com"), Some(443))
        );
        assert_eq!(vhost.ts, utc("2020-01-01T01:00:00Z"));
        assert_eq!(vhost.user_agent.as_deref(), Some("curl/8"));
        let nginx = &sink.web[3];
        assert_eq!(
            (nginx.site.as_deref(), nginx.server_port),
            (Some("intranet"), None)
        );
        assert_eq!(
            (nginx.referrer.as_deref(), nginx.user_agent.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn odd_requests_are_rows_not_rejections() {
        let input = concat!(
            r#"1.2.3.4 - - [01/Jan/2020:00:00:00 +0000] "\x16\x03\x01\x00\xa5\x01" 400 226 "-" "-""#,
            "\n",
            r#"1.2.3.4 - - [01/Jan/2020:00:00:00 +0000] "-" 408 - "-" "-""#,
            "\n",
            // Unescaped quotes and spaces inside the request (not Apache).
            r#"1.2.3.4 - - [01/Jan/2020:00:00:00 +0000] "GET /a?q=" 1 "b c HTTP/1.1" 404 9 "-" "x "y" z""#,
            "\n",
            r#"1.2.3.4 - - [01/Jan/2020:00:00:00 +0000] "GET /old" 200 9"#,
            "\n",
        );
        let sink = read_bytes(input.as_bytes());
        assert_eq!(sink.web.len(), 4, "{:?}", sink.rejections);
        let tls = &sink.web[0];
        assert_eq!(
            (tls.method.as_deref(), tls.path.as_deref()),
            (None, Some(r"\x16\x03\x01\x00\xa5\x01"))
        );
        assert_eq!(tls.status, Some(400));
        let dash = &sink.web[1];
        assert_eq!(
            (dash.method.as_deref(), dash.path.as_deref(), dash.status),
            (None, Some("-"), Some(408))
        );
        let messy = &sink.web[2];
        assert_eq!(messy.method.as_deref(), Some("GET"));
        assert_eq!(
            (messy.path.as_deref(), messy.query.as_deref()),
            (Some("/a"), Some("q=\" 1 \"b c"))
        );
        assert_eq!(
            (messy.status, messy.user_agent.as_deref()),
            (Some(404), Some("x \"y\" z"))
        );
        let old = &sink.web[3];
        assert_eq!(
            (old.path.as_deref(), old.protocol.as_deref()),
            (Some("/old"), None)
        );
    }

    #[test]
    fn iis_w3c_logs() {
        let input = format!("{IIS}#Fields: c-ip date time cs-host\n198.51.100.7 2024-03-02 10:00:00.250 shop.example\n");
        let sink = read_bytes(input.as_bytes());
        assert_eq!(
            (sink.web.len(), sink.skipped),
            (2, 5),
            "{:?}",
            sink.rejections
        );
        let r = &sink.web[0];
        assert_eq!(r.line, 5);
        assert_eq!(r.ts, utc("2024-03-01T00:00:05Z"));
        assert_eq!(r.client_ip, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert_eq!(r.server_ip, Some("10.0.0.5".parse().unwrap()));
        assert_eq!(
            (r.method.as_deref(), r.path.as_deref(), r.query.as_deref()),
            (
                Some("GET"),
                Some("/owa/auth/logon.aspx"),
                Some("url=%2fowa")
            )
        );
        assert_eq!(
            (
                r.server_port,
                r.status,
                r.user.as_deref(),
                r.referrer.as_deref()
            ),
            (Some(443), Some(200), None, None)
        );
        assert_eq!(
            r.user_agent.as_deref(),
            Some("Mozilla/5.0 (Windows NT 10.0)")
        );
        let reordered = &sink.web[1];
        assert_eq!(reordered.site.as_deref(), Some("shop.example"));
        assert_eq!(reordered.ts, utc("2024-03-02T10:00:00.250Z"));
    }

    #[test]
    fn iis_malformed_lines() {
        let input = format!(
            "{IIS}2024-03-01 00:00:05 10.0.0.5 GET / - 443 - 203.0.113.9 - - 200\n\
             2024-03-01 00:00:05 10.0.0.5 GET / - 443 - 203.0.113.x - - 200 0 0 15\n\
             2024-03-01 25:00:05 10.0.0.5 GET / - 443 - 203.0.113.9 - - 200 0 0 15\n\
             2024-03-01 00:00:05 10.0.0.5 GET / - 443 - 203.0.113.9 - - 99999 0 0 15\n"
        );
        let sink = read_bytes(input.as_bytes());
        assert_eq!(sink.web.len(), 1);
        let reasons: Vec<&str> = sink.rejections.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "expected 15 space-separated fields as in #Fields, found 12",
                "c-ip `203.0.113.x` is not an IP address",
                "time `25:00:05` is not like 13:45:07",
                "sc-status `99999` is not a number in range",
            ]
        );
    }

    #[test]
    fn malformed_lines_are_rejected_and_neighbours_kept() {
        let bad: [&[u8]; 7] = [
            br#"192.168.4.999 - - [22/Dec/2016:16:30:52 +0300] "GET / HTTP/1.1" 200 1 "-" "-""#,
            br#"192.168.4.25 - - [22/Dec/2016:25:30:52 +0300] "GET / HTTP/1.1" 200 1 "-" "-""#,
            br#"192.168.4.25 - - [22/Dec/2016:16:30:52 +0300] "GET / HTTP/1.1" OK 1 "-" "-""#,
            br#"192.168.4.25 - [22/Dec/2016:16:30:52 +0300] "GET / HTTP/1.1" 200 1 "-" "-""#,
            br#"192.168.4.25 - - [22/Dec/2016:16:30:52 +0300] "GET / HTTP/1.1" 200 99999999999999999999999"#,
            b"\x00\x01\x02\xff\xfe binary",
            b"\xff\xfe.168.4.25 - - [22/Dec/2016:16:30:52 +0300] \"GET / HTTP/1.1\" 200 1",
        ];
        let mut input = format!("{COMBINED}\n").into_bytes();
        for line in bad {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        input.extend_from_slice(b"\n");
        input.extend_from_slice(COMBINED.as_bytes());
        let sink = read_bytes(&input);
        assert_eq!(sink.web.len(), 2);
        assert_eq!((sink.web[0].line, sink.web[1].line), (1, 10));
        assert_eq!(sink.skipped, 1);
        assert_eq!(
            sink.rejections.iter().map(|r| r.line).collect::<Vec<_>>(),
            (2..=8).collect::<Vec<_>>()
        );
        let reasons: Vec<&str> = sink.rejections.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons[0], "client `192.168.4.999` is not an IP address");
        assert_eq!(
            reasons[1],
            "timestamp `22/Dec/2016:25:30:52 +0300` is not like 22/Dec/2016:16:30:52 +0300"
        );
        assert_eq!(reasons[2], "no `\" status size` after the request");
        assert!(
            reasons[3].starts_with("expected `host ident user`"),
            "{reasons:?}"
        );
        assert!(reasons[3].ends_with("found 2 fields"), "{reasons:?}");
        assert_eq!(
            reasons[4],
            "response size `99999999999999999999999` is out of range"
        );
        assert_eq!(reasons[5], "no `[` opening the timestamp");
        assert_eq!(
            reasons[6],
            "client `\u{fffd}\u{fffd}.168.4.25` is not an IP address"
        );
    }

    #[test]
    fn an_overlong_line_is_rejected_with_its_length() {
        let long = COMBINED.replace("?a=1", &format!("?a={}", "x".repeat(3000)));
        let input = format!("{COMBINED}\n{long}\n{COMBINED}\n");
        let opts = ReadOptions {
            max_line: 1000,
            ..ReadOptions::default()
        };
        let sink = read_with(input.as_bytes(), &opts);
        assert_eq!(sink.web.len(), 2);
        assert_eq!(sink.rejections.len(), 1);
        assert_eq!(sink.rejections[0].line, 2);
        assert_eq!(sink.rejections[0].raw_len, long.len() as u64);
        assert!(sink.rejections[0]
            .reason
            .contains(&format!("{} bytes", long.len())));
    }

    #[test]
    fn sniff_accepts_access_and_w3c_logs_only() {
        assert!(sniff(format!("{COMBINED}\n{COMBINED}\n").as_bytes()));
        assert!(sniff(COMBINED.as_bytes()), "a single line");
        assert!(
            sniff(format!("\"{COMBINED}\"\n\"{COMBINED}\"\n").as_bytes()),
            "wrapped lines"
        );
        assert!(sniff(
            format!("{COMBINED}\n\x00junk\n{COMBINED}\n").as_bytes()
        ));
        assert!(sniff(IIS.as_bytes()));
        assert!(sniff(b"#Version: 1.0\n#Fields: date time c-ip\n"));
        assert!(!sniff(
            format!("{COMBINED}\n\x00junk\nmore junk\n").as_bytes()
        ));
        assert!(!sniff(
            b"#separator \\x09\n#set_separator\t,\n#fields\tts\tuid\n"
        ));
        assert!(!sniff(br#"{"ts":1.0,"uid":"C1","id.orig_h":"1.2.3.4"}"#));
        assert!(!sniff(br#"{"timestamp":"2021-06-06T15:59:46.457984+0200","event_type":"alert","src_ip":"1.2.3.4"}"#));
        assert!(!sniff(b"StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label\n"));
        assert!(!sniff(b"\x00\x01\x02\xff\xd4\xc3\xb2\xa1"));
        assert!(!sniff(b""));
    }

    #[test]
    fn sniff_claims_exactly_the_access_log_samples() {
        sniff_matches_shared_files(sniff, |p| {
            p.starts_with("weblogs") && p.extension().is_some_and(|e| e == "txt")
        });
    }
}
