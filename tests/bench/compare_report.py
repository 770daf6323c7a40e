#!/usr/bin/env python3
"""compare_report.py - the report of tests/bench/compare-nss and tests/bench/compare-nginx: reads
the raw runs (one line each: section key suite client metric server run value), takes the median of
the runs of each cell and writes PREFIX.txt (the table that is also printed), PREFIX.csv, PREFIX.md
(for docs/performance.md) and PREFIX.svg (a bar chart of the sslref/peer factors). Handshake rows
show the share of resumed handshakes of each server's worst run (nres_/nfull_ lines) and are
INVALID when a resumed run did not resume as asked (badres_ lines).
The peers are the servers sslref is compared with: NSS for compare-nss; nginx (the one the targets
are judged against) and NSS when the raw runs hold an nginx server (compare-nginx). There a row
whose sslref value is "na" is printed as not implemented in sslref yet, and the "conc" section
(threads x processes) becomes a table of its own and PREFIX-concurrency.svg.
Standard library only.
Usage: compare_report.py RAW META PREFIX
       compare_report.py --update-doc PREFIX DOC.md   (the block between the compare-nss (or
       compare-nginx) markers of DOC.md becomes PREFIX.md; PREFIX.svg is copied beside DOC.md as
       performance.svg (performance-nginx.svg, and performance-nginx-concurrency.svg))"""
import os
import shutil
import math
import statistics
import sys
from collections import OrderedDict

# metric: (what, unit, higher is better)
METRICS = {
    "hs_full": ("full handshakes/s", "hs/s", True),
    "cpu_full": ("server CPU per full handshake", "us", False),
    "hs_res": ("resumed handshakes/s", "hs/s", True),
    "cpu_res": ("server CPU per resumed handshake", "us", False),
    "bulk_mbs": ("bulk MB/s, 1 connection (wall clock)", "MB/s", True),
    "bulk_srv": ("bulk MB sent per server CPU second", "MB/s", True),
    "mem_kib": ("memory per idle connection", "KiB", False),
    "lat_hs": ("full handshakes/s", "hs/s", True),
    "lat_p50": ("handshake latency p50", "ms", False),
    "lat_p99": ("handshake latency p99", "ms", False),
}
SECTIONS = {"1proc": "1 process", "2proc": "2 processes", "bulk": "1 process",
            "memory": "1 process"}
PEER_NAMES = {"nss": "NSS", "nginx": "nginx"}
NA_TEXT = "n/a (not implemented in sslref yet)"


def procs_of(sec):
    """'1 process' / '2 processes' for the sections of both scripts (compare-nginx's end in the
    process count: full1, res2, tkt1; bulk, memory and latNNN run one)."""
    if sec in SECTIONS:
        return SECTIONS[sec]
    if sec[-1:].isdigit() and sec[:-1] in ("full", "res", "tkt"):
        n = int(sec[-1])
        return f"{n} process" + ("es" if n > 1 else "")
    return "1 process"


def what_of(sec, metric):
    what = METRICS[metric][0]
    if sec.startswith("res"):
        what += " (session ID)"
    elif sec.startswith("tkt"):
        what += " (ticket)"
    elif sec.startswith("lat"):
        what += f", {sec[3:]} concurrent clients"
    return what


def key_text(key):
    return "rsa" + key if key.isdigit() else key


def target(metric, suite, ratio, sslref):
    """(target text, met) for a row of compare-nss (against NSS, issue 7); ('', None) when the
    issue sets no target."""
    if metric == "hs_full" or metric == "hs_res":
        return ">= 1.00", ratio >= 1.0
    if metric == "cpu_full":
        return "<= 1.00", ratio <= 1.0
    if metric == "cpu_res":
        return "<= 0.67", ratio <= 1 / 1.5
    if metric == "bulk_srv" and suite in ("000a", "0005"):
        return ">= 1.00", ratio >= 1.0
    if metric == "mem_kib":
        return "<= 8 KiB", sslref <= 8.0
    return "", None


CBC_SUITES = ("c013", "c014", "c009", "c00a", "002f", "0035")


def target_nginx(metric, suite, ratio, sslref):
    """(target text, met) for a row of compare-nginx (against nginx + OpenSSL 3, issue 18 point
    4); met is None when sslref's value is missing (a row not implemented in sslref yet)."""
    if metric in ("hs_full", "hs_res", "lat_hs"):
        t, ok = ">= 1.00", lambda: ratio >= 1.0
    elif metric == "cpu_full" or metric == "lat_p99":
        t, ok = "<= 1.00", lambda: ratio <= 1.0
    elif metric == "cpu_res":
        t, ok = "<= 0.67", lambda: ratio <= 0.67
    elif metric == "bulk_srv":
        goal = 1.0 if suite in CBC_SUITES else 0.9
        t, ok = f">= {goal:.2f}", lambda: ratio >= goal
    elif metric == "mem_kib":
        t, ok = "<= 8 KiB", lambda: sslref <= 8.0
    else:
        return "", None
    if sslref is None or ratio is None or math.isnan(ratio):
        return t, None
    return t, ok()


def load(path):
    """cells[(sec, key, suite, client, metric)][server] = [value of each run]; errors and badres
    count the failed runs and the runs that did not resume as asked, keyed by
    (sec, key, suite, client, server) and (sec, key, suite, client, kind, server); na holds the
    (cell, server) pairs recorded as "na" (not implemented)."""
    cells = OrderedDict()
    errors, badres, na = {}, {}, set()
    for line in open(path):
        f = line.split()
        if len(f) != 8:
            continue
        sec, key, suite, client, metric, server, _run, value = f
        k = (sec, key, suite, client, metric)
        if metric == "errors":
            errors[(sec, key, suite, client, server)] = errors.get((sec, key, suite, client, server), 0) + 1
            continue
        if metric.startswith("badres_"):
            b = (sec, key, suite, client, metric[len("badres_"):], server)
            badres[b] = badres.get(b, 0) + 1
            continue
        if value == "na":
            cells.setdefault(k, {})
            na.add((k, server))
            continue
        cells.setdefault(k, {}).setdefault(server, []).append(float(value))
    return cells, errors, badres, na


def peers_of(cells):
    """The peers: nginx and NSS when any run was against nginx, else NSS."""
    servers = {s for by in cells.values() for s in by}
    return ["nginx", "nss"] if "nginx" in servers else ["nss"]


def resumed_pct(cells, sec, key, suite, client, kind, server):
    """The lowest share (%) of resumed handshakes among SERVER's runs of this kind, or None."""
    res = cells.get((sec, key, suite, client, "nres_" + kind), {}).get(server, [])
    full = cells.get((sec, key, suite, client, "nfull_" + kind), {}).get(server, [])
    shares = [100.0 * r / (r + f) for r, f in zip(res, full) if r + f > 0]
    return min(shares) if shares else None


def rows_of(cells, errors, badres, na=(), peers=("nss",)):
    rows = []
    tgt_fn = target_nginx if peers[0] == "nginx" else target
    for (sec, key, suite, client, metric), by in cells.items():
        if metric not in METRICS:
            continue
        _what, unit, _hi = METRICS[metric]
        what = what_of(sec, metric)
        peer = {p: statistics.median(by[p]) if by.get(p) else None for p in peers}
        for srv in ("sslref", "sslref_ltm"):
            is_na = ((sec, key, suite, client, metric), srv) in na
            if not by.get(srv) and not is_na:
                continue
            ref = statistics.median(by[srv]) if by.get(srv) else None
            ratios = {p: (ref / v if v and ref is not None else float("nan"))
                      for p, v in peer.items()}
            ratio = ratios[peers[0]]
            tgt, met = tgt_fn(metric, suite, ratio, ref)
            if srv == "sslref_ltm":
                tgt, met = "(libtommath)", None
            errs = sum(n for (s, k, su, c, sv), n in errors.items()
                       if (s, k, su, c) == (sec, key, suite, client) and sv in (*peers, srv))
            kind = metric.split("_", 1)[1] if metric[:3] in ("hs_", "cpu") else None
            bad = sum(n for (s, k, su, c, kd, sv), n in badres.items()
                      if (s, k, su, c, kd) == (sec, key, suite, client, kind)
                      and sv in (*peers, srv))
            res = [resumed_pct(cells, sec, key, suite, client, kind, sv) if kind else None
                   for sv in (*peers, srv)]
            rows.append(dict(section=sec, procs=procs_of(sec), key=key_text(key),
                             suite=suite, client=client, metric=metric,
                             what=what + (" (libtommath)" if srv == "sslref_ltm" else ""),
                             unit=unit, nss=peer.get("nss"), peer=peer, sslref=ref, ratio=ratio,
                             ratios=ratios, target=tgt, met=met,
                             runs=len(by.get(srv, [])), errors=errs, invalid=bad, res=res,
                             res_nss=res[0], res_ref=res[-1], na=is_na))
    return rows


def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def res_text(r):
    """'NSS/sslref' (or 'nginx/NSS/sslref') lowest resumed share (%) of a handshake row, '' for
    other rows."""
    if all(v is None for v in r["res"]):
        return ""
    pct = lambda v: "-" if v is None else f"{v:.0f}" if v in (0.0, 100.0) else f"{v:.1f}"
    return "/".join(pct(v) for v in r["res"])


def met_text(r):
    bad = []
    if r["errors"]:
        bad.append(f"ERRORS({r['errors']})")
    if r["invalid"]:
        bad.append(f"INVALID(not resumed: {r['invalid']} run{'s' if r['invalid'] > 1 else ''})")
    if bad:
        return " ".join(bad)
    if r["na"]:
        return "n/a"
    return "" if r["met"] is None else ("met" if r["met"] else "NOT MET")


def ref_text(r):
    return "n/a" if r["na"] else fmt(r["sslref"])


def targets(rows):
    """The issue-7 targets, each with the ratios it was judged on: [(target, measured, status)]."""
    def pick(pred):
        return [r for r in rows if pred(r) and r["met"] is not None]

    def status(sel):
        bad = [r for r in sel if not r["met"] or r["errors"] or r["invalid"]]
        return "met" if not bad else f"NOT MET ({len(bad)} of {len(sel)})"

    def each(sel, show):
        return ", ".join(show(r) for r in sel)

    def span(sel):
        return f'{min(r["ratio"] for r in sel):.2f}-{max(r["ratio"] for r in sel):.2f} ({len(sel)} rows)'

    def short(r):
        client = r["client"] if r["client"] in ("strsclnt", "s_time") else "bench"
        return f'{r["suite"]} {client} {r["ratio"]:.2f}'

    groups = [
        ("server CPU per resumed handshake <= 1/1.5 of NSS's, 1 process",
         lambda r: r["metric"] == "cpu_res" and r["procs"] == "1 process", short),
        ("server CPU per resumed handshake <= 1/1.5 of NSS's, 2 processes",
         lambda r: r["metric"] == "cpu_res" and r["procs"] == "2 processes", short),
        ("server CPU per full handshake <= NSS's (RSA 2048 and 1024, 1 and 2 processes)",
         lambda r: r["metric"] == "cpu_full", None),
        ("handshakes/s never below NSS's (full and resumed, every suite, key and client)",
         lambda r: r["metric"] in ("hs_full", "hs_res"), None),
        ("memory per idle connection <= 8 KiB", lambda r: r["metric"] == "mem_kib",
         lambda r: f'{r["sslref"]:.1f} KiB (NSS {r["nss"]:.1f} KiB)'),
        ("bulk >= 1.0x NSS for RC4 and 3DES (MB per server CPU second)",
         lambda r: r["metric"] == "bulk_srv", lambda r: f'{r["suite"]} {r["ratio"]:.2f}'),
    ]
    out = []
    for name, pred, show in groups:
        sel = pick(pred)
        if sel:
            out.append((name, each(sel, show) if show else span(sel), status(sel)))
    return out


def targets_nginx(rows):
    """The targets of issue 18 point 4, judged against nginx: [(target, measured, status)]. Rows
    not implemented in sslref yet count as n/a: a target with only such rows is 'n/a', one with
    some says how many."""
    def status(sel, na):
        bad = [r for r in sel if not r["met"] or r["errors"] or r["invalid"]]
        s = "met" if not bad else f"NOT MET ({len(bad)} of {len(sel)})"
        if not sel:
            return "n/a" if na else "not measured"
        return s + (f" ({len(na)} n/a)" if na else "")

    def short(r):
        client = r["client"] if r["client"] in ("strsclnt", "s_time") else "bench"
        return f'{r["section"]} {r["key"]} {r["suite"]} {client} {r["ratio"]:.2f}'

    def mem(r):
        return (f'{r["sslref"]:.1f} KiB (nginx {fmt(r["peer"].get("nginx"))}, '
                f'NSS {fmt(r["peer"].get("nss"))} KiB)')

    gcm = lambda r: r["metric"] == "bulk_srv" and r["suite"] not in CBC_SUITES
    cbc = lambda r: r["metric"] == "bulk_srv" and r["suite"] in CBC_SUITES
    groups = [
        ("server CPU per full handshake <= nginx's (every key exchange and certificate)",
         lambda r: r["metric"] == "cpu_full", short),
        ("server CPU per resumed handshake <= 0.67x nginx's, session ID, 1 process",
         lambda r: r["metric"] == "cpu_res" and r["section"] == "res1", short),
        ("server CPU per resumed handshake <= 0.67x nginx's, session ID, 2 processes",
         lambda r: r["metric"] == "cpu_res" and r["section"] == "res2", short),
        ("server CPU per resumed handshake <= 0.67x nginx's, ticket, 1 process",
         lambda r: r["metric"] == "cpu_res" and r["section"] == "tkt1", short),
        ("server CPU per resumed handshake <= 0.67x nginx's, ticket, 2 processes",
         lambda r: r["metric"] == "cpu_res" and r["section"] == "tkt2", short),
        ("handshakes/s never below nginx's in any row",
         lambda r: r["metric"] in ("hs_full", "hs_res", "lat_hs"), short),
        ("bulk MB per server CPU second >= 0.9x nginx's for AES-GCM and ChaCha20", gcm,
         lambda r: f'{r["suite"]} {r["ratio"]:.2f}'),
        ("bulk MB per server CPU second >= 1.0x nginx's for AES-CBC-SHA", cbc,
         lambda r: f'{r["suite"]} {r["ratio"]:.2f}'),
        ("memory per idle connection <= 8 KiB", lambda r: r["metric"] == "mem_kib", mem),
        ("p99 handshake latency with many concurrent clients <= nginx's",
         lambda r: r["metric"] == "lat_p99",
         lambda r: f'{r["section"][3:]} clients {r["ratio"]:.2f}'),
    ]
    out = []
    for name, pred, show in groups:
        sel = [r for r in rows if pred(r) and r["target"] and not r["na"]]
        na = [r for r in rows if pred(r) and r["target"] and r["na"]]
        if sel or na:
            measured = ", ".join(show(r) for r in sel) if sel else NA_TEXT
            out.append((name, measured, status(sel, na)))
    return out


def table_cols(rows, peers):
    """Header and body cells of the main table; right-aligned column numbers."""
    names = [PEER_NAMES[p] for p in peers]
    head = (["procs", "key", "suite", "client", "measure", "unit"] + names + ["sslref"]
            + [f"sslref/{n}" for n in names] + ["resumed %", "target", ""])
    body = [[r["procs"], r["key"], r["suite"], r["client"], r["what"], r["unit"]]
            + [fmt(r["peer"][p]) for p in peers] + [ref_text(r)]
            + [fmt(r["ratios"][p]) for p in peers] + [res_text(r), r["target"], met_text(r)]
            for r in rows]
    right = set(range(6, 6 + 2 * len(peers) + 2))
    return head, body, right


def table(rows, ceiling, peers=("nss",)):
    main = [r for r in rows if r["section"] != "conc"]
    head, body, right = table_cols(main, peers)
    w = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    out = []
    for i, line in enumerate([head] + body):
        out.append("  ".join(c.rjust(w[j]) if j in right else c.ljust(w[j])
                             for j, c in enumerate(line)).rstrip())
        if i == 0:
            out.append("  ".join("-" * x for x in w))
    out.extend(ceiling_lines(rows, ceiling))
    if peers[0] == "nginx":
        if any(r["na"] for r in main):
            out.append("n/a: not implemented in sslref yet; nginx and NSS are measured in those rows "
                       "all the same.")
        out.extend(conc_lines(rows))
    out.append("")
    out.append("targets:" if peers[0] == "nss" else "targets (issue 18 point 4, against nginx):")
    for name, measured, status in (targets(rows) if peers[0] == "nss" else targets_nginx(main)):
        out.append(f"  {status:<18} {name}: {measured}")
    return "\n".join(out) + "\n"


CONC_METRICS = ("hs_full", "cpu_full", "hs_res", "cpu_res")


def conc_grid(rows):
    """{config: {metric: row}} of the concurrency section, configs in run order."""
    grid = OrderedDict()
    for r in rows:
        if r["section"] == "conc" and r["metric"] in CONC_METRICS:
            grid.setdefault(r["key"], {})[r["metric"]] = r
    return grid


def conc_cells(grid):
    head = ["threads x processes (nginx workers)"]
    for m in CONC_METRICS:
        u = "hs/s" if m.startswith("hs") else "us/hs"
        k = "full" if m.endswith("full") else "resumed"
        head += [f"{k} {u} nginx", "sslref", "ratio"]
    body = []
    for cfg, by in grid.items():
        t, p = conc_tp(cfg)
        line = [f"{t} x {p} ({t * p})"]
        for m in CONC_METRICS:
            r = by.get(m)
            line += ([fmt(r["peer"].get("nginx")), fmt(r["sslref"]), fmt(r["ratio"])] if r
                     else ["-", "-", "-"])
        body.append(line)
    return head, body


def conc_tp(cfg):
    """'t2p1' -> (2, 1)"""
    t, p = cfg[1:].split("p")
    return int(t), int(p)


def conc_lines(rows):
    grid = conc_grid(rows)
    if not grid:
        return []
    head, body = conc_cells(grid)
    w = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    out = ["", "concurrency: sslref-server --threads T --processes P against nginx with "
               "worker_processes T x P (c02f, x25519, RSA-2048, sslref-bench):"]
    for i, line in enumerate([head] + body):
        out.append("  ".join(c.rjust(w[j]) if j else c.ljust(w[j])
                             for j, c in enumerate(line)).rstrip())
        if i == 0:
            out.append("  ".join("-" * x for x in w))
    return out


def ceiling_lines(rows, ceiling):
    if not ceiling:
        return []
    cps, cpu = ceiling
    out = [f"ceiling: plain TCP accept-write-close {cps:.0f} connections/s, server CPU "
           f"{cpu:.1f} us per connection (no SSL)"]
    for r in rows:
        if r["section"] == "1proc" and r["metric"] == "hs_res" and r["suite"] == "002f":
            out.append(f"  resumed handshakes/s with {r['client']}, 002f: NSS "
                       f"{100 * (r['nss'] or 0) / cps:.0f}% and sslref "
                       f"{100 * r['sslref'] / cps:.0f}% of the ceiling")
    return out


def markdown(rows, ceiling, meta, peers=("nss",)):
    main = [r for r in rows if r["section"] != "conc"]
    head, body, right = table_cols(main, peers)
    out = ["| " + " | ".join(head) + " |" if peers[0] != "nss" else
           "| procs | key | suite | client | measure | unit | NSS | sslref | sslref/NSS | resumed % "
           "| target | |",
           "|" + "|".join("--:" if j in right else "---" for j in range(len(head))) + "|"]
    for line in body:
        out.append("| " + " | ".join(line) + " |")
    out.append("")
    out.extend(l + "  " for l in ceiling_lines(rows, ceiling))
    if peers[0] == "nss":
        out += ["", "| target | sslref/NSS | status |", "|---|---|---|"]
        for name, measured, status in targets(rows):
            out.append(f"| {name} | {measured} | {status} |")
    else:
        if any(r["na"] for r in main):
            out.append("n/a: not implemented in sslref yet; nginx and NSS are measured in those rows "
                       "all the same.")
        grid = conc_grid(rows)
        if grid:
            ch, cb = conc_cells(grid)
            out += ["", "Concurrency: sslref-server `--threads T --processes P` against nginx "
                        "with `worker_processes` T x P (c02f, x25519, RSA-2048, sslref-bench):", "",
                    "| " + " | ".join(ch) + " |", "|---" + "|--:" * (len(ch) - 1) + "|"]
            out += ["| " + " | ".join(line) + " |" for line in cb]
        out += ["", "| target (issue 18 point 4) | sslref/nginx | status |", "|---|---|---|"]
        for name, measured, status in targets_nginx(main):
            out.append(f"| {name} | {measured} | {status} |")
    return "\n".join(meta + [""] + out) + "\n"


def csv(rows, ceiling, peers=("nss",)):
    if peers[0] == "nss":
        out = ["section,procs,key,suite,client,metric,measure,unit,nss,sslref,ratio,target,met,runs,"
               "errors,nss_resumed_pct,sslref_resumed_pct,invalid"]
    else:
        out = ["section,procs,key,suite,client,metric,measure,unit,"
               + ",".join(peers) + ",sslref,"
               + ",".join(f"ratio_{p}" for p in peers) + ",target,met,runs,errors,"
               + ",".join(f"{p}_resumed_pct" for p in peers) + ",sslref_resumed_pct,invalid"]
    pct = lambda v: "" if v is None else f"{v:.2f}"
    rat = lambda v: "" if v is None or math.isnan(v) else f"{v:.3f}"
    for r in rows:
        if peers[0] == "nss":
            out.append(",".join([r["section"], r["procs"], r["key"], r["suite"], r["client"],
                                 r["metric"], r["what"], r["unit"], fmt(r["nss"]), fmt(r["sslref"]),
                                 f"{r['ratio']:.3f}", r["target"], met_text(r), str(r["runs"]),
                                 str(r["errors"]), pct(r["res_nss"]), pct(r["res_ref"]),
                                 str(r["invalid"])]))
            continue
        out.append(",".join([r["section"], r["procs"], r["key"], r["suite"], r["client"],
                             r["metric"], r["what"].replace(",", ";"), r["unit"]]
                            + [fmt(r["peer"][p]) for p in peers]
                            + ["na" if r["na"] else fmt(r["sslref"])]
                            + [rat(r["ratios"][p]) for p in peers]
                            + [r["target"], met_text(r), str(r["runs"]), str(r["errors"])]
                            + [pct(v) for v in r["res"]] + [str(r["invalid"])]))
    if ceiling:
        out.append(f"ceiling,1 process,-,-,tcp_ceiling,tcp_cps,plain TCP connections/s,conn/s,,"
                   f"{ceiling[0]:.0f},,,,,0,,,0")
        out.append(f"ceiling,1 process,-,-,tcp_ceiling,tcp_cpu,server CPU per TCP connection,us,,"
                   f"{ceiling[1]:.1f},,,,,0,,,0")
    return "\n".join(out) + "\n"


def svg(rows, meta, peers=("nss",)):
    """Horizontal bars on a log2 axis: how many times better sslref is than the first peer (ratio
    for higher-is-better measures, 1/ratio for lower-is-better ones); green >= 1, red < 1. With
    a second peer (NSS beside nginx), a thin grey bar below shows the factor against it."""
    rows = [r for r in rows if r["section"] != "conc" and r["ratio"]
            and not math.isnan(r["ratio"]) and r["ratio"] > 0]
    name = PEER_NAMES[peers[0]]
    bar_h, gap, left, width, top = 16, 4, 470, 420, 70
    label_of = lambda r: (f'{r["procs"].replace(" processes", "p").replace(" process", "p")} '
                          f'{r["key"]} {r["suite"]} {r["client"]}: {r["what"]}')
    longest = max((len(label_of(r)) for r in rows), default=0)
    left = max(left, int(longest * 6.2) + 20)  # the row labels, right-aligned before the bars
    if len(peers) > 1:
        gap = 9
    lo, hi = -3.0, 5.0  # log2 range: 1/8x .. 32x
    height = top + len(rows) * (bar_h + gap) + 60
    x = lambda v: left + (min(max(math.log2(v), lo), hi) - lo) / (hi - lo) * width
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
         f'font-family="sans-serif" font-size="11">',
         f'<rect width="100%" height="100%" fill="white"/>',
         f'<text x="10" y="20" font-size="14" font-weight="bold">sslref vs {name}: times better '
         f'(right of 1x: sslref better)</text>',
         f'<text x="10" y="38" fill="#555">{esc(meta[0] if meta else "")}; '
         f'{esc(meta[2][:90] if len(meta) > 2 else "")}</text>']
    for k in range(int(lo), int(hi) + 1):
        v = 2.0 ** k
        xx = x(v)
        o.append(f'<line x1="{xx:.1f}" y1="{top - 8}" x2="{xx:.1f}" y2="{height - 45}" '
                 f'stroke="{"#000" if k == 0 else "#ddd"}" stroke-width="{1.5 if k == 0 else 1}"/>')
        o.append(f'<text x="{xx:.1f}" y="{height - 30}" text-anchor="middle">'
                 f'{("%gx" % v)}</text>')
    for i, r in enumerate(rows):
        y = top + i * (bar_h + gap)
        hi_better = METRICS[r["metric"]][2]
        adv = r["ratio"] if hi_better else 1 / r["ratio"]
        label = label_of(r)
        color = "#3a8f3a" if adv >= 1 else "#c0392b"
        if r["met"] is False or r["invalid"]:
            color = "#c0392b"
        x0, x1 = x(1.0), x(adv)
        o.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        o.append(f'<rect x="{min(x0, x1):.1f}" y="{y}" width="{abs(x1 - x0):.1f}" height="{bar_h}" '
                 f'fill="{color}"/>')
        if peers[0] == "nss":
            goal = {"cpu_res": 1.5}.get(r["metric"], 1.0 if r["met"] is not None and
                                        r["metric"] != "mem_kib" else None)
        else:
            goal = goal_nginx(r)
        if goal:  # the target, as a factor
            o.append(f'<line x1="{x(goal):.1f}" y1="{y - 1}" x2="{x(goal):.1f}" y2="{y + bar_h + 1}" '
                     f'stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>')
        tx = max(x0, x1, x(goal) if goal else 0)
        o.append(f'<text x="{tx + 4:.1f}" y="{y + 12}">{adv:.2f}x</text>')
        for p in peers[1:]:
            v = r["ratios"].get(p)
            if v and not math.isnan(v) and v > 0:
                a2 = v if hi_better else 1 / v
                o.append(f'<rect x="{min(x0, x(a2)):.1f}" y="{y + bar_h + 1}" '
                         f'width="{abs(x(a2) - x0):.1f}" height="4" fill="#7f8c9d"/>')
    if peers[0] == "nss":
        o.append(f'<text x="10" y="{height - 10}" fill="#555">Bars: sslref/NSS for rates, NSS/sslref '
                 f'for CPU time and memory; log scale; dashed: the target. Red: sslref worse or a target missed.</text>')
    else:
        o.append(f'<text x="10" y="{height - 10}" fill="#555">Bars: sslref/nginx for rates, '
                 f'nginx/sslref for CPU time, memory and latency (thin grey: the same against NSS); '
                 f'log scale; dashed: the target. Red: sslref worse or a target missed.</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def goal_nginx(r):
    """The target of a compare-nginx row as a factor of sslref's advantage, or None."""
    if r["met"] is None or r["metric"] == "mem_kib":
        return None
    if r["metric"] == "cpu_res":
        return 1 / 0.67
    if r["metric"] == "bulk_srv":
        return 1.0 if r["suite"] in CBC_SUITES else 0.9
    return 1.0


def svg_conc(rows, meta):
    """Four panels (full and resumed handshakes/s, full and resumed server CPU per handshake),
    each a group of two bars (nginx grey, sslref green) per threads x processes configuration."""
    grid = conc_grid(rows)
    if not grid:
        return None
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    pw, ph, top, left = 420, 220, 60, 60
    W, H = left + 2 * (pw + 60), top + 2 * (ph + 70) + 20
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'font-family="sans-serif" font-size="11">',
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="10" y="20" font-size="14" font-weight="bold">Concurrency: sslref-server '
         '--threads T --processes P vs nginx worker_processes T x P</text>',
         f'<text x="10" y="38" fill="#555">{esc(meta[0] if meta else "")}; c02f x25519 RSA-2048, '
         f'sslref-bench; grey: nginx, green: sslref</text>']
    titles = {"hs_full": "full handshakes/s (higher is better)",
              "cpu_full": "server CPU us per full handshake (lower is better)",
              "hs_res": "resumed handshakes/s (higher is better)",
              "cpu_res": "server CPU us per resumed handshake (lower is better)"}
    cfgs = list(grid)
    for n, m in enumerate(("hs_full", "cpu_full", "hs_res", "cpu_res")):
        px, py = left + (n % 2) * (pw + 60), top + (n // 2) * (ph + 70)
        vals = [v for c in cfgs for v in ((grid[c].get(m) or {}).get("sslref"),
                                          ((grid[c].get(m) or {}).get("peer") or {}).get("nginx"))
                if v]
        vmax = max(vals) * 1.15 if vals else 1
        o.append(f'<text x="{px}" y="{py - 6}" font-weight="bold">{titles[m]}</text>')
        o.append(f'<line x1="{px}" y1="{py + ph}" x2="{px + pw}" y2="{py + ph}" stroke="#000"/>')
        gw = pw / max(len(cfgs), 1)
        for i, c in enumerate(cfgs):
            r = grid[c].get(m)
            t, p = conc_tp(c)
            gx = px + i * gw
            o.append(f'<text x="{gx + gw / 2:.1f}" y="{py + ph + 14}" text-anchor="middle">'
                     f'{t}x{p}</text>')
            if not r:
                continue
            for j, (v, col) in enumerate(((r["peer"].get("nginx"), "#95a5a6"),
                                          (r["sslref"], "#3a8f3a"))):
                if not v:
                    continue
                bh = v / vmax * ph
                bx = gx + gw * 0.12 + j * gw * 0.38
                o.append(f'<rect x="{bx:.1f}" y="{py + ph - bh:.1f}" width="{gw * 0.36:.1f}" '
                         f'height="{bh:.1f}" fill="{col}"/>')
                o.append(f'<text x="{bx + gw * 0.18:.1f}" y="{py + ph - bh - 3:.1f}" '
                         f'text-anchor="middle" font-size="9">{fmt(v)}</text>')
        o.append(f'<text x="{px + pw / 2:.1f}" y="{py + ph + 30}" text-anchor="middle" '
                 f'fill="#555">threads x processes (nginx workers = T x P)</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


MARKERS = {"nss": ("<!-- compare-nss:begin -->", "<!-- compare-nss:end -->", "performance.svg"),
           "nginx": ("<!-- compare-nginx:begin -->", "<!-- compare-nginx:end -->",
                     "performance-nginx.svg")}
BEGIN, END = MARKERS["nss"][:2]


def update_doc(prefix, doc):
    table = open(prefix + ".md").read()
    which = "nginx" if "sslref/nginx" in table else "nss"
    begin, end, svg_name = MARKERS[which]
    text = open(doc).read()
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        sys.exit(f"{doc}: no {begin} ... {end} block")
    open(doc, "w").write(text[:i + len(begin)] + "\n" + table + text[j:])
    shutil.copyfile(prefix + ".svg", os.path.join(os.path.dirname(doc), svg_name))
    done = svg_name
    if os.path.exists(prefix + "-concurrency.svg"):
        conc = svg_name.replace(".svg", "-concurrency.svg")
        shutil.copyfile(prefix + "-concurrency.svg", os.path.join(os.path.dirname(doc), conc))
        done += " and " + conc
    print(f"updated {doc} and {done} from {prefix}.md/.svg")
    return 0


def noise_line(cells, peers):
    """How much one server's own runs of one cell differ: (max - min) / median of each server's
    runs of a full-handshake cell (sslref and the first peer), the median and the largest over the
    cells. The interleaving exposes both servers to the same host; this says how far a median of a
    few runs can move with it."""
    spread = {"cpu_full": [], "hs_full": []}
    for (sec, _k, _s, _c, metric), by in cells.items():
        if metric in spread and sec != "conc":
            for srv in ("sslref", peers[0]):
                v = by.get(srv, [])
                if len(v) > 1 and statistics.median(v) > 0:
                    spread[metric].append(100 * (max(v) - min(v)) / statistics.median(v))
    if not spread["cpu_full"]:
        return None
    parts = [f"{what} median {statistics.median(spread[m]):.0f} %, up to {max(spread[m]):.0f} %"
             for m, what in (("cpu_full", "server CPU per full handshake"),
                             ("hs_full", "full handshakes/s")) if spread[m]]
    return "run-to-run spread of one server in one cell ((max - min) / median): " + "; ".join(parts)


def main():
    if sys.argv[1] == "--update-doc":
        return update_doc(sys.argv[2], sys.argv[3])
    raw, meta_path, prefix = sys.argv[1:4]
    meta = [l.rstrip("\n") for l in open(meta_path)]
    cells, errors, badres, na = load(raw)
    peers = peers_of(cells)
    noise = noise_line(cells, peers)
    if noise:
        meta.append(noise)
    rows = rows_of(cells, errors, badres, na, peers)
    ceiling = None
    for (sec, _k, _s, _c, metric), by in cells.items():
        if metric == "tcp_cps":
            cps = statistics.median(by["tcp"])
            cpu = statistics.median(cells[(sec, _k, _s, _c, "tcp_cpu")]["tcp"])
            ceiling = (cps, cpu)
    text = "\n".join(meta) + "\n\n" + table(rows, ceiling, peers)
    open(prefix + ".txt", "w").write(text)
    open(prefix + ".csv", "w").write(csv(rows, ceiling, peers))
    open(prefix + ".md", "w").write(markdown(rows, ceiling, [m + "  " for m in meta], peers))
    open(prefix + ".svg", "w").write(svg(rows, meta, peers))
    written = ".txt .csv .md .svg"
    conc = svg_conc(rows, meta) if peers[0] == "nginx" else None
    if conc:
        open(prefix + "-concurrency.svg", "w").write(conc)
        written += " -concurrency.svg"
    sys.stdout.write(text)
    print(f"\nwritten: {prefix}{written} (raw runs: {raw})")
    bad = sum(1 for r in rows if r["errors"] or r["invalid"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
