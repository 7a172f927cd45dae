#!/usr/bin/env python3
"""The benchmark driver that bench/run.sh starts once dependencies and imgfetch are built.

It generates the corpus, starts nginx on 127.0.0.1 (and, for the many-hosts workloads, on
127.0.0.1 .. 127.0.0.32 with a CA made for this run), runs every tool on every workload
(interleaved, each run into a fresh directory on /dev/shm, timed by /usr/bin/time), verifies every
run against the SHA-256 manifest, measures the practical limits, measures imgfetch's peak RSS
against list length, and writes RESULTS.md, results.csv and results.svg. Everything it starts it
stops: nginx is asked to quit and the working directory is removed by run.sh's trap too.

Run it through bench/run.sh; see bench/README.md.
"""

import argparse
import datetime
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402
import report  # noqa: E402

WORKLOADS = ("small", "delay", "slow", "large", "hosts-https", "hosts-http", "rss")
# The many-hosts workloads: the small corpus over make_corpus.HOSTS loopback addresses, one nginx.
HOSTS_SCHEME = {"hosts-https": "https", "hosts-http": "http"}
# Round trips a new connection costs before its first request: TCP, plus one for TLS 1.3.
NEW_CONNECTION_RTTS = {"hosts-https": 2, "hosts-http": 1}
PROJECTED_RTT_S = 0.05  # the RTT of the "projected wall" column: a projection on paper
DELAY_S = 0.1  # what /delay/ waits before the first byte
SLOW_FILE_S = 0.5  # 2 MiB at 4 MiB/s
RUN_TIMEOUT_S = 600
IMGFETCH_LOCK = ".imgfetch.lock"  # imgfetch's documented per-directory lock file; left in DIR

# The process group of the run in flight, so an interrupt can stop it.
g_current_pgid = None


def log(msg):
    print(f"bench: {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# nginx


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_addresses():
    return [f"127.0.0.{h}" for h in range(1, make_corpus.HOSTS + 1)]


def free_port_on_every_host():
    """A port free on 127.0.0.1 and on every other many-hosts address (all in 127.0.0.0/8)."""
    for _ in range(20):
        port = free_port()
        try:
            for addr in host_addresses():
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((addr, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no port is free on all of 127.0.0.1 .. 127.0.0.32")


def hosts_ports():
    """Two different ports, each free on every many-hosts address: https and http."""
    https_port = free_port_on_every_host()
    http_port = free_port_on_every_host()
    while http_port == https_port:
        http_port = free_port_on_every_host()
    return {"https_port": https_port, "http_port": http_port}


def make_ca(tls_dir):
    """A CA made for this run and a server certificate it signs for every many-hosts address
    (IP subjectAltNames). Returns (ca.pem, server.pem, server.key); every tool gets ca.pem."""
    os.makedirs(tls_dir, exist_ok=True)
    ca_key, ca_pem = os.path.join(tls_dir, "ca.key"), os.path.join(tls_dir, "ca.pem")
    key, csr, pem = (os.path.join(tls_dir, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(tls_dir, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints = critical, CA:FALSE\n")
        f.write("keyUsage = critical, digitalSignature\n")
        f.write("extendedKeyUsage = serverAuth\n")
        f.write("subjectAltName = " + ", ".join(f"IP:{a}" for a in host_addresses()) + "\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    steps = [
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2",
         "-subj", "/CN=imgfetch bench CA (this run only)",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
         "-out", pem, "-days", "2", "-extfile", ext],
    ]
    for argv in steps:
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:3])}: {r.stderr.strip()}")
    return ca_pem, pem, key


def hosts_servers(ndir, corpus, hosts):
    """The many-hosts server blocks: one nginx, every address of 127.0.0.1 .. 127.0.0.32, TLS 1.3
    (1.2 allowed) with HTTP/2 on one port, plain HTTP/1.1 on another; each logs every request to
    its own access log with the fields the connection and handshake counts come from."""
    if not hosts:
        return ""
    https_listen = "\n        ".join(f"listen {a}:{hosts['https_port']} ssl http2;" for a in host_addresses())
    http_listen = "\n        ".join(f"listen {a}:{hosts['http_port']};" for a in host_addresses())
    return f"""
    # Many-hosts workloads. Log fields: worker pid and $connection (together: one connection),
    # the address the client dialled (the host), protocol, status, bytes, URI; https adds the TLS
    # version and $ssl_session_reused ("r": the handshake resumed a session, ".": a full one).
    log_format hosts_https '$pid $connection $server_addr $server_protocol $status $body_bytes_sent $uri $ssl_protocol $ssl_session_reused';
    log_format hosts_http '$pid $connection $server_addr $server_protocol $status $body_bytes_sent $uri';
    ssl_session_cache shared:bench_tls:10m;
    ssl_session_timeout 10m;
    server {{
        {https_listen}
        ssl_certificate {hosts['cert']};
        ssl_certificate_key {hosts['key']};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets on;
        root {corpus};
        access_log {ndir}/hosts-https.log hosts_https;
        location /small/ {{ }}
    }}
    server {{
        {http_listen}
        root {corpus};
        access_log {ndir}/hosts-http.log hosts_http;
        location /small/ {{ }}
    }}"""


def slow_location_body():
    # 16 parts of 128 KiB, each after a pause, flushed at once: 2 MiB in 0.5 s, evenly. echo_sleep
    # takes at most 3 decimals, so 12 pauses of 31 ms and 4 of 32 ms make the 500 ms.
    steps = []
    for i in range(make_corpus.SLOW_PARTS):
        pause = "0.032" if i % 4 == 3 else "0.031"
        steps.append(f"echo_sleep {pause}; echo_location /_parts/$name.{i:02d}; echo_flush;")
    return "\n            ".join(steps)


def nginx_conf(ndir, corpus, port, hosts=None):
    user = "user root;" if os.geteuid() == 0 else "# not root: workers run as the current user"
    return f"""# Generated by bench/bench.py; loopback only (127.0.0.1, and 127.0.0.1 .. 127.0.0.32 for many hosts).
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
{user}
worker_processes auto;
pid {ndir}/nginx.pid;
error_log {ndir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ image/jpeg jpg; }}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    # No tool may be cut off after nginx's default of 100 requests per connection.
    keepalive_requests 100000;
    keepalive_timeout 60s;
    client_body_temp_path {ndir}/tmp/body;
    proxy_temp_path {ndir}/tmp/proxy;
    fastcgi_temp_path {ndir}/tmp/fastcgi;
    uwsgi_temp_path {ndir}/tmp/uwsgi;
    scgi_temp_path {ndir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {corpus};
        location /small/ {{ }}
        location /large/ {{ }}
        # 100 ms before the first byte, then the file as a plain static response (Content-Length,
        # sendfile): echo_exec is an internal redirect made after the pause.
        location ~ ^/delay/(?<name>[^/]+)$ {{
            default_type image/jpeg;
            echo_sleep {DELAY_S};
            echo_exec /_delay/$name;
        }}
        location /_delay/ {{ internal; alias {corpus}/delay/; }}
        # 2 MiB paced at 4 MiB/s for real (limit_rate would send the first second as a burst).
        location ~ ^/slow/(?<name>[^/]+)$ {{
            default_type image/jpeg;
            {slow_location_body()}
        }}
        location /_parts/ {{ internal; alias {corpus}/parts/; }}
        # For the list-length RSS test: an answer without a file behind it.
        location /missing/ {{ return 404; }}
        # Accepted connections (all servers), read before and after each many-hosts run.
        location = /_status {{ stub_status; }}
    }}{hosts_servers(ndir, corpus, hosts)}
}}
"""


class Nginx:
    def __init__(self, work, corpus, hosts=None):
        """hosts: None, or {'https_port', 'http_port', 'cert', 'key'} for the many-hosts servers."""
        self.m_dir = os.path.join(work, "nginx")
        self.m_corpus = corpus
        self.m_conf = os.path.join(self.m_dir, "nginx.conf")
        self.m_pidfile = os.path.join(self.m_dir, "nginx.pid")
        self.m_hosts = hosts
        self.port = None

    def start(self):
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.m_dir, "tmp", name), exist_ok=True)
        last_error = ""
        for attempt in range(5):  # a free port can be taken between the probe and nginx's bind
            self.port = free_port()
            if self.m_hosts and attempt > 0:
                self.m_hosts.update(hosts_ports())
            with open(self.m_conf, "w") as f:
                f.write(nginx_conf(self.m_dir, self.m_corpus, self.port, self.m_hosts))
            r = subprocess.run(
                ["nginx", "-p", self.m_dir, "-c", self.m_conf, "-e", os.path.join(self.m_dir, "error.log")],
                capture_output=True,
                text=True,
            )
            if r.returncode == 0 and self.wait_pid():
                return
            last_error = r.stderr.strip()
        raise RuntimeError(f"nginx did not start: {last_error}")

    def wait_pid(self):
        for _ in range(100):
            if self.pid():
                return True
            time.sleep(0.05)
        return False

    def pid(self):
        try:
            with open(self.m_pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT)  # graceful: finish, then exit
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def hosts_base(self, workload, host):
        scheme = HOSTS_SCHEME[workload]
        return f"{scheme}://127.0.0.{host}:{self.m_hosts[scheme + '_port']}"

    def access_log(self, workload):
        return os.path.join(self.m_dir, f"{workload}.log")

    def accepted(self):
        """nginx's count of accepted connections (stub_status), this request's own included."""
        r = subprocess.run(["curl", "-q", "-s", "-S", "--fail", f"{self.base()}/_status"], capture_output=True, text=True)
        m = re.search(r"^\s*(\d+)\s+\d+\s+\d+\s*$", r.stdout, re.M)
        if r.returncode != 0 or not m:
            raise RuntimeError(f"nginx stub_status: {r.stderr.strip() or r.stdout!r}")
        return int(m.group(1))


def curl_probe(url, path_out):
    r = subprocess.run(
        ["curl", "-q", "-s", "-S", "--fail", "-o", path_out, "-w", "%{time_starttransfer} %{time_total} %{content_type}", url],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"curl {url}: {r.stderr.strip()}")
    ttfb, total, ctype = r.stdout.split(" ", 2)
    return float(ttfb), float(total), ctype


def check_nginx(ng, corpus, work, plan, wanted):
    """Checks every route once: bytes identical, content type, and the pacing. Returns notes."""
    notes = {}
    probe = os.path.join(work, "probe.bin")
    for workload in ("small", "delay", "slow", "large"):
        if workload not in wanted:
            continue
        name = plan[workload][0][0]
        ttfbs, totals = [], []
        for _ in range(3 if workload in ("delay", "slow") else 1):
            ttfb, total, ctype = curl_probe(f"{ng.base()}/{workload}/{name}", probe)
            with open(probe, "rb") as a, open(os.path.join(corpus, workload, name), "rb") as b:
                if a.read() != b.read():
                    raise RuntimeError(f"nginx check: /{workload}/{name} is not byte-identical")
            if ctype != "image/jpeg":
                raise RuntimeError(f"nginx check: /{workload}/{name} has Content-Type {ctype}")
            ttfbs.append(ttfb)
            totals.append(total)
        ttfb, total = statistics.median(ttfbs), statistics.median(totals)
        if workload == "delay" and not (0.095 <= ttfb <= 0.3):
            raise RuntimeError(f"nginx check: /delay/ first byte after {ttfb:.3f} s, want ~0.1 s")
        if workload == "slow" and not (0.48 <= total <= 1.0):
            raise RuntimeError(f"nginx check: /slow/ took {total:.3f} s, want ~0.5 s")
        notes[workload] = (ttfb, total)
        log(f"nginx check /{workload}/: identical, image/jpeg, first byte {ttfb * 1000:.1f} ms, all {total * 1000:.1f} ms")
    if os.path.exists(probe):
        os.unlink(probe)
    r = subprocess.run(["curl", "-q", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{ng.base()}/missing/x.jpg"], capture_output=True, text=True)
    if r.stdout != "404":
        raise RuntimeError(f"nginx check: /missing/ answered {r.stdout}")
    return notes


def check_hosts(ng, corpus, work, workload, first_names, cacert):
    """Fetches one file from every many-hosts address: 200, image/jpeg, the corpus bytes, and
    HTTP/2 over TLS 1.3 on https (HTTP/1.1 on http), the certificate checked against the run's CA."""
    probe = os.path.join(work, "probe-hosts.bin")
    want_version = "2" if HOSTS_SCHEME[workload] == "https" else "1.1"
    for host, name in first_names:
        argv = ["curl", "-q", "-s", "-S", "--fail", "-o", probe, "-w", "%{http_version} %{content_type}"]
        argv += ["--cacert", cacert] if cacert else []
        r = subprocess.run(argv + [f"{ng.hosts_base(workload, host)}/small/{name}"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"nginx check {workload} host {host}: {r.stderr.strip()}")
        version, ctype = r.stdout.split(" ", 1)
        with open(probe, "rb") as a, open(os.path.join(corpus, "small", name), "rb") as b:
            same = a.read() == b.read()
        if not same or ctype != "image/jpeg" or version != want_version:
            raise RuntimeError(f"nginx check {workload} host {host}: identical={same}, {ctype}, HTTP/{version} (want HTTP/{want_version})")
    os.unlink(probe)
    log(f"nginx check /{workload}/: {len(first_names)} hosts, identical, image/jpeg, HTTP/{want_version}" + (", certificate verified against the run's CA" if cacert else ""))


class ConnectionCount:
    """Counts one run's connections on a many-hosts server: nginx's accepted-connection counter
    before and after (stub_status), and the run's lines of that workload's access log, one per
    request, from which connections that carried requests, their hosts and their handshakes
    (full or resumed, one per connection) come. Only one run is in flight at a time."""

    def __init__(self, ng, workload):
        self.m_ng = ng
        self.m_workload = workload
        self.m_path = ng.access_log(workload)
        self.m_offset = os.path.getsize(self.m_path) if os.path.exists(self.m_path) else 0
        self.m_accepted = ng.accepted()

    def finish(self, expected_requests):
        # Both probes' own connections are counted: the second one lies inside the interval.
        accepted = self.m_ng.accepted() - self.m_accepted - 1
        # nginx writes a request's line once its response is sent; a client can see its last
        # byte just before that, so wait (bounded) for every expected line to be there.
        lines = []
        for _ in range(40):
            with open(self.m_path, "rb") as f:
                f.seek(self.m_offset)
                lines = f.read().decode("utf-8", "replace").splitlines()
            if sum(1 for line in lines if line.split()[4:5] == ["200"]) >= expected_requests:
                break
            time.sleep(0.05)
        conns = {}
        hosts = set()
        tls_versions = set()
        ok_requests = h2_requests = 0
        for line in lines:
            f = line.split()
            if len(f) < 7:
                continue
            key = (f[0], f[1])  # worker pid, $connection
            conns[key] = f[8] if len(f) >= 9 else "-"  # $ssl_session_reused: same for every request of one connection
            hosts.add(f[2])
            if len(f) >= 9:
                tls_versions.add(f[7])
            ok_requests += f[4] == "200"
            h2_requests += f[3] == "HTTP/2.0"
        https = HOSTS_SCHEME[self.m_workload] == "https"
        return {
            "connections": accepted,
            "logged_connections": len(conns),
            "tls_full": sum(1 for v in conns.values() if v == ".") if https else "",
            "tls_resumed": sum(1 for v in conns.values() if v == "r") if https else "",
            "requests": len(lines),
            "requests_ok": ok_requests,
            "requests_h2": h2_requests,
            "hosts_seen": len(hosts),
            "tls_versions": " ".join(sorted(tls_versions)),
        }


def projected_wall(workload, wall, connections, jobs):
    """Measured wall + (connections / J) x round trips per new connection x 0.05 s: on paper."""
    return wall + connections / jobs * NEW_CONNECTION_RTTS[workload] * PROJECTED_RTT_S


# ---------------------------------------------------------------------------------------------
# Running one measured command


def run_measured(argv, log_path, stdin_path=None, timeout=RUN_TIMEOUT_S):
    """Runs argv under /usr/bin/time; returns wall (perf_counter), time's %e %U %S %M, the exact
    user+sys CPU from wait4 (time's own rusage includes the reaped tool and its children), rc."""
    global g_current_pgid
    time_file = log_path + ".time"
    full = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", time_file] + argv
    stdin = open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb")
    with stdin, open(log_path, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdin=stdin, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        g_current_pgid = p.pid
        timed_out = []

        def kill():
            timed_out.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        g_current_pgid = None
    fields = ["", "", "", ""]
    try:
        with open(time_file) as f:
            lines = [line.split() for line in f if line.strip()]
        if lines and len(lines[-1]) == 4:
            fields = lines[-1]
    except OSError:
        pass
    return {
        "wall": wall,
        "time_e": fields[0],
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "time_user": fields[1],
        "time_sys": fields[2],
        "rss_kib": int(fields[3]) if fields[3] else "",
        "rc": "timeout" if timed_out else p.returncode,
    }


def tail(path, lines=3):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4000))
            text = f.read().decode("utf-8", "replace")
        return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())
    except OSError:
        return ""


def keep_log(log_path, keep_dir):
    """Copies the end of a failed run's log (and its time file) to keep_dir, which outlives the run."""
    os.makedirs(keep_dir, exist_ok=True)
    for path in (log_path, log_path + ".time"):
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 65536))
                data = f.read()
            with open(os.path.join(keep_dir, os.path.basename(path)), "wb") as f:
                f.write(data)
        except OSError:
            pass


def verify(out_dir, manifest_path, names):
    """True when out_dir holds exactly the manifest's files (plus imgfetch's lock), byte for byte."""
    present = set(os.listdir(out_dir)) - {IMGFETCH_LOCK}
    expected = set(names)
    if present != expected:
        missing = sorted(expected - present)
        extra = sorted(present - expected)
        return False, f"{len(missing)} missing {missing[:3]}, {len(extra)} extra {extra[:3]}"
    r = subprocess.run(["sha256sum", "--quiet", "--strict", "-c", manifest_path], cwd=out_dir, capture_output=True, text=True)
    if r.returncode != 0:
        bad = [line for line in r.stdout.splitlines() if "FAILED" in line]
        return False, f"{len(bad)} files differ {bad[:3]}"
    return True, ""


# ---------------------------------------------------------------------------------------------
# Tools


def ca(c, flag):
    """The option that hands a tool the run's CA on https ([] on http and single-host workloads)."""
    return [flag, c["cacert"]] if c.get("cacert") else []


class Tool:
    """One way to download a list: a family (for 'best other tool'), a label, and its command."""

    def __init__(self, key, family, label, argv_fn, stdin=False, hosts_label=None):
        self.key = key
        self.family = family
        self.label = label
        self.m_hosts_label = hosts_label or label
        self.m_argv_fn = argv_fn
        self.m_stdin = stdin

    def label_for(self, workload):
        """The label, or the many-hosts one where the single-host label would not be true there."""
        return self.m_hosts_label if workload in HOSTS_SCHEME else self.label

    def argv(self, ctx, out_dir, jobs):
        return self.m_argv_fn(ctx, out_dir, str(jobs))

    def uses_stdin(self):
        return self.m_stdin


def curl_processes(ctx, out_dir, _jobs):
    # One curl process per file, all at once; the script fails when any of them fails.
    script = ["pids="]
    for url, name in zip(ctx["urls"], ctx["names"]):
        script.append(f"curl -q -s -S --fail -o '{out_dir}/{name}' '{url}' & pids=\"$pids $!\"")
    script.append('rc=0; for p in $pids; do wait "$p" || rc=1; done; exit "$rc"')
    return ["sh", "-c", "\n".join(script)]


def make_tools(imgfetch):
    return {
        t.key: t
        for t in [
            Tool("imgfetch", "imgfetch", "imgfetch -j {j}", lambda c, o, j: [imgfetch, c["list"], "-j", j, "-q", "-o", o, *ca(c, "--cacert")]),
            # The same run without the image structure check: what --verify structure costs.
            Tool("imgfetch-noverify", "imgfetch", "imgfetch -j {j} --verify none", lambda c, o, j: [imgfetch, c["list"], "-j", j, "--verify", "none", "-q", "-o", o, *ca(c, "--cacert")]),
            Tool("imgfetch-seq", "imgfetch", "imgfetch --sequential", lambda c, o, j: [imgfetch, c["list"], "--sequential", "-q", "-o", o, *ca(c, "--cacert")]),
            Tool(
                "aria2c",
                "aria2c",
                "aria2c -j {j}",
                lambda c, o, j: [
                    "aria2c", "--no-conf", "-i", c["list"], "-j", j, "-d", o,
                    "--console-log-level=warn", "--summary-interval=0", "--show-console-readout=false",
                    "--download-result=hide", "--allow-overwrite=false", "--auto-file-renaming=false",
                    "--file-allocation=none", "--split=1", "--max-connection-per-server=1",
                    *ca(c, "--ca-certificate"),
                ],
            ),
            Tool(
                "wget2",
                "wget2",
                "wget2 --max-threads={j}",
                lambda c, o, j: [
                    "wget2", "--no-config", f"--max-threads={j}", "-i", c["list"], "-P", o, "-nv",
                    "--robots=off", "--no-netrc", "--no-hsts", "--no-hpkp", *ca(c, "--ca-certificate"),
                ],
            ),
            Tool(
                "curl-Z",
                "curl -Z",
                "curl -Z --parallel-max {j}",
                lambda c, o, j: [
                    "curl", "-q", "-s", "-S", "--fail", "--parallel", "--parallel-immediate", "--parallel-max", j,
                    "--remote-name-all", "--output-dir", o, *ca(c, "--cacert"), "-K", c["cfg"],
                ],
            ),
            Tool(
                "curl-seq",
                "curl",
                "curl, 1 keep-alive connection",
                lambda c, o, j: ["curl", "-q", "-s", "-S", "--fail", "--remote-name-all", "--output-dir", o, *ca(c, "--cacert"), "-K", c["cfg"]],
                hosts_label="curl, one transfer at a time",  # 32 hosts: one connection per host change
            ),
            Tool("wget", "wget", "wget", lambda c, o, j: ["wget", "--no-config", "-nv", "--no-hsts", "-i", c["list"], "-P", o, *ca(c, "--ca-certificate")]),
            Tool("curl-procs", "curl processes", "{n} curl processes", curl_processes),
            Tool(
                "xargs-curl",
                "xargs curl",
                "xargs -P {j} curl",
                lambda c, o, j: ["xargs", "-P", j, "-n", "1", "curl", "-q", "-s", "-S", "--fail", "--remote-name-all", "--output-dir", o, *ca(c, "--cacert")],
                stdin=True,
            ),
        ]
    }


# ---------------------------------------------------------------------------------------------
# What runs where


def plan_runs(quick):
    """{workload: [(case, tool_key, jobs, only_first_rep)]}; case names the comparison group."""
    par = []
    for jobs in (8, 32):
        for tool in ("imgfetch", "aria2c", "wget2", "curl-Z"):
            par.append((f"-j {jobs}", tool, jobs, False))
    seq_small = [("sequential", t, 1, False) for t in ("imgfetch-seq", "curl-seq", "wget")]
    # 400 × 0.1 s and 60 × 0.5 s one after another: 40 s and 30 s per run, so the sequential tools
    # run once (first repetition) on delay and slow, wget not at all (it is curl's twin here).
    seq_once = [] if quick else [("sequential", t, 1, True) for t in ("imgfetch-seq", "curl-seq")]
    plan = {
        "small": par + [("-j 8", "imgfetch-noverify", 8, False)] + seq_small + ([] if quick else [("-j 8", "xargs-curl", 8, True)]),
        "delay": par + seq_once,
        "slow": par + seq_once,
        "large": [("parallel", t, 8, False) for t in ("imgfetch", "imgfetch-noverify", "aria2c", "wget2", "curl-Z", "curl-procs")]
        + [("sequential", t, 1, False) for t in ("imgfetch-seq", "curl-seq", "wget")],
    }
    # The many-hosts workloads run what small runs, except that the sequential tools (a new
    # connection, on https a full TLS handshake, at nearly every host change: up to ~100 s for
    # wget on a busy machine) run in the first repetition only, and not at all with --quick.
    hosts_seq = [] if quick else [("sequential", t, 1, True) for t in ("imgfetch-seq", "curl-seq", "wget")]
    for w in HOSTS_SCHEME:
        plan[w] = par + hosts_seq + ([] if quick else [("-j 8", "xargs-curl", 8, True)])
    return plan




# ---------------------------------------------------------------------------------------------
# Practical limits


def wrk_lua(path, paths):
    with open(path, "w") as f:
        f.write("local paths = {\n")
        for p in paths:
            f.write(f'  "{p}",\n')
        f.write("}\nlocal n = #paths\nlocal i = 0\n")
        f.write('request = function()\n  i = i % n + 1\n  return wrk.format("GET", paths[i])\nend\n')


def measure_wrk(ng, lua, connections, threads, duration, log_path):
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", duration, "-s", lua, ng.base() + "/"]
    r = subprocess.run(argv, capture_output=True, text=True)
    with open(log_path, "w") as f:
        f.write(r.stdout + r.stderr)
    m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors", r.stdout)
    shown = f"wrk -t {threads} -c {connections} -d {duration}"  # without the temp path and port
    if r.returncode != 0 or not m or bad:
        return None, shown
    return float(m.group(1)), shown


def measure_devnull(ng, urls, parallel, log_path):
    """Wall time of curl fetching urls to /dev/null: one process per URL at once, or one process."""
    if parallel:
        script = "pids=; " + " ".join(f"curl -q -s -S --fail -o /dev/null '{u}' & pids=\"$pids $!\";" for u in urls)
        script += ' rc=0; for p in $pids; do wait "$p" || rc=1; done; exit "$rc"'
        argv = ["sh", "-c", script]
    else:
        argv = ["curl", "-q", "-s", "-S", "--fail"]
        for u in urls:
            argv += ["-o", "/dev/null", u]
    m = run_measured(argv, log_path)
    return (m["wall"] if m["rc"] == 0 else None), m


def measure_per_file(ng, workload, names, log_path):
    """Median time for one file of delay/slow, fetched one after another on one connection."""
    fmt = "%{time_total}\\n"
    argv = ["curl", "-q", "-s", "-S", "--fail", "-w", fmt]
    for name in names[:5]:
        argv += ["-o", "/dev/null", f"{ng.base()}/{workload}/{name}"]
    r = subprocess.run(argv, capture_output=True, text=True)
    with open(log_path, "w") as f:
        f.write(r.stdout + r.stderr)
    if r.returncode != 0:
        return None
    return statistics.median(float(x) for x in r.stdout.split())


# ---------------------------------------------------------------------------------------------
# The run


def machine_info(imgfetch):
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            text = (r.stdout or r.stderr).strip()
            return text.splitlines()[0] if text else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    try:
        with open("/etc/os-release") as f:
            os_name = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line).get("PRETTY_NAME", "?").strip('"')
    except OSError:
        os_name = "?"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "os": os_name,
        "versions": {
            "imgfetch": first_line([imgfetch, "--version"]),
            "nginx": first_line(["nginx", "-v"]),
            "aria2c": first_line(["aria2c", "--version"]),
            "wget2": first_line(["wget2", "--version"]),
            "curl": first_line(["curl", "--version"]),
            "wget": first_line(["wget", "--version"]),
            "wrk": first_line(["wrk", "-v"]),
        },
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def write_list(path_list, path_cfg, urls):
    with open(path_list, "w") as f:
        f.writelines(u + "\n" for u in urls)
    if path_cfg:
        with open(path_cfg, "w") as f:
            f.writelines(f'url = "{u}"\n' for u in urls)


def rss_scaling(ng, work, imgfetch, lengths, reps_small, rows, logs, keep_logs):
    base = ng.base()
    results = []
    for n in lengths:
        path = os.path.join(work, "lists", f"missing-{n}.txt")
        with open(path, "w") as f:
            for i in range(n):
                f.write(f"{base}/missing/m{i:07d}.jpg\n")
        for rep in range(reps_small if n <= 1000 else 1):
            out = os.path.join(work, "runs", f"rss-{n}-{rep}")
            os.makedirs(out)
            log_path = os.path.join(logs, f"rss-{n}-{rep}.log")
            argv = [imgfetch, path, "-j", "8", "-o", out]
            log(f"rss: {n} URLs, rep {rep + 1}")
            m = run_measured(argv, log_path, timeout=1800)
            # Every URL answers 404, so exit code 1 and "0 ok, N failed" are what a good run says;
            # the summary line is only printed without -q, so this run leaves -q off.
            summary = ""
            try:
                with open(log_path, "rb") as f:
                    f.seek(0, os.SEEK_END)
                    f.seek(max(0, f.tell() - 2000))
                    for line in f.read().decode("utf-8", "replace").splitlines():
                        if " ok, " in line and " failed" in line:
                            summary = line.strip()
            except OSError:
                pass
            sm = re.search(r"(\d+) ok, (\d+) failed", summary)
            left = [x for x in os.listdir(out) if x != IMGFETCH_LOCK]
            ok = bool(sm) and int(sm.group(1)) == 0 and int(sm.group(2)) == n and m["rc"] == 1 and not left
            note = "" if ok else f"rc={m['rc']} summary='{summary}' files left={len(left)}"
            if not ok:
                keep_log(log_path, keep_logs)
            row = dict(kind="rss", rep=rep + 1, workload="rss", case=f"{n} URLs", tool="imgfetch", label="imgfetch -j 8", jobs=8, **m, status="ok" if ok else "FAILED", note=note)
            rows.append(row)
            results.append(row)
            shutil.rmtree(out)
        os.unlink(path)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--imgfetch", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--keep-logs", required=True, help="where the logs of failed runs are copied")
    parser.add_argument("--command", default="bench/run.sh")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    started = time.time()
    wanted = [w for w in args.only.split(",") if w] or list(WORKLOADS)
    for w in wanted:
        if w not in WORKLOADS:
            sys.exit(f"bench: unknown workload '{w}' (one of {', '.join(WORKLOADS)})")
    imgfetch = os.path.abspath(args.imgfetch)
    work = args.work
    corpus = os.path.join(work, "corpus")
    logs = os.path.join(work, "logs")  # every run's output; only failed runs' logs are kept
    os.makedirs(logs, exist_ok=True)
    for sub in ("runs", "lists", "limits"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    info = machine_info(imgfetch)
    info["load_start"] = loadavg()
    info["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    log(f"{info['cpu']}, {info['nproc']} CPUs, load {info['load_start']}; imgfetch {imgfetch}")

    # Corpus -----------------------------------------------------------------------------------
    files = [w for w in wanted if w != "rss"]
    # The many-hosts workloads serve the small corpus.
    corpus_parts = sorted({"small" if w in HOSTS_SCHEME else w for w in files})
    plan = make_corpus.plan(args.seed)
    small_sizes = dict(plan["small"])
    hosts_pairs = make_corpus.hosts_plan(args.seed, [n for n, _ in plan["small"]])
    for w in HOSTS_SCHEME:
        plan[w] = [(n, small_sizes[n]) for _, n in hosts_pairs]
    if corpus_parts:
        t0 = time.time()
        subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), corpus, "--seed", str(args.seed), "--only", ",".join(corpus_parts)], check=True)
        log(f"corpus written in {time.time() - t0:.1f} s")
    else:
        os.makedirs(corpus, exist_ok=True)

    hosts = None
    cacert = None
    if any(w in HOSTS_SCHEME for w in files):
        cacert, cert, key = make_ca(os.path.join(work, "tls"))
        hosts = {"cert": cert, "key": key, **hosts_ports()}

    ng = Nginx(work, corpus, hosts)
    rows = []
    limit_rows = []
    probes = {}
    reps = args.reps
    try:
        ng.start()
        log(f"nginx on {ng.base()} (pid {ng.pid()})")
        if hosts:
            log(f"many hosts: https on port {hosts['https_port']}, http on port {hosts['http_port']} of 127.0.0.1 .. 127.0.0.{make_corpus.HOSTS}; CA {cacert}")
        probes = check_nginx(ng, corpus, work, plan, wanted)
        first_per_host = sorted({h: n for h, n in reversed(hosts_pairs)}.items())
        for w in HOSTS_SCHEME:
            if w in wanted:
                check_hosts(ng, corpus, work, w, first_per_host, cacert if HOSTS_SCHEME[w] == "https" else None)

        tools = make_tools(imgfetch)
        runs = plan_runs(args.quick)
        ctx = {}
        for w in files:
            names = [n for n, _ in plan[w]]
            if w in HOSTS_SCHEME:
                urls = [f"{ng.hosts_base(w, h)}/small/{n}" for h, n in hosts_pairs]
            else:
                urls = [f"{ng.base()}/{w}/{n}" for n in names]
            lst = os.path.join(work, "lists", f"{w}.txt")
            cfg = os.path.join(work, "lists", f"{w}.curl")
            write_list(lst, cfg, urls)
            part = "small" if w in HOSTS_SCHEME else w
            ctx[w] = {"list": lst, "cfg": cfg, "urls": urls, "names": names, "manifest": os.path.join(corpus, "manifests", f"{part}.sha256")}
            if HOSTS_SCHEME.get(w) == "https":
                ctx[w]["cacert"] = cacert

        if "small" in files:
            lua = os.path.join(work, "limits", "small.lua")
            wrk_lua(lua, [f"/small/{n}" for n in ctx["small"]["names"]])
        wrk_duration = "1s" if args.quick else "3s"

        for rep in range(reps):
            log(f"=== repetition {rep + 1} of {reps} (load {loadavg()})")
            for w in files:
                c = ctx[w]
                # Practical limits, measured in the same repetition as the tools.
                if w == "small":
                    for case, conns, threads in (("-j 8", 8, 2), ("-j 32", 32, 2), ("sequential", 1, 1)):
                        rps, cmd = measure_wrk(ng, lua, conns, threads, wrk_duration, os.path.join(logs, f"wrk-c{conns}-{rep}.log"))
                        limit_rows.append(dict(kind="limit", rep=rep + 1, workload=w, case=case, tool="wrk", label=f"wrk -c {conns}", jobs=conns, wall=(len(c["names"]) / rps) if rps else "", rps=rps or "", status="ok" if rps else "FAILED", note=cmd))
                elif w in ("delay", "slow"):
                    per_file = measure_per_file(ng, w, c["names"], os.path.join(logs, f"perfile-{w}-{rep}.log"))
                    limit_rows.append(dict(kind="limit", rep=rep + 1, workload=w, case="per file", tool="curl", label="curl, one file", jobs=1, wall=per_file or "", status="ok" if per_file else "FAILED", note="median of 5 files one after another"))
                elif w == "large":
                    # Three tries each: the limit is the best the server and kernel allow.
                    for case, parallel in (("parallel", True), ("sequential", False)):
                        for attempt in range(3):
                            wall, m = measure_devnull(ng, c["urls"], parallel, os.path.join(logs, f"devnull-{case}-{rep}-{attempt}.log"))
                            label = f"{len(c['urls'])} curl processes to /dev/null" if parallel else "1 curl to /dev/null"
                            limit_rows.append(dict(kind="limit", rep=rep + 1, workload=w, case=case, tool="curl", label=label, jobs=len(c["urls"]) if parallel else 1, **m, status="ok" if wall else "FAILED", note=""))
                # The tools, in an order shuffled per repetition (seeded), so no tool always runs
                # first or right after the same neighbour.
                order = [r for r in runs[w] if rep == 0 or not r[3]]
                random.Random(1000 * rep + len(w)).shuffle(order)
                for case, key, jobs, _once in order:
                    tool = tools[key]
                    out = os.path.join(work, "runs", f"{w}-{key}-{jobs}-{rep}")
                    os.makedirs(out)
                    log_path = os.path.join(logs, f"{w}-{key}-j{jobs}-rep{rep + 1}.log")
                    argv = tool.argv(c, out, jobs)
                    counter = ConnectionCount(ng, w) if w in HOSTS_SCHEME else None
                    m = run_measured(argv, log_path, stdin_path=c["list"] if tool.uses_stdin() else None)
                    counts = counter.finish(len(c["names"])) if counter else {}
                    ok, why = verify(out, c["manifest"], c["names"])
                    status = "ok" if ok and m["rc"] == 0 else "FAILED"
                    note = "" if status == "ok" else f"rc={m['rc']}; {why}; log: {tail(log_path)}"[:400]
                    if counts:
                        counts["projected_wall"] = projected_wall(w, m["wall"], counts["connections"], jobs)
                        if counts["requests_ok"] != len(c["names"]) or counts["hosts_seen"] != make_corpus.HOSTS:
                            note = (note + "; " if note else "") + f"access log: {counts['requests_ok']} of {len(c['names'])} requests answered 200, {counts['hosts_seen']} hosts"
                    if status != "ok":
                        keep_log(log_path, args.keep_logs)
                    label = tool.label_for(w).format(j=jobs, n=len(c["names"]))
                    rows.append(dict(kind="run", rep=rep + 1, workload=w, case=case, tool=key, family=tool.family, label=label, jobs=jobs, **m, **counts, status=status, note=note))
                    cpu = m["user"] + m["sys"]
                    extra = ""
                    if counts:
                        extra = f" {counts['connections']:5} conns ({counts['logged_connections']} with requests)"
                        if counts["tls_full"] != "":
                            extra += f" {counts['tls_versions']} {counts['tls_full']} full {counts['tls_resumed']} resumed"
                        extra += f" h2 {counts['requests_h2']}/{counts['requests']}; projected {counts['projected_wall']:.2f} s"
                    log(f"{w:5} {label:32} {m['wall']:7.3f} s wall {cpu:6.3f} s CPU {m['rss_kib']!s:>7} KiB{extra}  {status} {note[:150]}")
                    shutil.rmtree(out)

        rss = []
        if "rss" in wanted:
            lengths = [10, 1000, 100000] if args.quick else [10, 1000, 100000, 1000000]
            rss = rss_scaling(ng, work, imgfetch, lengths, min(reps, 3), rows, logs, args.keep_logs)
    finally:
        if g_current_pgid:
            try:
                os.killpg(g_current_pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        ng.stop()

    info["load_end"] = loadavg()
    info["elapsed_s"] = time.time() - started
    os.makedirs(args.out, exist_ok=True)
    report.write_all(args.out, rows + limit_rows, info, probes, plan_counts={w: len(plan[w]) for w in plan}, command=args.command, reps=reps, quick=args.quick, wanted=wanted)
    report.save_raw(os.path.join(args.keep_logs, "raw.json"), rows + limit_rows, info, probes, {w: len(plan[w]) for w in plan}, args.command, reps, args.quick, wanted)
    log(f"done in {info['elapsed_s'] / 60:.1f} min; results in {args.out}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as e:
        sys.exit(f"bench: interrupted ({e})")
