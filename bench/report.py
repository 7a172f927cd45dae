"""Turns the benchmark's raw rows into results.csv, RESULTS.md and results.svg (bench/bench.py calls it).

Medians are over the runs that verified (every file present, byte-identical, exit code 0); a run
that did not verify is listed as FAILED and left out of every median.
"""

import csv
import html
import json
import math
import os
import statistics
import sys

MB = 1e6  # RSS is reported in MB of 10^6 bytes, as in the issue
CASE_ORDER = ["-j 8", "-j 32", "parallel", "sequential"]
WORKLOAD_ORDER = ["small", "delay", "slow", "large", "hosts-https", "hosts-http"]
HOSTS_WORKLOADS = ("hosts-https", "hosts-http")
# The projection's inputs (bench.py computes each run's projected wall with the same numbers).
PROJECTION = "measured wall + (connections ÷ J) × round trips per new connection (1 on http, 2 on https with TLS 1.3) × 0.05 s"
PER_FILE_S = {"delay": 0.1, "slow": 0.5}
CASE_JOBS = {"-j 8": 8, "-j 32": 32, "sequential": 1}
DESCRIPTION = {
    "small": "2000 JPEGs, median 40 KiB (2–400 KiB), unthrottled",
    "delay": "400 JPEGs of 10–40 KiB, 100 ms before the first byte of each",
    "slow": "60 × 2 MiB, each paced at 4 MiB/s (0.5 s per file)",
    "large": "4 × 64 MiB, unthrottled",
    "hosts-https": "the small corpus over 32 hosts (127.0.0.1 .. 127.0.0.32) in a seeded random order, HTTPS (TLS 1.3, HTTP/2)",
    "hosts-http": "the small corpus over 32 hosts (127.0.0.1 .. 127.0.0.32) in a seeded random order, plain HTTP/1.1",
}
CSV_FIELDS = [
    "kind", "rep", "workload", "case", "tool", "family", "label", "jobs", "wall", "user", "sys",
    "time_e", "time_user", "time_sys", "rss_kib", "rps", "rc", "status", "note",
    # Many-hosts runs only: connections nginx accepted during the run, those that carried a
    # request, their full and resumed TLS handshakes, requests (all, 200, over HTTP/2), hosts
    # seen in the access log, the TLS versions negotiated, and the projected wall at 50 ms RTT
    # (on paper, see PROJECTION).
    "connections", "logged_connections", "tls_full", "tls_resumed", "requests", "requests_ok",
    "requests_h2", "hosts_seen", "tls_versions", "projected_wall",
]
COUNT_FIELDS = ("connections", "logged_connections", "tls_full", "tls_resumed", "requests_h2", "requests", "projected_wall")


def median(values):
    values = [v for v in values if v is not None and v != ""]
    return statistics.median(values) if values else None


def fmt_s(v, digits=3):
    return "—" if v is None else f"{v:.{digits}f}"


def fmt_count(v):
    if v is None:
        return "—"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def fmt_ratio(v):
    return "—" if v is None else f"{v:.2f}×"


def md_escape(text):
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def rss_mb(kib):
    return None if kib is None else kib * 1024 / MB


class Summary:
    """Medians per (workload, case, tool) and the limit per (workload, case)."""

    def __init__(self, rows, plan_counts):
        self.m_groups = {}
        self.m_limit = {}
        self.m_limit_how = {}
        self.failed = []
        runs = [r for r in rows if r["kind"] == "run"]
        for r in runs:
            key = (r["workload"], r["case"], r["label"])
            g = self.m_groups.setdefault(key, {"family": r["family"], "tool": r["tool"], "ok": [], "all": 0, "label": r["label"]})
            g["all"] += 1
            if r["status"] == "ok":
                g["ok"].append(r)
            else:
                self.failed.append(r)
        for key, g in self.m_groups.items():
            ok = g["ok"]
            g["wall"] = median([r["wall"] for r in ok])
            g["cpu"] = median([r["user"] + r["sys"] for r in ok])
            g["rss_kib"] = median([r["rss_kib"] for r in ok])
            for field in COUNT_FIELDS:
                g[field] = median([r.get(field) for r in ok])
        limits = [r for r in rows if r["kind"] == "limit"]
        for w in WORKLOAD_ORDER:
            n = plan_counts.get(w, 0)
            mine = [r for r in limits if r["workload"] == w and r["status"] == "ok"]
            if w == "small":
                for case in ("-j 8", "-j 32", "sequential"):
                    rs = [r for r in mine if r["case"] == case]
                    if rs:
                        rps = max(r["rps"] for r in rs)
                        self.m_limit[(w, case)] = n / rps
                        self.m_limit_how[(w, case)] = f"measured: `{rs[0]['note']}` with a Lua script cycling through the {n} paths; best of {len(rs)}: {rps:,.0f} req/s → {n} requests in {n / rps:.3f} s; no files written"
            elif w in PER_FILE_S:
                per_file = median([r["wall"] for r in mine if r["case"] == "per file"])
                for case, jobs in CASE_JOBS.items():
                    rounds = math.ceil(n / jobs)
                    self.m_limit[(w, case)] = rounds * PER_FILE_S[w]
                    how = f"computed: ceil({n}/{jobs}) × {PER_FILE_S[w]} s = {rounds * PER_FILE_S[w]:.1f} s"
                    if per_file:
                        how += f"; one file measured with curl takes {per_file:.3f} s, so whole-file rounds on this server take ≈{rounds * per_file:.2f} s"
                    self.m_limit_how[(w, case)] = how
            elif w == "large":
                for case in ("parallel", "sequential"):
                    rs = [r for r in mine if r["case"] == case]
                    if rs:
                        self.m_limit[(w, case)] = min(r["wall"] for r in rs)
                        self.m_limit_how[(w, case)] = f"measured: {rs[0]['label']}, best of {len(rs)}"

    def cases(self, workload):
        present = {c for (w, c, _l) in self.m_groups if w == workload}
        return [c for c in CASE_ORDER if c in present]

    def groups(self, workload, case):
        gs = [g for (w, c, _l), g in self.m_groups.items() if w == workload and c == case]
        return sorted(gs, key=lambda g: (g["wall"] is None, g["wall"] or 0))

    def group(self, workload, case, tool):
        for g in self.groups(workload, case):
            if g["tool"] == tool:
                return g
        return None

    def limit(self, workload, case):
        return self.m_limit.get((workload, case))

    def limit_how(self, workload, case):
        return self.m_limit_how.get((workload, case), "not measured")

    def best_other(self, workload, case, family, what="wall"):
        others = [g for g in self.groups(workload, case) if g["family"] != family and g[what] is not None]
        return min(others, key=lambda g: g[what]) if others else None


# ---------------------------------------------------------------------------------------------


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            out = dict(r)
            for k in ("wall", "user", "sys", "projected_wall"):
                if isinstance(out.get(k), float):
                    out[k] = f"{out[k]:.6f}"
            if isinstance(out.get("rps"), float):
                out["rps"] = f"{out['rps']:.1f}"
            w.writerow(out)


def target_rows(s, rss_rows):
    """Issue 5's part 2 targets: (target, imgfetch, reference, ratio, goal, met)."""
    out = []

    def add(name, mine, ref_text, ratio, goal):
        if ratio is None:
            out.append((name, mine, ref_text, "—", f"≤ {goal:.2f}×", "not measured"))
        else:
            out.append((name, mine, ref_text, f"{ratio:.2f}×", f"≤ {goal:.2f}×", "**met**" if ratio <= goal else "not met"))

    for case in ("-j 8", "-j 32"):
        g = s.group("small", case, "imgfetch")
        best = s.best_other("small", case, "imgfetch", "wall")
        low = s.best_other("small", case, "imgfetch", "cpu")
        if g:
            add(f"small {case}: wall", fmt_s(g["wall"]) + " s", f"{best['label']} {fmt_s(best['wall'])} s" if best else "—", g["wall"] / best["wall"] if best and g["wall"] else None, 0.8)
            add(f"small {case}: CPU", fmt_s(g["cpu"]) + " s", f"{low['label']} {fmt_s(low['cpu'])} s" if low else "—", g["cpu"] / low["cpu"] if low and g["cpu"] else None, 0.8)
    for w in ("delay", "slow"):
        for case in ("-j 8", "-j 32"):
            g = s.group(w, case, "imgfetch")
            lim = s.limit(w, case)
            if g:
                add(f"{w} {case}: wall vs limit", fmt_s(g["wall"]) + " s", f"limit {fmt_s(lim, 2)} s", g["wall"] / lim if g["wall"] and lim else None, 1.02)
    g = s.group("large", "parallel", "imgfetch")
    best = s.best_other("large", "parallel", "imgfetch")
    if g:
        add("large: wall", fmt_s(g["wall"]) + " s", f"{best['label']} {fmt_s(best['wall'])} s" if best else "—", g["wall"] / best["wall"] if best and g["wall"] else None, 1.0)
    # Issue 14: the CPU the image structure check (--verify structure, the default) costs.
    for w, case in (("small", "-j 8"), ("large", "parallel")):
        g = s.group(w, case, "imgfetch")
        ref = s.group(w, case, "imgfetch-noverify")
        if g and ref:
            add(f"{w} {case}: CPU with --verify structure vs none", fmt_s(g["cpu"]) + " s", f"--verify none {fmt_s(ref['cpu'])} s", g["cpu"] / ref["cpu"] if ref["cpu"] and g["cpu"] else None, 1.05)
    g = s.group("small", "sequential", "imgfetch-seq")
    ref = s.group("small", "sequential", "curl-seq")
    if g:
        add("small --sequential vs curl's one connection", fmt_s(g["wall"]) + " s", f"{ref['label']} {fmt_s(ref['wall'])} s" if ref else "—", g["wall"] / ref["wall"] if ref and ref["wall"] and g["wall"] else None, 1.0)
    # Peak RSS at -j 8: the largest median over issue 5's workloads (not the many-hosts ones).
    peaks = []
    for w in ("small", "delay", "slow", "large"):
        for case in ("-j 8", "parallel"):
            g = s.group(w, case, "imgfetch")
            if g and g["rss_kib"]:
                peaks.append((rss_mb(g["rss_kib"]), f"{w} {case}"))
    if peaks:
        mb, where = max(peaks)
        out.append(("peak RSS at -j 8 (largest median over workloads)", f"{mb:.1f} MB ({where})", "12 MB", f"{mb / 12:.2f}×", "≤ 1.00×", "**met**" if mb <= 12 else "not met"))
    ok = [r for r in rss_rows if r["status"] == "ok"]
    if ok:
        by_n = {}
        for r in ok:
            by_n.setdefault(int(r["case"].split()[0]), []).append(r["rss_kib"])
        ns = sorted(by_n)
        low, high = rss_mb(median(by_n[ns[0]])), rss_mb(median(by_n[ns[-1]]))
        out.append((f"RSS flat in list length ({ns[0]:,} → {ns[-1]:,} URLs): within 1 MB", f"{high:.1f} MB at {ns[-1]:,}", f"{low:.1f} MB at {ns[0]:,}", f"+{high - low:.1f} MB", "≤ +1.0 MB", "**met**" if high - low <= 1.0 else "not met"))
    return out


def hosts_target_rows(s):
    """Issue 12's many-hosts targets at -j 8: (target, imgfetch, reference, ratio, goal, met)."""
    out = []
    for w in HOSTS_WORKLOADS:
        g = s.group(w, "-j 8", "imgfetch")
        if not g:
            continue
        conns = g["connections"]
        out.append((f"{w} -j 8: connections", fmt_count(conns), "2 × 32 hosts", "—" if conns is None else f"{conns / 64:.2f}×", "≤ 1.00× (≤ 64)", "not measured" if conns is None else ("**met**" if conns <= 64 else "not met")))
        for what, name in (("wall", "wall"), ("cpu", "CPU")):
            best = s.best_other(w, "-j 8", "imgfetch", what)
            if g[what] is None or not best:
                out.append((f"{w} -j 8: {name}", fmt_s(g[what]), "—", "—", "≤ 0.80×", "not measured"))
                continue
            ratio = g[what] / best[what]
            out.append((f"{w} -j 8: {name}", fmt_s(g[what]) + " s", f"{best['label']} {fmt_s(best[what])} s", f"{ratio:.2f}×", "≤ 0.80×", "**met**" if ratio <= 0.8 else "not met"))
    return out


def write_hosts_table(a, s, w, case):
    https = w == "hosts-https"
    caption = f"**{w}, {case}** — no practical limit measured (wrk speaks to one host); the last column is a projection on paper: {PROJECTION}, J = the tool's concurrency (1 for the sequential tools)"
    if https:
        versions = sorted({v for g in s.groups(w, case) for r in g["ok"] for v in str(r.get("tls_versions") or "").split()})
        caption += f"; TLS versions in the access log: {', '.join(versions) or '—'}"
    a(caption)
    a("")
    tls = " TLS handshakes full / resumed |" if https else ""
    a(f"| tool | wall s | CPU s | peak RSS MB | × best other tool | connections |{tls} requests over HTTP/2 | projected wall at 50 ms RTT s (projection on paper) | verified |")
    a("|---|--:|--:|--:|--:|--:|" + ("--:|" if https else "") + "--:|--:|--:|")
    for g in s.groups(w, case):
        best = s.best_other(w, case, g["family"])
        vs_best = g["wall"] / best["wall"] if best and g["wall"] else None
        name = f"**{g['label']}**" if g["family"] == "imgfetch" else g["label"]
        mb = rss_mb(g["rss_kib"])
        cells = [name, fmt_s(g["wall"]), fmt_s(g["cpu"]), "—" if mb is None else f"{mb:.1f}", fmt_ratio(vs_best), fmt_count(g["connections"])]
        if https:
            cells.append(f"{fmt_count(g['tls_full'])} / {fmt_count(g['tls_resumed'])}")
        cells += [f"{fmt_count(g['requests_h2'])} / {fmt_count(g['requests'])}", fmt_s(g["projected_wall"], 2), f"{len(g['ok'])}/{g['all']}"]
        a("| " + " | ".join(cells) + " |")
    a("")


def write_md(path, s, rows, info, probes, plan_counts, command, reps, quick, wanted):
    L = []
    a = L.append
    a("# imgfetch benchmark results")
    a("")
    a("Generated by `bench/run.sh` (see [README.md](README.md) for what it measures and how). Every number below")
    a("comes from this one run; medians are over the repetitions whose files all verified.")
    a("")
    a(f"- **Date:** {info['date']}; total run time {info['elapsed_s'] / 60:.1f} min")
    a(f"- **Command:** `{command}` ({reps} repetition{'s' if reps != 1 else ''}{', quick' if quick else ''}; workloads: {', '.join(wanted)})")
    a(f"- **Machine:** {info['nproc']} CPUs, {info['cpu']}, {info['memory']} RAM, {info['os']}, kernel {info['kernel']}")
    a(f"- **Load average** (1/5/15 min) at start {info['load_start']}, at end {info['load_end']}: other processes on the machine share the CPUs, and small-workload numbers move with them")
    a("- **Versions:** " + "; ".join(f"{k}: `{v}`" for k, v in info["versions"].items()))
    a("- **Server:** nginx on 127.0.0.1, `access_log off`, `sendfile on`, `keepalive_requests 100000`, corpus on /dev/shm; each run writes into a fresh empty directory on /dev/shm")
    if any(w in HOSTS_WORKLOADS for w in wanted):
        a("- **Many-hosts servers:** the same nginx also listens on 127.0.0.1 .. 127.0.0.32, one port with TLS (1.3 negotiated, 1.2 allowed; a P-256 certificate for the 32 IP addresses from a CA made for this run and handed to every tool; session cache and tickets on) and HTTP/2, another with plain HTTP/1.1; these two servers log every request (worker pid, `$connection`, `$server_addr`, protocol, status, and on https `$ssl_session_reused`), from which each run's counts come; connections = nginx's accepted-connection counter (stub_status) before and after the run")
    if probes:
        parts = []
        for w, (ttfb, total) in probes.items():
            parts.append(f"/{w}/ first byte {ttfb * 1000:.0f} ms, whole file {total * 1000:.0f} ms")
        a("- **Server check** (curl, one file, median of 3 for delay and slow): " + "; ".join(parts))
    a("- **Columns:** wall = elapsed seconds; CPU = user + system seconds of the tool and its children; peak RSS = `/usr/bin/time` `%M` (largest single process), MB = 10⁶ bytes; × best other tool = this wall ÷ the fastest *other program's* wall in the same group; × limit = this wall ÷ the practical limit; verified = runs whose files all matched the manifest / runs")
    a("")
    a("![median wall time per tool, as a multiple of the practical limit](results.svg)")
    a("")

    rss_rows = [r for r in rows if r["kind"] == "rss"]
    issue5_targets = target_rows(s, rss_rows)
    if issue5_targets:
        a("## Targets (issue 5, part 2)")
        a("")
        a("| target | imgfetch | reference | ratio | goal | |")
        a("|---|---|---|---|---|---|")
        for t in issue5_targets:
            a("| " + " | ".join(t) + " |")
        a("")
    hosts_targets = hosts_target_rows(s)
    if hosts_targets:
        a("## Targets (issue 12, many hosts)")
        a("")
        a("| target | imgfetch | reference | ratio | goal | |")
        a("|---|---|---|---|---|---|")
        for t in hosts_targets:
            a("| " + " | ".join(t) + " |")
        a("")

    for w in WORKLOAD_ORDER:
        cases = s.cases(w)
        if not cases:
            continue
        a(f"## {w}: {DESCRIPTION[w]}")
        a("")
        for case in cases:
            if w in HOSTS_WORKLOADS:
                write_hosts_table(a, s, w, case)
                continue
            lim = s.limit(w, case)
            a(f"**{w}, {case}** — practical limit {fmt_s(lim)} s ({s.limit_how(w, case)})")
            a("")
            a("| tool | wall s | CPU s | peak RSS MB | × best other tool | × limit | verified |")
            a("|---|--:|--:|--:|--:|--:|--:|")
            for g in s.groups(w, case):
                best = s.best_other(w, case, g["family"])
                vs_best = g["wall"] / best["wall"] if best and g["wall"] else None
                vs_lim = g["wall"] / lim if lim and g["wall"] else None
                name = f"**{g['label']}**" if g["family"] == "imgfetch" else g["label"]
                mb = rss_mb(g["rss_kib"])
                a(f"| {name} | {fmt_s(g['wall'])} | {fmt_s(g['cpu'])} | {'—' if mb is None else f'{mb:.1f}'} | {fmt_ratio(vs_best)} | {fmt_ratio(vs_lim)} | {len(g['ok'])}/{g['all']} |")
            a("")

    rss_rows = [r for r in rows if r["kind"] == "rss"]
    if rss_rows:
        a("## imgfetch peak RSS against list length (-j 8)")
        a("")
        a("Every URL points at `/missing/…`, which nginx answers with a 404 and no file behind it, so the run")
        a("measures the list, the queue and the bookkeeping rather than file writes; exit code 1 and `0 ok, N failed`")
        a("are what a correct run reports.")
        a("")
        a("| URLs | peak RSS MB | wall s | runs ok |")
        a("|--:|--:|--:|--:|")
        by_n = {}
        for r in rss_rows:
            by_n.setdefault(int(r["case"].split()[0]), []).append(r)
        for n in sorted(by_n):
            ok = [r for r in by_n[n] if r["status"] == "ok"]
            mb = rss_mb(median([r["rss_kib"] for r in ok]))
            a(f"| {n:,} | {'—' if mb is None else f'{mb:.1f}'} | {fmt_s(median([r['wall'] for r in ok]), 2)} | {len(ok)}/{len(by_n[n])} |")
        a("")

    a("## Notes")
    a("")
    a("- Runs are interleaved: within each repetition and workload the tools run in a seeded shuffled order, and the practical limits are measured in the same repetition, just before.")
    if not quick:
        a("- On delay and slow the sequential tools (imgfetch --sequential, curl with one connection) run in the first repetition only (40 s and 30 s per run), and wget not at all (it is curl's sequential twin there). `xargs -P 8 curl` runs once, on small (and once on each many-hosts workload).")
        if any(w in HOSTS_WORKLOADS for w in wanted):
            a("- On hosts-https and hosts-http the sequential tools (imgfetch --sequential, curl without -Z, wget) run in the first repetition only: each pays a new connection, on https a TLS handshake, at nearly every host change.")
    else:
        a("- Quick run: one repetition, no sequential tools on delay, slow, hosts-https and hosts-http, no `xargs -P 8 curl`, wrk for 1 s, RSS up to 100,000 URLs.")
    a("- Tools run with: imgfetch `-q -o DIR`; aria2c `--no-conf --file-allocation=none --split=1 --max-connection-per-server=1 --allow-overwrite=false --auto-file-renaming=false --console-log-level=warn --summary-interval=0`; wget2 `--no-config -nv --robots=off --no-netrc --no-hsts --no-hpkp`; curl `-q -s -S --fail --remote-name-all --output-dir DIR -K urls.curl` (with `--parallel --parallel-immediate --parallel-max N` for -Z); wget `--no-config -nv --no-hsts`. Exact argv of every run: bench/bench.py, `make_tools`.")
    a("- imgfetch leaves its documented lock file `DIR/.imgfetch.lock` (empty) in the output directory; verification ignores that one name and nothing else.")
    a("- Delay and slow limits are computed from the server's nominal pacing; the measured per-file time shows how much the server itself adds on this machine.")
    if any(w in HOSTS_WORKLOADS for w in wanted):
        a(f"- Many hosts: connections are what nginx accepted during the run (stub_status, the probes' own excluded); TLS handshakes full / resumed are counted once per connection that carried a request (`$ssl_session_reused` in the access log: `.` full, `r` resumed); every count is a median over the verified runs, column by column, so full + resumed need not add up to the median connections; requests over HTTP/2 / all requests are the run's access-log lines. **Projected wall at 50 ms RTT is a projection on paper, not a measurement**: {PROJECTION}; it ignores every other effect of latency (request round trips, congestion windows).")
    failed_rss = [r for r in rss_rows if r["status"] != "ok"]
    if s.failed or failed_rss:
        a("")
        a("### Runs that failed (left out of the medians)")
        a("")
        a("The end of each one's log is kept in `build/bench-logs/` after the run.")
        a("")
        for r in s.failed:
            a(f"- {r['workload']} {r['case']} {r['label']}, repetition {r['rep']}: {md_escape(r['note'])}")
        for r in failed_rss:
            a(f"- RSS {r['case']}, repetition {r['rep']}: {md_escape(r['note'])}")
    a("")
    a("Raw measurements of every run: [results.csv](results.csv).")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


# ---------------------------------------------------------------------------------------------
# The chart: grouped horizontal bars, one group per workload and case, bar length = median wall
# ÷ practical limit on a log scale, so every group shares one axis.

SVG_CAP = 16.0
COLORS = {
    "imgfetch": "#1f5fbf",
    "aria2c": "#d9822b",
    "wget2": "#2f9e44",
    "curl -Z": "#8e44ad",
    "curl": "#b56576",
    "wget": "#6c757d",
    "curl processes": "#c0392b",
    "xargs curl": "#a0a0a0",
}


def write_svg(path, s):
    groups = []
    for w in WORKLOAD_ORDER:
        for case in s.cases(w):
            lim = s.limit(w, case)
            bars = [(g["label"], g["family"], g["wall"], g["wall"] / lim) for g in s.groups(w, case) if g["wall"] and lim]
            if bars:
                groups.append((f"{w}, {case}", lim, bars))
    if not groups:
        return
    ratios = [b[3] for _, _, bars in groups for b in bars]
    lo = 2 ** math.floor(math.log2(min(min(ratios), 1.0)))
    # Capped at 16×, so one very slow tool does not squash every other bar; longer bars end in an
    # arrow and keep their number.
    hi = min(SVG_CAP, 2 ** math.ceil(math.log2(max(max(ratios), 2.0))))
    left, width, label_w = 200, 470, 170
    bar_h, gap, head = 14, 4, 20
    total_h = 70 + sum(head + len(b) * (bar_h + gap) + 8 for _, _, b in groups) + 30
    W = left + width + label_w

    def x(r):
        return left + width * (math.log2(r) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{total_h}" viewBox="0 0 {W} {total_h}" font-family="Helvetica, Arial, sans-serif" font-size="11">']
    out.append(f'<rect width="{W}" height="{total_h}" fill="#ffffff"/>')
    out.append(f'<text x="10" y="20" font-size="14" font-weight="bold">Median wall time ÷ practical limit (log scale, shorter is better)</text>')
    out.append('<text x="10" y="37" fill="#555">imgfetch against aria2c, wget2, curl and wget on loopback nginx; label: median wall seconds and the multiple of the limit</text>')
    top = 55
    # Grid lines at powers of two.
    r = lo
    grid_bottom = total_h - 30
    while r <= hi * 1.0001:
        gx = x(r)
        out.append(f'<line x1="{gx:.1f}" y1="{top}" x2="{gx:.1f}" y2="{grid_bottom}" stroke="{"#333" if r == 1 else "#ddd"}" stroke-width="1"/>')
        out.append(f'<text x="{gx:.1f}" y="{grid_bottom + 14}" text-anchor="middle" fill="#555">{r:g}×</text>')
        r *= 2
    y = top + 5
    for title, lim, bars in groups:
        out.append(f'<text x="10" y="{y + 13}"><tspan font-weight="bold">{html.escape(title)}</tspan><tspan dx="10" fill="#555">limit {lim:.3f} s</tspan></text>')
        y += head
        for label, family, wall, ratio in bars:
            color = COLORS.get(family, "#888")
            clipped = ratio > hi
            x0, x1 = x(lo), x(min(ratio, hi))
            weight = ' font-weight="bold"' if family == "imgfetch" else ""
            out.append(f'<text x="{left - 8}" y="{y + bar_h - 3}" text-anchor="end"{weight}>{html.escape(label)}</text>')
            out.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(1.0, x1 - x0):.1f}" height="{bar_h}" fill="{color}"/>')
            if clipped:
                out.append(f'<path d="M{x1:.1f},{y - 2} l8,{bar_h / 2 + 2} l-8,{bar_h / 2 + 2} z" fill="{color}"/>')
                x1 += 8
            out.append(f'<text x="{x1 + 4:.1f}" y="{y + bar_h - 3}" fill="#222">{wall:.3f} s · {ratio:.2f}×</text>')
            y += bar_h + gap
        y += 8
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def save_raw(path, rows, info, probes, plan_counts, command, reps, quick, wanted):
    """Everything write_all needs, so the report can be redrawn without running again."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(dict(rows=rows, info=info, probes=probes, plan_counts=plan_counts, command=command, reps=reps, quick=quick, wanted=wanted), f)


def write_all(out_dir, rows, info, probes, plan_counts, command, reps, quick, wanted):
    s = Summary(rows, plan_counts)
    os.makedirs(out_dir, exist_ok=True)
    write_csv(os.path.join(out_dir, "results.csv"), rows)
    write_md(os.path.join(out_dir, "RESULTS.md"), s, rows, info, probes, plan_counts, command, reps, quick, wanted)
    write_svg(os.path.join(out_dir, "results.svg"), s)


if __name__ == "__main__":
    # Redraw: report.py build/bench-logs/raw.json OUT_DIR
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RAW.json OUT_DIR")
    with open(sys.argv[1]) as f:
        raw = json.load(f)
    raw["probes"] = {k: tuple(v) for k, v in raw["probes"].items()}
    write_all(sys.argv[2], raw["rows"], raw["info"], raw["probes"], raw["plan_counts"], raw["command"], raw["reps"], raw["quick"], raw["wanted"])
