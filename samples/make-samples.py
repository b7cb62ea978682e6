#!/usr/bin/env python3
"""Writes the small synthetic telemetry sample that `borderscope demo` ingests.

Made up by the borderscope authors (no real traffic): a handful of hosts in a
private network, resolvers, web browsing to public addresses in several
countries, one host beaconing to a server every ~60 s, a web server's access
log with a scanner and a POST-heavy script, and a few deliberately broken rows
so the quarantine has something to show. Deterministic: rerunning gives the
same bytes.
"""
import json
import random
import os

rng = random.Random(20261126)
START = 1_764_547_200  # 2025-12-01T00:00:00Z
HOSTS = [f"10.20.0.{i}" for i in range(10, 22)]
# Public servers, with the registry country of their prefix (for reading the
# demo output, not used by any code).
SERVERS = {
    "8.8.8.8": "US", "1.1.1.1": "AU", "202.108.22.5": "CN", "77.88.55.60": "RU",
    "81.2.69.142": "GB", "185.60.216.35": "IE", "151.101.1.69": "US",
    "91.198.174.192": "NL", "103.4.96.1": "SG", "200.147.67.142": "BR",
}
BEACON_SERVER = "45.137.21.9"
BEACON_HOST = "10.20.0.13"

def uid(i):
    return "C" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(17))

def conn_rows():
    rows = []
    for i in range(260):
        t = START + rng.uniform(0, 6 * 3600)
        h = rng.choice(HOSTS)
        s = rng.choice(list(SERVERS))
        port = rng.choice([443, 443, 443, 80, 53])
        proto = "udp" if port == 53 else "tcp"
        svc = {443: "ssl", 80: "http", 53: "dns"}[port]
        ob, rb = rng.randint(300, 4000), rng.randint(1000, 200000)
        rows.append((t, uid(i), h, rng.randint(49152, 65535), s, port, proto, svc,
                     round(rng.uniform(0.05, 30), 6), ob, rb, "SF", "ShADadfF"))
    t = START + 120
    while t < START + 6 * 3600:
        rows.append((t, uid(0), BEACON_HOST, rng.randint(49152, 65535), BEACON_SERVER, 8443, "tcp",
                     "-", round(rng.uniform(0.2, 0.4), 6), 312, 180, "SF", "ShADadfF"))
        t += 60 + rng.uniform(-3, 3)
    rows.sort()
    return rows

def write_conn(path):
    with open(path, "w") as f:
        f.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n")
        f.write("#open\t2025-12-01-00-00-00\n")
        f.write("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\n")
        f.write("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\n")
        for i, r in enumerate(conn_rows()):
            f.write("\t".join([f"{r[0]:.6f}"] + [str(x) for x in r[1:]]) + "\n")
            if i == 100:  # a sensor glitch: a truncated row
                f.write(f"{r[0]:.6f}\t{uid(1)}\t10.20.0.11\t50000\n")
            if i == 200:  # an address that is not one
                f.write(f"{r[0]:.6f}\t{uid(2)}\t10.20.0.300\t50001\t8.8.8.8\t53\tudp\tdns\t0.01\t40\t80\tSF\tDd\n")
        f.write("#close\t2025-12-01-06-00-00\n")

def write_dns(path):
    names = {"8.8.8.8": "dns.google", "1.1.1.1": "one.one.one.one", "202.108.22.5": "www.baidu.com",
             "77.88.55.60": "yandex.ru", "81.2.69.142": "news.example.co.uk", "185.60.216.35": "www.facebook.com",
             "151.101.1.69": "www.reddit.com", "91.198.174.192": "www.wikipedia.org",
             "103.4.96.1": "shop.example.sg", "200.147.67.142": "www.uol.com.br",
             BEACON_SERVER: "update-check.example-cdn.top"}
    with open(path, "w") as f:
        for i in range(80):
            ip, name = rng.choice(list(names.items()))
            rec = {"ts": START + rng.uniform(0, 6 * 3600), "uid": uid(i), "id.orig_h": rng.choice(HOSTS),
                   "id.orig_p": rng.randint(49152, 65535), "id.resp_h": "10.20.0.2", "id.resp_p": 53,
                   "proto": "udp", "trans_id": rng.randint(1, 65535), "query": name, "qclass": 1,
                   "qclass_name": "C_INTERNET", "qtype": 1, "qtype_name": "A", "rcode": 0,
                   "rcode_name": "NOERROR", "answers": [ip], "TTLs": [300.0]}
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")

def write_eve(path):
    with open(path, "w") as f:
        for i in range(6):
            t = START + 3600 + i * 600
            ts = f"2025-12-01T{int((t-START)//3600):02d}:{int((t-START)%3600//60):02d}:00.000000+0000"
            f.write(json.dumps({"timestamp": ts, "flow_id": 1000 + i, "event_type": "alert", "src_ip": BEACON_HOST,
                "src_port": 50000 + i, "dest_ip": BEACON_SERVER, "dest_port": 8443, "proto": "TCP",
                "alert": {"action": "allowed", "gid": 1, "signature_id": 9000001, "rev": 1,
                          "signature": "DEMO Trojan checkin to update-check", "category": "A Network Trojan was detected",
                          "severity": 1}}) + "\n")
        f.write('{"timestamp": "2025-12-01T02:00:00+0000", "event_type": "alert", "src_ip": \n')  # cut off

def write_access(path):
    site_paths = ["/", "/index.php", "/about", "/news/2025/12/01/story", "/static/site.css", "/static/app.js"]
    agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
              "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"]
    clients = ["81.2.69.160", "202.108.22.40", "151.101.1.20", "77.88.55.80", "200.147.67.10"]
    lines = []
    for i in range(120):
        t = START + rng.uniform(0, 6 * 3600)
        lines.append((t, rng.choice(clients), "GET", rng.choice(site_paths), 200, rng.randint(500, 40000),
                      "https://www.example-news.test/", rng.choice(agents)))
    for i, p in enumerate(["/wp-login.php", "/shell.php", "/cmd.php", "/admin/upload.php", "/c99.php"]):
        lines.append((START + 7200 + i, "103.4.96.77", "GET", p, 404, 210, "-", "sqlmap/1.7"))
    for i in range(8):
        lines.append((START + 9000 + i * 45, "45.137.21.77", "POST", "/uploads/img_2291.php", 200,
                      rng.randint(40, 900), "-", "-"))
    lines.sort()
    with open(path, "w") as f:
        for t, c, m, p, s, b, ref, ua in lines:
            import time
            stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
            f.write(f'{c} - - [{stamp}] "{m} {p} HTTP/1.1" {s} {b} "{ref}" "{ua}"\n')

here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(here, "telemetry"), exist_ok=True)
write_conn(os.path.join(here, "telemetry", "conn.log"))
write_dns(os.path.join(here, "telemetry", "dns.log"))
write_eve(os.path.join(here, "telemetry", "eve.json"))
write_access(os.path.join(here, "telemetry", "access.log"))
