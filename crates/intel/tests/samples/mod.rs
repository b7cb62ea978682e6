//! Small, realistic feed samples in each layout, with made-up values:
//! documentation addresses (RFC 5737, RFC 3849), documentation AS numbers
//! (RFC 5398) and reserved names (RFC 2606).
#![allow(dead_code)]

pub const FEODO_CSV: &str = r#"################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
# Last updated: 2025-11-30 10:05:14 UTC                        #
#                                                              #
# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #
# For questions please contact feodotracker [at] abuse.ch      #
################################################################
#
# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2025-10-02 07:44:46","192.0.2.10","443","online","2025-11-30","QakBot"
"2025-10-05 11:02:13","198.51.100.23","8080","offline","2025-11-02","Emotet"
"2025-11-12 18:30:00","::ffff:203.0.113.5","2222","online","2025-11-30","Pikabot"
"2025-11-20 02:15:41","2001:db8::c2","447","online","2025-11-29","TrickBot"
# END 4 entries
"#;

pub const FEODO_CSV_OLD: &str = "\
# Feodo Tracker Botnet C2 IP Blocklist (older layout)
# Firstseen,DstIP,DstPort,LastOnline,Malware
2019-05-27 14:35:12,192.0.2.44,447,2019-06-01,TrickBot
2019-05-28 09:01:55,198.51.100.45,449,2019-06-02,Heodo
";

/// Line 3 bad address, 4 bad date, 5 too few columns, 6 bad port, 7 broken
/// quoting; lines 2 and 8 are good.
pub const FEODO_CSV_BAD: &str = r#"# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2025-10-02 07:44:46","192.0.2.10","443","online","2025-11-30","QakBot"
"2025-10-02 07:44:46","192.0.2.300","443","online","2025-11-30","QakBot"
"last tuesday","192.0.2.11","443","online","2025-11-30","QakBot"
"2025-10-02 07:44:46","192.0.2.12","443","online"
"2025-10-02 07:44:46","192.0.2.13","70000","online","2025-11-30","QakBot"
"2025-10-02 07:44:46","192.0.2.14,"443","online","2025-11-30","QakBot"
"2025-10-03 08:00:00","192.0.2.15","443","online","2025-11-30","Dridex"
"#;

pub const FEODO_JSON: &str = r#"[
  {
    "ip_address": "192.0.2.10",
    "port": 443,
    "status": "online",
    "hostname": "c2-node.example.net",
    "as_number": 64500,
    "as_name": "EXAMPLE-AS",
    "country": "ZZ",
    "first_seen": "2025-10-02 07:44:46",
    "last_online": "2025-11-30",
    "malware": "QakBot"
  },
  {
    "ip_address": "198.51.100.23",
    "port": 8080,
    "status": "offline",
    "hostname": null,
    "as_number": 64501,
    "as_name": "EXAMPLE-AS-2",
    "country": "ZZ",
    "first_seen": "2025-10-05 11:02:13",
    "last_online": "2025-11-02",
    "malware": "Emotet"
  }
]
"#;

/// Record 2 (line 3) has a bad address, record 3 (line 4) is not an object,
/// record 4 (line 5) a bad date; then the document is cut off.
pub const FEODO_JSON_BAD: &str = r#"[
{"ip_address": "192.0.2.10", "port": 443, "first_seen": "2025-10-02 07:44:46", "last_online": "2025-11-30", "malware": "QakBot"},
{"ip_address": "192.0.2.999", "port": 443, "first_seen": "2025-10-02 07:44:46", "last_online": "2025-11-30", "malware": "QakBot"},
"192.0.2.20",
{"ip_address": "192.0.2.21", "port": 443, "first_seen": "02/10/2025", "last_online": "2025-11-30", "malware": "QakBot"},
{"ip_address": "192.0.2.22", "port": 443, "first_seen": "2025-10-02 07:44:46", "last_online": "2025-11-30", "malware": "QakBot"},
{"ip_address": "192.0.2.23", "po"#;

pub const THREATFOX_JSON: &str = r#"{
  "1500001": [
    {
      "ioc_value": "192.0.2.77:4444",
      "ioc_type": "ip:port",
      "threat_type": "botnet_cc",
      "malware": "win.cobalt_strike",
      "malware_alias": "Agentemis,BEACON,CobaltStrike",
      "malware_printable": "Cobalt Strike",
      "first_seen_utc": "2025-11-28 12:00:05",
      "last_seen_utc": null,
      "confidence_level": 100,
      "reference": "https://example.org/report/cs-beacons",
      "tags": "c2,CobaltStrike",
      "anonymous": "0",
      "reporter": "example_reporter"
    }
  ],
  "1500002": [
    {
      "ioc_value": "Update-Check.Example.com",
      "ioc_type": "domain",
      "threat_type": "botnet_cc",
      "malware": "win.remcos",
      "malware_alias": null,
      "malware_printable": "Remcos",
      "first_seen_utc": "2025-11-29 08:15:00",
      "last_seen_utc": "2025-11-30 01:00:00",
      "confidence_level": 75,
      "reference": null,
      "tags": "Remcos",
      "anonymous": "0",
      "reporter": "example_reporter"
    }
  ],
  "1500003": [
    {
      "ioc_value": "http://198.51.100.88:8080/payload/stage2.bin",
      "ioc_type": "url",
      "threat_type": "payload_delivery",
      "malware": "win.agent_tesla",
      "malware_alias": "AgentTesla",
      "malware_printable": "Agent Tesla",
      "first_seen_utc": "2025-11-30 09:00:00",
      "last_seen_utc": null,
      "confidence_level": 50,
      "reference": null,
      "tags": null,
      "anonymous": "1",
      "reporter": "anonymous"
    }
  ],
  "1500004": [
    {
      "ioc_value": "0123456789abcdef0123456789abcdef",
      "ioc_type": "md5_hash",
      "threat_type": "payload",
      "malware": "win.agent_tesla",
      "malware_alias": "AgentTesla",
      "malware_printable": "Agent Tesla",
      "first_seen_utc": "2025-11-30 09:00:01",
      "last_seen_utc": null,
      "confidence_level": 50,
      "reference": null,
      "tags": "exe",
      "anonymous": "0",
      "reporter": "example_reporter"
    }
  ],
  "1500005": [
    {
      "ioc_value": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "ioc_type": "sha256_hash",
      "threat_type": "payload",
      "malware": "win.agent_tesla",
      "malware_alias": "AgentTesla",
      "malware_printable": "Agent Tesla",
      "first_seen_utc": "2025-11-30 09:00:02",
      "last_seen_utc": null,
      "confidence_level": 50,
      "reference": null,
      "tags": "exe",
      "anonymous": "0",
      "reporter": "example_reporter"
    }
  ]
}
"#;

pub const THREATFOX_API: &str = r#"{"query_status": "ok", "data": [
{"id": "1500010", "ioc": "[2001:db8::77]:8443", "threat_type": "botnet_cc", "threat_type_desc": "Indicator that identifies a botnet command&control server (C&C)", "ioc_type": "ip:port", "ioc_type_desc": "ip:port combination that is used for botnet Command&control (C&C)", "malware": "elf.mirai", "malware_printable": "Mirai", "malware_alias": null, "malware_malpedia": "https://malpedia.example/details/elf.mirai", "confidence_level": 90, "first_seen": "2025-11-20 10:00:00 UTC", "last_seen": "2025-11-25 10:00:00 UTC", "reference": null, "reporter": "example_reporter", "tags": ["mirai", "elf"]},
{"id": "1500011", "ioc": "c2.mirai-panel.example", "threat_type": "botnet_cc", "ioc_type": "domain", "malware": "elf.mirai", "malware_printable": "Mirai", "confidence_level": "high", "first_seen": "2025-11-20 10:00:00 UTC", "last_seen": null, "reference": null, "reporter": "example_reporter", "tags": null}
]}
"#;

pub const THREATFOX_CSV: &str = r#"################################################################
# ThreatFox IOCs: CSV                                          #
# Last updated: 2025-11-30 10:00:20 UTC                        #
#                                                              #
# Terms Of Use: https://threatfox.abuse.ch/api/                #
# For questions please contact threatfox [at] abuse.ch         #
################################################################
#
# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"
"2025-11-30 09:58:12", "1500101", "203.0.113.50:443", "ip:port", "botnet_cc", "win.asyncrat", "None", "AsyncRAT", "", "100", "None", "AsyncRAT,RAT", "0", "example_reporter"
"2025-11-30 09:40:00", "1500102", "malware-drop.example.net", "domain", "payload_delivery", "unknown", "None", "Unknown malware", "", "50", "https://example.org/post/1", "None", "0", "example_reporter"
"2025-11-30 09:30:00", "1500103", "d41d8cd98f00b204e9800998ecf8427e", "md5_hash", "payload", "win.asyncrat", "None", "AsyncRAT", "", "100", "None", "exe", "0", "example_reporter"
"2025-11-30 09:20:00", "1500104", "203.0.113.51", "ip:port", "botnet_cc", "win.asyncrat", "None", "AsyncRAT", "", "100", "None", "AsyncRAT", "0", "example_reporter"
"#;

pub const URLHAUS_CSV: &str = r#"################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #
# Last updated: 2025-11-30 10:03:07 UTC                        #
#                                                              #
# Terms Of Use: https://urlhaus.abuse.ch/api/                  #
# For questions please contact urlhaus [at] abuse.ch           #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"3300001","2025-11-30 10:03:05","http://198.51.100.60:40123/i","online","2025-11-30 10:03:05","malware_download","32-bit,elf,mips,Mozi","https://urlhaus.abuse.ch/url/3300001/","example_reporter"
"3300002","2025-11-30 09:55:41","https://Files.Example.com/invoice.zip","offline","","malware_download","zip","https://urlhaus.abuse.ch/url/3300002/","example_reporter"
"3300003","2025-11-30 09:50:00","not a url","online","","malware_download","","https://urlhaus.abuse.ch/url/3300003/","example_reporter"
"#;

/// An older dump without `last_online`.
pub const URLHAUS_CSV_OLD: &str = r#"# id,dateadded,url,url_status,threat,tags,urlhaus_link,reporter
"1000001","2019-03-01 12:00:00","http://203.0.113.70/bins/x86","offline","malware_download","elf","https://urlhaus.abuse.ch/url/1000001/","example_reporter"
"#;

/// The export with host, ip, asnumber and country columns.
pub const URLHAUS_CSV_HOSTS: &str = "\
dateadded,url,url_status,threat,host,ip,asnumber,country
2025-11-30 08:00:00,http://dl.example.org/a.exe,online,malware_download,dl.example.org,192.0.2.90,64502,ZZ
";

pub const PLAIN_LIST: &str = "\
#
# Example C2 list
# FORMAT: one value per line
#

# Operation Example Storm https://example.org/reports/storm
c2.storm.example
192.0.2.200
198.51.100.77/25
203.0.113.9:8443 # admin panel
update.storm.example;65
CDN.Storm.Example.

# Second wave - https://example.org/reports/storm-2
https://dl.example.net/a.exe
evil[.]example[.]org
2001:db8::bad
c2.storm.example
";

/// Lines 3 and 6 are bad.
pub const PLAIN_LIST_BAD: &str = "\
# Campaign with typos
192.0.2.1
192.0.2.256
good.example.com
198.51.100.2
two words.example
203.0.113.3
c2.example.net
";

pub const ZEEK_TSV: &str = "#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#open\t2025-11-30-10-00-00
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto
#types\ttime\tstring\taddr\tport\taddr\tport\tenum
1764496800.000000\tCAbc123\t192.0.2.5\t49152\t198.51.100.7\t443\ttcp
#close\t2025-11-30-11-00-00
";

pub const ZEEK_JSON: &str = r#"{"ts":1764496800.0,"uid":"CAbc123","id.orig_h":"192.0.2.5","id.orig_p":49152,"id.resp_h":"198.51.100.7","id.resp_p":443,"proto":"tcp"}
"#;

pub const EVE_JSON: &str = r#"{"timestamp":"2025-11-30T10:00:00.000000+0000","flow_id":1,"event_type":"alert","src_ip":"192.0.2.5","src_port":49152,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","alert":{"signature_id":1,"signature":"ET MALWARE Example"}}
"#;

pub const ACCESS_LOG: &str = r#"192.0.2.5 - - [30/Nov/2025:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.0"
"#;

pub const BINARY: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\xff\xfe\x00\x01";
