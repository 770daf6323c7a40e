#!/usr/bin/env python3
"""compare_report.py - the report of tests/bench/compare-nss: reads the raw runs (one line each:
section key suite client metric server run value), takes the median of the runs of each cell and
writes PREFIX.txt (the table that is also printed), PREFIX.csv, PREFIX.md (for docs/performance.md)
and PREFIX.svg (a bar chart of the sslref/NSS factors). Handshake rows show the share of resumed
handshakes of each server's worst run (nres_/nfull_ lines) and are INVALID when a resumed run did
not resume as asked (badres_ lines). Standard library only.
Usage: compare_report.py RAW META PREFIX
       compare_report.py --update-doc PREFIX DOC.md   (the block between the compare-nss markers
       of DOC.md becomes PREFIX.md; PREFIX.svg is copied beside DOC.md as performance.svg)"""
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
}
SECTIONS = {"1proc": "1 process", "2proc": "2 processes", "bulk": "1 process",
            "memory": "1 process"}


def target(metric, suite, ratio, sslref):
    """(target text, met) for a row; ('', None) when the issue sets no target."""
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


def load(path):
    """cells[(sec, key, suite, client, metric)][server] = [value of each run]; errors and badres
    count the failed runs and the runs that did not resume as asked, keyed by
    (sec, key, suite, client, server) and (sec, key, suite, client, kind, server)."""
    cells = OrderedDict()
    errors, badres = {}, {}
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
        cells.setdefault(k, {}).setdefault(server, []).append(float(value))
    return cells, errors, badres


def resumed_pct(cells, sec, key, suite, client, kind, server):
    """The lowest share (%) of resumed handshakes among SERVER's runs of this kind, or None."""
    res = cells.get((sec, key, suite, client, "nres_" + kind), {}).get(server, [])
    full = cells.get((sec, key, suite, client, "nfull_" + kind), {}).get(server, [])
    shares = [100.0 * r / (r + f) for r, f in zip(res, full) if r + f > 0]
    return min(shares) if shares else None


def rows_of(cells, errors, badres):
    rows = []
    for (sec, key, suite, client, metric), by in cells.items():
        if metric not in METRICS:
            continue
        what, unit, _hi = METRICS[metric]
        nss = statistics.median(by["nss"]) if by.get("nss") else None
        for srv in ("sslref", "sslref_ltm"):
            if not by.get(srv):
                continue
            ref = statistics.median(by[srv])
            ratio = ref / nss if nss else float("nan")
            tgt, met = target(metric, suite, ratio, ref)
            if srv == "sslref_ltm":
                tgt, met = "(libtommath)", None
            errs = sum(n for (s, k, su, c, sv), n in errors.items()
                       if (s, k, su, c) == (sec, key, suite, client) and sv in ("nss", srv))
            kind = metric.split("_", 1)[1] if metric[:3] in ("hs_", "cpu") else None
            bad = sum(n for (s, k, su, c, kd, sv), n in badres.items()
                      if (s, k, su, c, kd) == (sec, key, suite, client, kind)
                      and sv in ("nss", srv))
            res = [resumed_pct(cells, sec, key, suite, client, kind, sv) if kind else None
                   for sv in ("nss", srv)]
            rows.append(dict(section=sec, procs=SECTIONS.get(sec, sec), key="rsa" + key,
                             suite=suite, client=client, metric=metric,
                             what=what + (" (libtommath)" if srv == "sslref_ltm" else ""),
                             unit=unit, nss=nss, sslref=ref, ratio=ratio, target=tgt, met=met,
                             runs=len(by[srv]), errors=errs, invalid=bad, res_nss=res[0],
                             res_ref=res[1]))
    return rows


def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def res_text(r):
    """'NSS/sslref' lowest resumed share (%) of a handshake row, '' for other rows."""
    if r["res_nss"] is None and r["res_ref"] is None:
        return ""
    pct = lambda v: "-" if v is None else f"{v:.0f}" if v in (0.0, 100.0) else f"{v:.1f}"
    return f"{pct(r['res_nss'])}/{pct(r['res_ref'])}"


def met_text(r):
    bad = []
    if r["errors"]:
        bad.append(f"ERRORS({r['errors']})")
    if r["invalid"]:
        bad.append(f"INVALID(not resumed: {r['invalid']} run{'s' if r['invalid'] > 1 else ''})")
    if bad:
        return " ".join(bad)
    return "" if r["met"] is None else ("met" if r["met"] else "NOT MET")


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
        client = "strsclnt" if r["client"] == "strsclnt" else "bench"
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


def table(rows, ceiling):
    head = ["procs", "key", "suite", "client", "measure", "unit", "NSS", "sslref", "sslref/NSS",
            "resumed %", "target", ""]
    body = [[r["procs"], r["key"], r["suite"], r["client"], r["what"], r["unit"], fmt(r["nss"]),
             fmt(r["sslref"]), fmt(r["ratio"]), res_text(r), r["target"], met_text(r)]
            for r in rows]
    w = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    right = {6, 7, 8, 9}
    out = []
    for i, line in enumerate([head] + body):
        out.append("  ".join(c.rjust(w[j]) if j in right else c.ljust(w[j])
                             for j, c in enumerate(line)).rstrip())
        if i == 0:
            out.append("  ".join("-" * x for x in w))
    out.extend(ceiling_lines(rows, ceiling))
    out.append("")
    out.append("targets:")
    for name, measured, status in targets(rows):
        out.append(f"  {status:<18} {name}: {measured}")
    return "\n".join(out) + "\n"


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


def markdown(rows, ceiling, meta):
    out = ["| procs | key | suite | client | measure | unit | NSS | sslref | sslref/NSS | resumed % "
           "| target | |",
           "|---|---|---|---|---|---|--:|--:|--:|--:|---|---|"]
    for r in rows:
        out.append("| " + " | ".join([r["procs"], r["key"], r["suite"], r["client"], r["what"],
                                       r["unit"], fmt(r["nss"]), fmt(r["sslref"]),
                                       fmt(r["ratio"]), res_text(r), r["target"],
                                       met_text(r)]) + " |")
    out.append("")
    out.extend(l + "  " for l in ceiling_lines(rows, ceiling))
    out += ["", "| target | sslref/NSS | status |", "|---|---|---|"]
    for name, measured, status in targets(rows):
        out.append(f"| {name} | {measured} | {status} |")
    return "\n".join(meta + [""] + out) + "\n"


def csv(rows, ceiling):
    out = ["section,procs,key,suite,client,metric,measure,unit,nss,sslref,ratio,target,met,runs,"
           "errors,nss_resumed_pct,sslref_resumed_pct,invalid"]
    pct = lambda v: "" if v is None else f"{v:.2f}"
    for r in rows:
        out.append(",".join([r["section"], r["procs"], r["key"], r["suite"], r["client"],
                             r["metric"], r["what"], r["unit"], fmt(r["nss"]), fmt(r["sslref"]),
                             f"{r['ratio']:.3f}", r["target"], met_text(r), str(r["runs"]),
                             str(r["errors"]), pct(r["res_nss"]), pct(r["res_ref"]),
                             str(r["invalid"])]))
    if ceiling:
        out.append(f"ceiling,1 process,-,-,tcp_ceiling,tcp_cps,plain TCP connections/s,conn/s,,"
                   f"{ceiling[0]:.0f},,,,,0,,,0")
        out.append(f"ceiling,1 process,-,-,tcp_ceiling,tcp_cpu,server CPU per TCP connection,us,,"
                   f"{ceiling[1]:.1f},,,,,0,,,0")
    return "\n".join(out) + "\n"


def svg(rows, meta):
    """Horizontal bars on a log2 axis: how many times better sslref is than NSS (ratio for
    higher-is-better measures, 1/ratio for lower-is-better ones); green >= 1, red < 1."""
    rows = [r for r in rows if r["ratio"] and not math.isnan(r["ratio"]) and r["ratio"] > 0]
    bar_h, gap, left, width, top = 16, 4, 470, 420, 70
    lo, hi = -3.0, 5.0  # log2 range: 1/8x .. 32x
    height = top + len(rows) * (bar_h + gap) + 60
    x = lambda v: left + (min(max(math.log2(v), lo), hi) - lo) / (hi - lo) * width
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
         f'font-family="sans-serif" font-size="11">',
         f'<rect width="100%" height="100%" fill="white"/>',
         f'<text x="10" y="20" font-size="14" font-weight="bold">sslref vs NSS: times better '
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
        label = (f'{r["procs"].replace(" processes", "p").replace(" process", "p")} '
                 f'{r["key"]} {r["suite"]} {r["client"]}: {r["what"]}')
        color = "#3a8f3a" if adv >= 1 else "#c0392b"
        if r["met"] is False or r["invalid"]:
            color = "#c0392b"
        x0, x1 = x(1.0), x(adv)
        o.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        o.append(f'<rect x="{min(x0, x1):.1f}" y="{y}" width="{abs(x1 - x0):.1f}" height="{bar_h}" '
                 f'fill="{color}"/>')
        goal = {"cpu_res": 1.5}.get(r["metric"], 1.0 if r["met"] is not None and
                                    r["metric"] != "mem_kib" else None)
        if goal:  # the target, as a factor
            o.append(f'<line x1="{x(goal):.1f}" y1="{y - 1}" x2="{x(goal):.1f}" y2="{y + bar_h + 1}" '
                     f'stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>')
        tx = max(x0, x1, x(goal) if goal else 0)
        o.append(f'<text x="{tx + 4:.1f}" y="{y + 12}">{adv:.2f}x</text>')
    o.append(f'<text x="10" y="{height - 10}" fill="#555">Bars: sslref/NSS for rates, NSS/sslref '
             f'for CPU time and memory; log scale; dashed: the target. Red: sslref worse or a target missed.</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


BEGIN, END = "<!-- compare-nss:begin -->", "<!-- compare-nss:end -->"


def update_doc(prefix, doc):
    text = open(doc).read()
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        sys.exit(f"{doc}: no {BEGIN} ... {END} block")
    table = open(prefix + ".md").read()
    open(doc, "w").write(text[:i + len(BEGIN)] + "\n" + table + text[j:])
    shutil.copyfile(prefix + ".svg", os.path.join(os.path.dirname(doc), "performance.svg"))
    print(f"updated {doc} and performance.svg from {prefix}.md/.svg")
    return 0


def main():
    if sys.argv[1] == "--update-doc":
        return update_doc(sys.argv[2], sys.argv[3])
    raw, meta_path, prefix = sys.argv[1:4]
    meta = [l.rstrip("\n") for l in open(meta_path)]
    cells, errors, badres = load(raw)
    rows = rows_of(cells, errors, badres)
    ceiling = None
    for (sec, _k, _s, _c, metric), by in cells.items():
        if metric == "tcp_cps":
            cps = statistics.median(by["tcp"])
            cpu = statistics.median(cells[(sec, _k, _s, _c, "tcp_cpu")]["tcp"])
            ceiling = (cps, cpu)
    text = "\n".join(meta) + "\n\n" + table(rows, ceiling)
    open(prefix + ".txt", "w").write(text)
    open(prefix + ".csv", "w").write(csv(rows, ceiling))
    open(prefix + ".md", "w").write(markdown(rows, ceiling, [m + "  " for m in meta]))
    open(prefix + ".svg", "w").write(svg(rows, meta))
    sys.stdout.write(text)
    print(f"\nwritten: {prefix}.txt .csv .md .svg (raw runs: {raw})")
    bad = sum(1 for r in rows if r["errors"] or r["invalid"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
