//! abuse.ch URLhaus CSV dumps: `id,dateadded,url,url_status,last_online,
//! threat,tags,urlhaus_link,reporter` (older dumps lack `last_online`; other
//! exports add `host, ip, asnumber, country`), the header inside a `#`
//! comment. Each row gives the URL and its host (an IP or a domain).
//!
//! The host indicator is tagged [`URL_HOST_TAG`]: URLhaus lists malware on
//! shared hosting and file-sharing sites too, so a host derived from a URL is
//! weaker evidence than the URL itself, and a detector should weigh it so.

use super::{field, CsvFeed, Entry};
use crate::csv::Header;
use crate::indicator::{threat, Feed, Indicator, IndicatorKind};
use crate::normalise::{normalise_threat, opt_time, parse_url, split_tags};

/// Tag of the host indicator derived from a URL.
pub const URL_HOST_TAG: &str = "host-of-url";

pub(super) fn sniff(head: &str) -> bool {
    super::sniff_csv::<Csv>(head)
}

pub(super) struct Csv;

pub(super) struct Columns {
    url: usize,
    dateadded: Option<usize>,
    last_online: Option<usize>,
    threat: Option<usize>,
    tags: Option<usize>,
    link: Option<usize>,
}

impl CsvFeed for Csv {
    type Columns = Columns;

    fn columns(h: &Header) -> Option<Columns> {
        Some(Columns {
            url: h.find(&["url"])?,
            dateadded: Some(h.find(&["dateadded"])?),
            last_online: h.find(&["last_online"]),
            threat: h.find(&["threat"]),
            tags: h.find(&["tags"]),
            link: h.find(&["urlhaus_link"]),
        })
    }

    fn row(c: &Columns, fields: &[String], line: u64) -> Result<Entry, String> {
        let url = parse_url(field(fields, Some(c.url)).ok_or("no URL")?)?;
        let threat =
            field(fields, c.threat).map_or(threat::MALWARE_DOWNLOAD.into(), normalise_threat);
        let mut u = Indicator::new(IndicatorKind::Url, url.text, threat, Feed::Urlhaus, line);
        u.port = url.port;
        u.first_seen = opt_time(field(fields, c.dateadded))?;
        u.last_seen = opt_time(field(fields, c.last_online))?;
        u.tags = split_tags(field(fields, c.tags));
        u.reference = field(fields, c.link).map(str::to_string);
        let mut host = u.clone();
        host.kind = url.host.kind();
        host.value = url.host.value();
        host.threat = threat::MALWARE_DOWNLOAD.into();
        host.tags.push(URL_HOST_TAG.into());
        Ok(Entry::Indicators(vec![u, host]))
    }
}
