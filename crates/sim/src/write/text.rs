//! Text logs: Zeek TSV (conn, dns, http, ssl), Suricata EVE JSON, IIS W3C.
//! Each is written in the layout its own software writes, so the project's
//! readers take them as they would take a real sensor's.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::Path;

use chrono::{DateTime, NaiveDate};

use crate::rows::{Alert, Conn, Dns, Http, Ssl, Web};

pub fn create(path: &Path) -> io::Result<BufWriter<File>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    Ok(BufWriter::with_capacity(1 << 20, File::create(path)?))
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Zeek's connection uid: `C` and 17 base-62 characters.
pub fn uid(mut n: u64) -> String {
    let mut s = String::with_capacity(18);
    s.push('C');
    for _ in 0..17 {
        s.push(char::from(BASE62[(n % 62) as usize]));
        n /= 62;
    }
    s
}

fn secs(w: &mut impl Write, us: i64) -> io::Result<()> {
    write!(
        w,
        "{}.{:06}",
        us.div_euclid(1_000_000),
        us.rem_euclid(1_000_000)
    )
}

fn opt(w: &mut impl Write, v: Option<u64>) -> io::Result<()> {
    match v {
        Some(v) => write!(w, "{v}"),
        None => w.write_all(b"-"),
    }
}

/// A Zeek TSV log: header, rows, footer.
pub fn zeek<R>(
    path: &Path,
    log: &str,
    day: NaiveDate,
    fields: &str,
    types: &str,
    rows: &[R],
    row: impl Fn(&mut BufWriter<File>, &R) -> io::Result<()>,
) -> io::Result<()> {
    let mut w = create(path)?;
    let open = day.format("%Y-%m-%d-00-00-00");
    writeln!(w, "#separator \\x09")?;
    writeln!(w, "#set_separator\t,")?;
    writeln!(w, "#empty_field\t(empty)")?;
    writeln!(w, "#unset_field\t-")?;
    writeln!(w, "#path\t{log}")?;
    writeln!(w, "#open\t{open}")?;
    writeln!(w, "#fields\t{fields}")?;
    writeln!(w, "#types\t{types}")?;
    for r in rows {
        row(&mut w, r)?;
    }
    let close = (day + chrono::Days::new(1)).format("%Y-%m-%d-00-00-00");
    writeln!(w, "#close\t{close}")?;
    w.flush()
}

pub const CONN_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
pub const CONN_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";

pub fn conn_row(w: &mut impl Write, c: &Conn, local: impl Fn(Ipv4Addr) -> bool) -> io::Result<()> {
    secs(w, c.ts)?;
    write!(
        w,
        "\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
        uid(c.uid),
        c.orig,
        c.orig_p,
        c.resp,
        c.resp_p,
        if c.udp { "udp" } else { "tcp" },
        c.service.unwrap_or("-")
    )?;
    match c.duration {
        Some(d) => secs(w, d)?,
        None => w.write_all(b"-")?,
    }
    w.write_all(b"\t")?;
    opt(w, c.orig_bytes)?;
    w.write_all(b"\t")?;
    opt(w, c.resp_bytes)?;
    let tf = |b: bool| if b { "T" } else { "F" };
    writeln!(
        w,
        "\t{}\t{}\t{}\t0\t{}\t{}\t{}\t{}\t{}\t-",
        c.state,
        tf(local(c.orig)),
        tf(local(c.resp)),
        c.history,
        c.orig_pkts,
        c.orig_ip_bytes,
        c.resp_pkts,
        c.resp_ip_bytes
    )
}

pub const DNS_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected";
pub const DNS_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool";

pub fn dns_row(w: &mut impl Write, d: &Dns) -> io::Result<()> {
    secs(w, d.ts)?;
    let (rcode, rcode_name) = if d.nxdomain {
        (3, "NXDOMAIN")
    } else {
        (0, "NOERROR")
    };
    write!(
        w,
        "\t{}\t{}\t{}\t{}\t53\tudp\t{}\t0.{:06}\t{}\t1\tC_INTERNET\t1\tA\t{rcode}\t{rcode_name}\tF\tF\tT\tT\t0\t",
        uid(d.uid),
        d.client,
        d.client_p,
        d.server,
        d.trans_id,
        1_000 + (d.uid % 80_000),
        d.query
    )?;
    if d.answers.is_empty() {
        w.write_all(b"-\t-")?;
    } else {
        for (i, a) in d.answers.iter().enumerate() {
            write!(w, "{}{a}", if i > 0 { "," } else { "" })?;
        }
        w.write_all(b"\t")?;
        for i in 0..d.answers.len() {
            write!(w, "{}{}.000000", if i > 0 { "," } else { "" }, d.ttl)?;
        }
    }
    writeln!(w, "\tF")
}

pub const HTTP_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types";
pub const HTTP_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]";

pub fn http_row(w: &mut impl Write, h: &Http) -> io::Result<()> {
    secs(w, h.ts)?;
    let msg = match h.status {
        200 => "OK",
        404 => "Not Found",
        _ => "-",
    };
    writeln!(
        w,
        "\t{}\t{}\t{}\t{}\t{}\t1\t{}\t{}\t{}\t{}\t1.1\t{}\t-\t{}\t{}\t{}\t{msg}\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t{}",
        uid(h.uid),
        h.client,
        h.client_p,
        h.server,
        h.server_p,
        h.method,
        h.host,
        h.uri,
        h.referrer.as_deref().unwrap_or("-"),
        h.user_agent,
        h.request_len,
        h.response_len,
        h.status,
        h.mime
    )
}

pub const SSL_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tssl_history\tcert_chain_fps\tclient_cert_chain_fps\tsni_matches_cert";
pub const SSL_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tbool\tstring\tvector[string]\tvector[string]\tbool";

pub fn ssl_row(w: &mut impl Write, s: &Ssl) -> io::Result<()> {
    secs(w, s.ts)?;
    let cipher = if s.version == "TLSv13" {
        "TLS_AES_128_GCM_SHA256"
    } else {
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    };
    writeln!(
        w,
        "\t{}\t{}\t{}\t{}\t{}\t{}\t{cipher}\tx25519\t{}\tF\t-\th2\tT\tCsiI\t-\t-\t-",
        uid(s.uid),
        s.client,
        s.client_p,
        s.server,
        s.server_p,
        s.version,
        s.sni.as_deref().unwrap_or("-"),
    )
}

/// Suricata's time format: local time with the offset, here UTC.
fn eve_time(us: i64) -> String {
    DateTime::from_timestamp_micros(us)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f+0000").to_string())
        .unwrap_or_default()
}

pub fn eve(path: &Path, alerts: &[Alert]) -> io::Result<()> {
    let mut w = create(path)?;
    for a in alerts {
        let event = serde_json::json!({
            "timestamp": eve_time(a.ts),
            "flow_id": a.flow_id,
            "in_iface": "eth1",
            "event_type": "alert",
            "src_ip": a.src.to_string(),
            "src_port": a.src_p,
            "dest_ip": a.dst.to_string(),
            "dest_port": a.dst_p,
            "proto": "TCP",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": a.signature_id,
                "rev": 3,
                "signature": a.signature,
                "category": a.category,
                "severity": a.severity,
            },
        });
        serde_json::to_writer(&mut w, &event)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

pub const W3C_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken";

/// IIS W3C extended log with centralised logging: every site of the
/// server farm in one file per day, `cs-host` naming the site.
pub fn w3c(path: &Path, day: NaiveDate, rows: &[Web]) -> io::Result<()> {
    let mut w = create(path)?;
    writeln!(w, "#Software: Microsoft Internet Information Services 10.0")?;
    writeln!(w, "#Version: 1.0")?;
    writeln!(w, "#Date: {} 00:00:00", day.format("%Y-%m-%d"))?;
    writeln!(w, "#Fields: {W3C_FIELDS}")?;
    for r in rows {
        let t = DateTime::from_timestamp(r.ts.div_euclid(1_000_000), 0).unwrap_or_default();
        let agent = r.user_agent.replace(' ', "+");
        writeln!(
            w,
            "{} {} {} {} {} {} 80 - {} {} {} {} {} 0 0 {} {} {}",
            t.format("%Y-%m-%d"),
            t.format("%H:%M:%S"),
            r.server,
            r.method,
            r.stem,
            r.query.as_deref().unwrap_or("-"),
            r.client,
            if agent.is_empty() { "-" } else { &agent },
            r.referrer.as_deref().unwrap_or("-"),
            r.site,
            r.status,
            r.bytes,
            r.request_bytes.max(200),
            r.time_taken_ms
        )?;
    }
    w.flush()
}
