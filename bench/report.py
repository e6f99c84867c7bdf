"""Turns result records into docs/benchmarks.md (one table per workload, ratios forkd /
anchor from the same run), the W4 latency plot in docs/img/, and the environment lines.
"""
import os
import platform
import re
import statistics
import subprocess
from collections import defaultdict

FORKD = ("forkd-fork", "forkd-prefork")
FORKD_POOLS = ("forkd-hybrid", "forkd-prefork")  # the ratio columns of W3, W6 and W7
PACKAGES = ("nginx", "h2o", "apache2", "libapache2-mod-php8.2", "php8.2-fpm", "php8.2-cli",
            "gunicorn", "ucspi-tcp", "wrk", "apache2-utils", "slowhttptest", "strace", "gcc",
            "libc6-dev", "iproute2", "python3-matplotlib", "fcgiwrap", "php8.2-cgi")
SYSCALLS = "4 KiB syscalls"  # W3's strace record: a table of its own
VARIANT_ORDER = {"14 B": 0, "4 KiB": 1, "1 MiB": 2}


# ---------------------------------------------------------------- environment

def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def environment(forkd):
    """Machine, kernel and tool versions: recorded with the numbers they explain."""
    model = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    versions = {}
    for package in PACKAGES:
        v = _first_line(["dpkg-query", "-W", "-f", "${Version}", package])
        versions[package] = v if "no packages found" not in v.lower() else "not installed"
    return {"cpu": f"{os.cpu_count()} x {model}", "kernel": platform.release(),
            "os": _first_line(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
            "forkd": _first_line([forkd, "--version"]), "packages": versions,
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}


# ---------------------------------------------------------------- aggregation

def aggregate(records):
    """{(workload, server, variant): {metric: (median, min, max)}} over repetitions."""
    groups = defaultdict(list)
    for r in records:
        if "failed" not in r:
            groups[(r["workload"], r["server"], r["variant"])].append(r)
    table = {}
    for key, runs in groups.items():
        metrics = {}
        for metric in runs[0]:
            if isinstance(runs[0][metric], str) and metric not in ("workload", "server", "variant"):
                texts = sorted({r[metric] for r in runs if isinstance(r.get(metric), str)})
                metrics[metric] = (" / ".join(texts),) * 3  # W8c's `after`: text, shown as is
                continue
            values = [r[metric] for r in runs if isinstance(r.get(metric), (int, float))
                      and not isinstance(r.get(metric), bool)]
            if values and metric != "rep":
                metrics[metric] = (statistics.median(values), min(values), max(values))
        metrics["runs"] = (len(runs),) * 3
        table[key] = metrics
    return table


def failures(records):
    seen = {}
    for r in records:
        if "failed" in r:
            seen.setdefault((r["workload"], r["server"], r["variant"]), r["failed"])
    return seen


# ---------------------------------------------------------------- formatting

def num(value, digits=0):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def spread(triple, digits=0):
    if not triple:
        return "–"
    med, lo, hi = triple
    if lo == hi:
        return num(med, digits)
    return f"{num(med, digits)} ({num(lo, digits)}–{num(hi, digits)})"


def ratio(table, key, forkd, metric):
    """forkd's median ÷ the anchor's median for the same workload and variant."""
    workload, server, variant = key
    mine = table.get((workload, forkd, variant), {}).get(metric)
    theirs = table.get(key, {}).get(metric)
    if not mine or not theirs or not theirs[0] or mine[0] is None:
        return "–"
    return f"{mine[0] / theirs[0]:.2f}"


def workload_table(table, fails, workload, servers, columns, ratios, forkd=FORKD):
    """One Markdown table: a row per (server, variant) in run order."""
    head = ["server", "variant"] + [c[0] for c in columns] + \
           [f"{f.removeprefix('forkd-')} ÷ this, {label}" for label, _ in ratios for f in forkd]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = [k for k in table if k[0] == workload and k[2] != SYSCALLS] + \
           [k for k in fails if k[0] == workload]
    order = {name: i for i, name in enumerate(servers)}
    for key in sorted(set(keys), key=lambda k: (VARIANT_ORDER.get(k[2], 9), k[2],
                                                order.get(k[1], 99))):
        if key in fails and key not in table:
            lines.append(f"| {key[1]} | {key[2]} | failed: {fails[key][:120]} |")
            continue
        row = table[key]
        cells = [key[1], key[2]] + [spread(row.get(metric), digits) for _, metric, digits in columns]
        cells += [ratio(table, key, f, metric) for _, metric in ratios for f in forkd]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# ---------------------------------------------------------------- plot

def plot_w4(table, servers, path):
    """Grouped bars of p50 / p99 / max per server, one panel per in-flight count, log scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    levels = sorted({k[2] for k in table if k[0] == "W4"}, key=lambda v: int(v.split()[0]))
    if not levels:
        return False
    fig, axes = plt.subplots(1, len(levels), figsize=(5 * len(levels), 4.5), sharey=True,
                             squeeze=False)
    for ax, level in zip(axes[0], levels):
        names = [s for s in servers if ("W4", s, level) in table]
        for i, (metric, colour) in enumerate((("p50", "#4c72b0"), ("p99", "#dd8452"),
                                               ("max", "#c44e52"))):
            # A server that answered no `/` in the window gets no bar, and a note below.
            values = [(table[("W4", name, level)].get(metric) or (None,))[0] for name in names]
            xs = [x + (i - 1) * 0.27 for x, v in enumerate(values) if v]
            ax.bar(xs, [v for v in values if v], 0.27, label=metric, color=colour)
        for x, name in enumerate(names):
            if not table[("W4", name, level)].get("p50"):
                ax.text(x, 0.15, "no answer\nin the window", ha="center", fontsize=7, rotation=90)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylim(0.1, 20000)
        ax.set_title(f"W4: GET / with {level} ?sleep=2")
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("latency of GET / (ms, log)")
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- the page

W1_COLUMNS = [("conns", "connections", 0), ("req/s", "rps", 0), ("server CPU µs/req", "cpu_us", 1),
              ("p50 ms", "p50", 2), ("p99 ms", "p99", 2), ("max ms", "max", 1), ("errors", "errors", 0)]
W2_COLUMNS = [("conns", "connections", 0), ("req/s", "rps", 0), ("server CPU µs/req", "cpu_us", 1),
              ("p50 ms", "p50", 2), ("p99 ms", "p99", 2), ("max ms", "max", 1),
              ("errors", "errors", 0), ("requests", "requests", 0),
              ("processes left", "processes_left", 0)]
W4_COLUMNS = [("req/s of /", "rps", 0), ("p50 ms", "p50", 2), ("p99 ms", "p99", 2),
              ("max ms", "max", 0), ("errors", "errors", 0), ("sleeps done", "sleeps_done", 0),
              ("sleep errors", "sleep_errors", 0), ("processes", "processes", 0)]
W5_COLUMNS = [("master PSS KiB", "master_kib", 0), ("one worker PSS KiB", "worker_kib", 0),
              ("total PSS KiB", "total_kib", 0), ("processes", "processes", 0)]
W3_COLUMNS = [("conns", "connections", 0), ("req/s", "rps", 0), ("server CPU µs/req", "cpu_us", 1),
              ("p50 ms", "p50", 2), ("p99 ms", "p99", 2), ("max ms", "max", 1),
              ("MB/s", "mb_s", 0), ("errors", "errors", 0)]
W6_COLUMNS = [("held", "held", 0), ("of them not accepted", "queued", 0),
              ("slowhttptest connected", "slowhttptest_connected", 0),
              ("held during wrk", "held_during", 0), ("req/s of /", "rps", 0),
              ("p50 ms", "p50", 2), ("p99 ms", "p99", 2), ("max ms", "max", 0),
              ("requests", "requests", 0), ("errors", "errors", 0),
              ("server CPU µs/req", "cpu_us", 1)]
W7_COLUMNS = W1_COLUMNS
W8_FORKD = ("forkd-w8",)  # W8's ratio column: forkd's library program
W8A_COLUMNS = W1_COLUMNS
W8B_COLUMNS = [("conns", "connections", 0), ("req/s, all", "rps", 0), ("/fast req/s", "fast_rps", 0),
               ("/fast p50 ms", "p50", 2), ("/fast p99 ms", "p99", 2), ("/fast max ms", "max", 1),
               ("/slow p50 ms", "slow_p50", 0), ("/slow p99 ms", "slow_p99", 0),
               ("/slow % of answers", "slow_share", 1), ("server CPU µs/req", "cpu_us", 1),
               ("errors", "errors", 0), ("conns never answered", "silent", 0),
               ("longest wait at the end ms", "oldest", 0)]
W8C_COLUMNS = [("conns", "connections", 0), ("load s", "seconds", 1), ("answered", "requests", 0),
               ("req/s", "rps", 0), ("200", "ok", 0), ("failed", "failed_requests", 0),
               ("of them 502", "status_502", 0), ("no response", "lost", 0),
               ("/hello not 200", "hello_failed", 0), ("/crash sent", "crash_sent", 0),
               ("/crash unanswered at the end", "crash_waiting", 0),
               ("crashes (server's log)", "crashes", 0), ("died after s", "died_at", 1),
               ("GET /hello after", "after", 0), ("/hello p99 ms", "p99", 2)]


def syscall_table(records, servers):
    """W3's system calls per request (the first repetition that has them, per server)."""
    first = {}
    for r in records:
        if r.get("variant") == SYSCALLS and "failed" not in r:
            first.setdefault(r["server"], r)
    if not first:
        return []
    lines = ["| server | requests traced | system calls per request | data segments per "
             "response | per request, by call |", "|---|---|---|---|---|"]
    for s in servers:
        if s in first:
            r = first[s]
            lines.append(f"| {s} | {num(r['requests'])} | {num(r['syscalls_per_req'], 2)} | "
                         f"{num(r.get('segments_per_resp'), 2)} | {r['syscall_mix']} |")
    return lines


def w6_variant(options):
    return f"{options.get('slowloris', 1000)} slowloris"


def summary(table, servers, options):
    """One line per server with the headline number of each workload."""
    cols = [("W1 req/s", ("W1", "keep-alive"), "rps", 0),
            ("W1 CPU µs/req", ("W1", "keep-alive"), "cpu_us", 1),
            ("W1 pipelined req/s", ("W1", "pipelined 16"), "rps", 0),
            ("W2 conn/s", ("W2", "new connection"), "rps", 0),
            ("W3 14 B req/s", ("W3", "14 B"), "rps", 0),
            ("W3 4 KiB req/s", ("W3", "4 KiB"), "rps", 0),
            ("W3 1 MiB MB/s", ("W3", "1 MiB"), "mb_s", 0),
            ("W4 8 in flight p99 ms", ("W4", "8 in flight"), "p99", 1),
            ("W5 idle PSS KiB", ("W5", "idle"), "total_kib", 0),
            ("W6 req/s", ("W6", w6_variant(options)), "rps", 0),
            ("W6 p99 ms", ("W6", w6_variant(options)), "p99", 1),
            ("W7 req/s", ("W7", "blocking hello"), "rps", 0)]
    # Only the columns of workloads this run has (a page from an older run keeps its shape).
    cols = [c for c in cols if any((c[1][0], s, c[1][1]) in table for s in servers)]
    lines = ["| server | " + " | ".join(c[0] for c in cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for s in servers:
        cells = [num(table.get((w, s, v), {}).get(m, (None,))[0], d) for _, (w, v), m, d in cols]
        if any(c != "–" for c in cells):
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return lines


def _median(table, workload, server, variant, metric):
    value = table.get((workload, server, variant), {}).get(metric)
    return value[0] if value and value[0] else None


def targets(table, options):
    """The issues' targets, each from medians of the same run."""
    lines = []
    def w2(server):
        return _median(table, "W2", server, "new connection", "rps")
    # Fork mode: 5x tcpserver's and 20x the tutorial's connections per second. fork-floor
    # (bench/anchors/fork_floor.c) says whether any fork-per-connection server reaches that here.
    for anchor, goal in (("tcpserver", 5), ("tutorial-php", 20)):
        mine, theirs, floor = w2("forkd-fork"), w2(anchor), w2("fork-floor")
        if mine and theirs:
            got = mine / theirs
            verdict = "met" if got >= goal else f"not met ({got / goal:.0%} of the target)"
            lines.append(f"- forkd fork ÷ {anchor}, connections per second: **{got:.2f}x** "
                         f"(target {goal}x): {verdict}")
        if floor and theirs:
            most = floor / theirs
            cpu_floor = _median(table, "W2", "fork-floor", "new connection", "cpu_us")
            cpu_theirs = _median(table, "W2", anchor, "new connection", "cpu_us")
            cpu = (f", and {cpu_theirs / cpu_floor:.2f}x less server CPU per connection"
                   if cpu_floor and cpu_theirs else "")
            verdict = ("a server as lean as fork-floor reaches the target here" if most >= goal
                       else "no fork-per-connection server reaches the target on this machine")
            lines.append(f"  - fork-floor ÷ {anchor}: **{most:.2f}x** the connections per "
                         f"second{cpu} (the most fork per connection gives; target {goal}x): "
                         f"{verdict}")
    if w2("forkd-fork") and w2("fork-floor"):
        cpu = [_median(table, "W2", s, "new connection", "cpu_us") for s in ("forkd-fork", "fork-floor")]
        cpu_text = (f"; server CPU per connection {cpu[0]:.0f} µs against the floor's {cpu[1]:.0f} µs"
                    if all(cpu) else "")
        lines.append(f"- forkd fork ÷ fork-floor, connections per second: "
                     f"**{w2('forkd-fork') / w2('fork-floor'):.2f}x** (how close fork mode gets "
                     f"to the floor of fork per connection){cpu_text}")
    # W3: static files, floor nginx, goal h2o.
    for variant in VARIANT_ORDER:
        parts = []
        for anchor, label in (("nginx-1w", "floor"), ("h2o", "goal")):
            mine = _median(table, "W3", "forkd-hybrid", variant, "rps")
            theirs = _median(table, "W3", anchor, variant, "rps")
            cpu_mine = _median(table, "W3", "forkd-hybrid", variant, "cpu_us")
            cpu_theirs = _median(table, "W3", anchor, variant, "cpu_us")
            if mine and theirs:
                cpu = f", CPU/req **{cpu_mine / cpu_theirs:.2f}x**" if cpu_mine and cpu_theirs else ""
                parts.append(f"÷ {anchor} ({label}) req/s **{mine / theirs:.2f}x**{cpu}")
        if parts:
            lines.append(f"- W3 {variant}, forkd hybrid " + "; ".join(parts) +
                         " (req/s: above 1 is better; CPU/req: below 1 is better)")
    # W1: within 1.1x of a canned epoll loop that parses nothing (bench/anchors/canned_loop.c).
    ceiling = _median(table, "W1", "canned-loop", "keep-alive", "rps")
    ceiling_cpu = _median(table, "W1", "canned-loop", "keep-alive", "cpu_us")
    for server in ("forkd-hybrid", "forkd-prefork", "nginx-1w", "h2o"):
        mine = _median(table, "W1", server, "keep-alive", "rps")
        cpu = _median(table, "W1", server, "keep-alive", "cpu_us")
        if mine and ceiling and cpu and ceiling_cpu:
            verdict = ("" if not server.startswith("forkd-hybrid") else
                       ": met" if cpu / ceiling_cpu <= 1.1 else ": not met")
            lines.append(f"- W1, {server} ÷ canned-loop (the ceiling): req/s "
                         f"**{mine / ceiling:.2f}x**, CPU/req **{cpu / ceiling_cpu:.2f}x** "
                         f"(target for forkd hybrid: CPU/req ≤ 1.1x){verdict}")
    # W6: p99 of / under slowloris, hybrid below 50 ms.
    variant = w6_variant(options)
    p99 = _median(table, "W6", "forkd-hybrid", variant, "p99")
    held = _median(table, "W6", "forkd-hybrid", variant, "held")
    if ("W6", "forkd-hybrid", variant) in table:
        verdict = ("no answer in the window: not met" if not p99 else
                   "met" if p99 < 50 else "not met")
        lines.append(f"- W6, forkd hybrid p99 of `/` while {num(held)} of "
                     f"{options.get('slowloris', 1000)} slowloris connections are held: "
                     f"**{num(p99, 1)} ms** (target < 50 ms): {verdict}")
    # W7: blocking hello through an app worker.
    for anchor, goal in (("nginx-php-fpm", 2), ("gunicorn", 3)):
        mine = _median(table, "W7", "forkd-hybrid", "blocking hello", "rps")
        theirs = _median(table, "W7", anchor, "blocking hello", "rps")
        if mine and theirs:
            got = mine / theirs
            verdict = "met" if got >= goal else f"not met ({got / goal:.0%} of the target)"
            lines.append(f"- W7, forkd hybrid ÷ {anchor}, blocking requests per second: "
                         f"**{got:.2f}x** (target ≥{goal}x): {verdict}")
    # W7: the hand-off's price, hybrid against prefork, beside the same ratio of the floors
    # (bench/anchors/handoff_floor.c, prefork_floor.c): what the design itself allows.
    hybrid = _median(table, "W7", "forkd-hybrid", "blocking hello", "rps")
    prefork = _median(table, "W7", "forkd-prefork", "blocking hello", "rps")
    handoff_floor = _median(table, "W7", "handoff-floor", "blocking hello", "rps")
    prefork_floor = _median(table, "W7", "prefork-floor", "blocking hello", "rps")
    if hybrid and prefork:
        floors = (f"; the floors' ratio (handoff-floor ÷ prefork-floor, what the hand-off "
                  f"itself allows): **{handoff_floor / prefork_floor:.2f}x**"
                  if handoff_floor and prefork_floor else "")
        verdict = "met" if hybrid / prefork >= 0.8 else "not met"
        lines.append(f"- W7, forkd hybrid ÷ forkd prefork, blocking requests per second: "
                     f"**{hybrid / prefork:.2f}x** (target ≥0.8x): {verdict}{floors}")
    return lines


def w8_targets(table):
    """W8's verdicts, from medians of the same run."""
    lines = []
    def med(workload, server, variant, metric):
        value = table.get((workload, server, variant), {}).get(metric)
        return value[0] if value else None
    mine = med("W8a", "forkd-w8", "blocking hello", "rps")
    theirs = med("W8a", "cpp-httplib", "blocking hello", "rps")
    if mine and theirs:
        cpu = ", ".join(f"{s} {num(med('W8a', s, 'blocking hello', 'cpu_us'), 1)} µs"
                        for s in ("forkd-w8", "cpp-httplib", "civetweb")
                        if med("W8a", s, "blocking hello", "cpu_us"))
        verdict = "met" if mine >= theirs else f"not met ({mine / theirs:.0%} of it)"
        lines.append(f"- W8a, forkd's library ÷ cpp-httplib, blocking hello per second: "
                     f"**{mine / theirs:.2f}x** (target ≥1x): {verdict}; server CPU per request: "
                     f"{cpu}")
    unloaded = med("W8b", "forkd-w8", "unloaded: /fast alone, 1 conn", "p99")
    inline = med("W8b", "forkd-w8", "10 % /slow, /fast", "p99")
    if unloaded and inline:
        def pooled(s, v="10 % /slow, /fast?blocking"):
            silent = med("W8b", s, v, "silent")
            return f"{s} {num(med('W8b', s, v, 'p99'), 2)} ms" + (
                f" ({num(silent)} of {num(med('W8b', s, v, 'connections'))} connections never "
                "answered: in no percentile)" if silent else "")
        others = "; ".join(pooled(s) for s in ("forkd-w8", "cpp-httplib", "civetweb")
                           if med("W8b", s, "10 % /slow, /fast?blocking", "p99") is not None)
        lines.append(f"- W8b, p99 of /fast while 10 % of requests take 50 ms: forkd with /fast "
                     f"inline **{num(inline, 2)} ms** against {num(unloaded, 2)} ms unloaded "
                     f"({inline / unloaded:.1f}x); through a pool of 8 (forkd's app workers, "
                     f"the others' threads): {others}")
    for server in ("forkd-w8", "cpp-httplib", "civetweb"):
        key = ("W8c", server, "1 in 1,000 crashes")
        if key not in table:
            continue
        failed, crashes = med(*key, "failed_requests"), med(*key, "crashes")
        if server == "forkd-w8":
            # A crash whose 502 the end of the run cut off is no failure wrk saw.
            cut = med(*key, "crash_waiting") or 0
            exact = failed + cut == crashes and med(*key, "status_502") == failed and \
                med(*key, "hello_failed") == 0 and med(*key, "lost") == 0
            lines.append(f"- W8c, forkd's library: **{num(failed)} failed requests (all 502) for "
                         f"{num(crashes)} crashes**" +
                         (f" ({num(cut)} of them at the very end, its answer cut off by the end "
                          "of the run)" if cut else "") +
                         f"; every other of {num(med(*key, 'requests'))} answers is 200, in "
                         f"{num(med(*key, 'seconds'), 0)} s: {'met' if exact else 'not met'}")
        else:
            died = med(*key, "died_at")
            lines.append(f"- W8c, {server}: " + (
                f"the process died at its first crash, {num(died, 1)} s into the load, after "
                f"{num(med(*key, 'requests'))} answers; after it: "
                f"{table[key]['after'][0]}, 0 req/s" if died is not None else
                f"still serving after {num(crashes)} crashes"))
    return lines


def w8_section(meta, table, fails, servers, specs, o):
    """W8, whole in itself (its own set-up and verdicts): `--merge` puts it into a page
    from an earlier run of W1–W7."""
    c = o["connections"]
    out = ["## W8: forkd's library against cpp-httplib and CivetWeb", "",
           f"- run: {meta['started']}, {meta['duration_s']:.0f} s for the whole run, "
           f"{'quick' if o['quick'] else 'full'} ({o['repeat']} repetitions of W8a and W8b, "
           "median (min–max); W8c once); pinning and CPU accounting as above"
           + (f"; runs put together: {meta['combined']}" if meta.get("combined") else ""),
           "- the same four routes in each (`bench/w8/`): `/hello` and `/fast` answer a "
           "word, `/slow` sleeps 50 ms then answers, `/crash` calls `raise(SIGSEGV)`; in forkd "
           "all are blocking (app workers) but `/fast`, which is inline (the io worker) unless "
           "asked as `/fast?blocking`"]
    out += [f"- **{s.name}**: {s.about}" for s in specs if "W8" in s.extra]
    out += [f"- W8a: `wrk -t1 -c{c} -d{o['seconds']}s` on `/hello`, as W1",
            f"- W8b: `wrk -t{c} -c{c} -d{o.get('w8_seconds')}s -s bench/w8/mix.lua -- 10 /slow "
            "/fast`: each connection sends nine `/fast` then one `/slow`, closed loop, with "
            "one wrk thread per connection so that mix.lua times each request and keeps "
            "`/fast`'s latency apart (LuaJIT `clock_gettime` around each request; 10 µs "
            "buckets below 10 ms, 1 ms above). Unloaded: `/fast` alone on one connection",
            f"- W8c: `wrk -t{c} -c{c} -d{o.get('w8c_seconds')}s -s bench/w8/mix.lua -- 1000 "
            "/crash /hello`, once: every connection sends `/crash` once in 1,000 requests. "
            "`failed` = answers other than 200 plus requests whose connection broke before an "
            "answer (`no response`); `crashes` = forkd's crash lines in its error log (a "
            "worker killed by SIGSEGV), for the others 1 if the process died. A server that "
            f"dies gets {2:.0f} s more load, then wrk is stopped and one `GET /hello` "
            "says what it serves", ""]
    parts = [("W8a", "W8a: hello from a blocking handler, keep-alive", W8A_COLUMNS,
              [("req/s", "rps"), ("CPU/req", "cpu_us")],
              "forkd: the io worker reads the request and hands it to one of 8 app workers "
              "(one request at a time each), which answers; cpp-httplib and CivetWeb answer "
              "in one of 8 threads that holds the connection."),
             ("W8b", "W8b: /fast while 10 % of requests take 50 ms", W8B_COLUMNS,
              [("p99", "p99")],
              "Latency columns are /fast's and /slow's own (mix.lua), of the requests answered "
              "in the run: `conns never answered` counts connections that got no answer at "
              "all (their requests are in no latency column), `longest wait at the end` the "
              "oldest request still unanswered when the run stopped. For p99 a ratio below "
              "1 means forkd answers /fast faster."),
             ("W8c", "W8c: one request in 1,000 crashes its handler", W8C_COLUMNS, [], "")]
    for workload, title, columns, ratios, note in parts:
        if workload not in o["only"]:
            continue
        out += [f"### {title}", ""]
        out += workload_table(table, fails, workload, servers, columns, ratios, W8_FORKD) + [""]
        if note:
            out += [note, ""]
    out += w8_targets(table) + [""]
    return out


W9_FLOOR = "W9 floor"  # bench.py's records of bench/w9/spawn_floor.c
W9_ANCHORS = ("apache-cgid", "nginx-fcgiwrap")  # "the floor is the fastest of them"
W9_VARIANTS = ("W9a: C program", "W9b: sh script")
W9_COLUMNS = [("conns", "connections", 0), ("req/s", "rps", 0), ("server CPU µs/req", "cpu_us", 1),
              ("p50 ms", "p50", 2), ("p99 ms", "p99", 2), ("max ms", "max", 1),
              ("errors", "errors", 0), ("of them non-2xx", "non2xx", 0)]


def w9_fastest(table, variant):
    """The anchor with the most requests per second for `variant` (median), or None."""
    rates = {a: _median(table, "W9", a, variant, "rps") for a in W9_ANCHORS}
    rates = {a: r for a, r in rates.items() if r}
    return max(rates, key=rates.get) if rates else None


def w9_table(table, fails, servers):
    """W9's rows, with ratios to the fastest anchor of the same variant and the server CPU
    per request beyond the fork+exec floor's CPU per spawn."""
    head = ["server", "variant"] + [c[0] for c in W9_COLUMNS] + \
           ["÷ fastest anchor, req/s", "÷ fastest anchor, CPU/req", "CPU/req − floor µs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    order = {name: i for i, name in enumerate(servers)}
    keys = {k for k in list(table) + list(fails) if k[0] == "W9"}
    for key in sorted(keys, key=lambda k: (k[2], order.get(k[1], 99))):
        if key not in table:
            lines.append(f"| {key[1]} | {key[2]} | failed: {fails[key][:120]} |")
            continue
        row, variant = table[key], key[2]
        cells = [key[1], variant] + [spread(row.get(m), d) for _, m, d in W9_COLUMNS]
        fastest = w9_fastest(table, variant)
        for metric in ("rps", "cpu_us"):
            mine = _median(table, "W9", key[1], variant, metric)
            theirs = _median(table, "W9", fastest, variant, metric) if fastest else None
            cells.append(f"{mine / theirs:.2f}" if mine and theirs else "–")
        cpu = _median(table, "W9", key[1], variant, "cpu_us")
        floor = _median(table, W9_FLOOR, "spawn-floor", variant, "cpu_us")
        cells.append(f"{cpu - floor:.0f}" if cpu and floor else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def w9_section(meta, table, fails, servers, specs, o):
    """W9, whole in itself (its own set-up and verdicts), so that `--merge` can put it into a
    page from an earlier run of the other workloads."""
    env = meta["environment"]
    c, secs = o["connections"], o["seconds"]
    versions = ", ".join(f"{k} {env['packages'].get(k, '?')}" for k in ("apache2", "nginx", "fcgiwrap"))
    out = ["## W9: CGI hello", "",
           f"- run: {meta['started']}, {meta['duration_s']:.0f} s for the whole run, "
           f"{'quick' if o['quick'] else 'full'} ({o['repeat']} repetitions, median (min–max)); "
           f"{env['cpu']}, kernel {env['kernel']}, load average at start "
           f"{' '.join(env['loadavg_start'])}; forkd `{env['forkd']}`; {versions}",
           f"- servers (and the CGI programs they start) pinned to CPU {o['server_cpus']}, wrk and "
           f"this script to CPU {o['load_cpus']}; server CPU per request = user+system CPU of "
           f"all the server's processes, the programs included (its {meta['tracking']}) ÷ requests",
           "- the programs, the same files for every server in each run's `cgi-bin/`: "
           "**W9a** `/cgi-bin/hello`, `bench/w9/hello_cgi.c` (`gcc -O2`, dynamically linked) "
           "writes `Content-Type: text/plain`, an empty line and `hello` in one `write`; "
           "**W9b** `/cgi-bin/hello.sh`, `bench/w9/hello_cgi.sh`, the same from `/bin/sh` "
           "(dash, `echo` builtin). Neither sends a length, so every server answers chunked",
           f"- load: `wrk -t1 -c{c} -d{secs}s --latency` on each path, keep-alive; the body is "
           "checked before and after each run. `errors` = wrk's socket errors and non-2xx answers",
           "- fork+exec floor: `bench/w9/spawn_floor.c` (`gcc -O2`) runs the same program "
           f"{o.get('w9_spawns')} times (after 20 to warm up), pinned to CPU {o['server_cpus']}: "
           "`pipe2`, `vfork`, `dup2` + `execve` in the child, read to EOF and `waitpid` in the "
           "parent; no server, no sockets, no `setsid`, no rlimits. Per spawn: elapsed time, "
           "and user+system CPU of it and its children (`getrusage`)"]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = (repo_relative(o["forkd"]) if os.path.abspath(o["forkd"]).startswith(repo + os.sep)
              else "path/to/forkd")
    command = (f"bench/run {binary} --only W9" + (f" --servers {o['servers']}" if o.get("servers") else "")
               + (" --quick" if o["quick"] else "") + (" --merge" if o.get("merge") else ""))
    out.append(f"- command: `{command}`")
    out += [f"- **{s.name}**: {s.about}" + (
        "; in W9 `cgi = [\"/cgi-bin/=<run dir>/cgi-bin\"]`" if s.name.startswith("forkd") else "")
        for s in specs if "W9" in s.extra]
    out += [""] + w9_table(table, fails, servers) + [""]
    out += ["The floor is the fastest anchor (the issue's words) of the same variant: a ratio of "
            "req/s above 1 means more requests per second than it, of CPU/req below 1 less CPU "
            "per request. `CPU/req − floor` is what a server spends per request beyond one bare "
            "fork+exec of the program (the floor's CPU per spawn below).", ""]
    floor_lines = []
    for variant in W9_VARIANTS:
        key = (W9_FLOOR, "spawn-floor", variant)
        if key in table:
            row = table[key]
            floor_lines.append(
                f"- fork+exec floor, {variant.split(': ')[1]}: **{spread(row.get('cpu_us'), 0)} µs "
                f"of CPU per fork+exec** ({spread(row.get('wall_us'), 0)} µs elapsed, "
                f"{spread(row.get('rps'), 0)} spawns/s on one CPU; {num(row['requests'][0])} "
                "spawns per repetition)")
        elif key in fails:
            floor_lines.append(f"- fork+exec floor, {variant}: failed: {fails[key][:160]}")
    out += floor_lines + ([""] if floor_lines else [])
    verdicts = []
    for variant in W9_VARIANTS:
        fastest = w9_fastest(table, variant)
        if not fastest:
            continue
        theirs = _median(table, "W9", fastest, variant, "rps")
        cpu_theirs = _median(table, "W9", fastest, variant, "cpu_us")
        for server in ("forkd-hybrid", "forkd-prefork"):
            mine = _median(table, "W9", server, variant, "rps")
            cpu_mine = _median(table, "W9", server, variant, "cpu_us")
            if not mine:
                continue
            verdict = "met" if mine >= theirs else f"not met ({mine / theirs:.0%} of it)"
            cpu = (f", CPU/req **{cpu_mine / cpu_theirs:.2f}x** ({cpu_mine:.0f} against "
                   f"{cpu_theirs:.0f} µs)" if cpu_mine and cpu_theirs else "")
            verdicts.append(f"- {variant}, {server} ÷ {fastest} (the fastest anchor): req/s "
                            f"**{mine / theirs:.2f}x**{cpu}; the floor (1x req/s): {verdict}")
    out += verdicts + ([""] if verdicts else [])
    return out


W10_ANCHOR = "nginx-php-fpm"  # the floor: forkd spawning php-cgi ≥ it, goal 1.2x
W10_SPAWN = ("forkd-hybrid", "forkd-prefork")  # forkd spawning php-cgi
W10_HELLO = "PHP hello"
W10_MEMORY = "W10 memory"
W10_COLUMNS = [("conns", "connections", 0), ("req/s", "rps", 0), ("server CPU µs/req", "cpu_us", 1),
               ("p50 ms", "p50", 2), ("p99 ms", "p99", 2), ("max ms", "max", 1),
               ("errors", "errors", 0)]
W10S_COLUMNS = [("req/s", "rps", 0), ("p50 ms", "p50", 2), ("p99 ms", "p99", 2),
                ("max ms", "max", 0), ("errors", "errors", 0)]


def w10_ratio(table, workload, server, variant, metric):
    mine = _median(table, workload, server, variant, metric)
    theirs = _median(table, workload, W10_ANCHOR, variant, metric)
    return f"{mine / theirs:.2f}" if mine and theirs else "–"


def w10_hello_table(table, fails, servers):
    head = ["server"] + [c[0] for c in W10_COLUMNS] + \
           [f"÷ {W10_ANCHOR}, req/s", f"÷ {W10_ANCHOR}, CPU/req"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for server in servers:
        key = ("W10", server, W10_HELLO)
        if key not in table:
            if key in fails:
                lines.append(f"| {server} | failed: {fails[key][:120]} |")
            continue
        cells = [server] + [spread(table[key].get(m), d) for _, m, d in W10_COLUMNS]
        cells += [w10_ratio(table, "W10", server, W10_HELLO, m) for m in ("rps", "cpu_us")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def w10_memory_table(table, servers):
    head = ["server", "idle: total PSS KiB", "processes", "of them the bench's leaders KiB",
            f"÷ {W10_ANCHOR}, idle", "under load: total PSS KiB", "processes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for server in servers:
        idle = table.get((W10_MEMORY, server, "idle"))
        load = table.get((W10_MEMORY, server, "under load"))
        if not idle and not load:
            continue
        idle, load = idle or {}, load or {}
        lines.append(f"| {server} | {spread(idle.get('total_kib'))} | "
                     f"{spread(idle.get('processes'))} | {spread(idle.get('master_kib'))} | "
                     f"{w10_ratio(table, W10_MEMORY, server, 'idle', 'total_kib')} | "
                     f"{spread(load.get('total_kib'))} | {spread(load.get('processes'))} |")
    return lines


def w10_sleeper_table(table, fails, servers):
    levels = sorted({k[2].split(" in flight")[0] for k in list(table) + list(fails)
                     if k[0] == "W10s"}, key=int)
    head = ["in flight", "server"] + [f"PHP hello {c[0]}" for c in W10S_COLUMNS] + \
           [f"static page {c[0]}" for c in W10S_COLUMNS] + ["sleeps done", "sleep errors"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for level in levels:
        for server in servers:
            php = ("W10s", server, f"{level} in flight, PHP hello")
            static = ("W10s", server, f"{level} in flight, static page")
            if php not in table and static not in table:
                if php in fails:
                    lines.append(f"| {level} | {server} | failed: {fails[php][:120]} |")
                continue
            row, other = table.get(php, {}), table.get(static, {})
            cells = [level, server] + [spread(row.get(m), d) for _, m, d in W10S_COLUMNS] + \
                    [spread(other.get(m), d) for _, m, d in W10S_COLUMNS] + \
                    [spread(row.get("sleeps_done")), spread(row.get("sleep_errors"))]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def w10_verdicts(table):
    """The issue's floor and goal, from medians of the same run."""
    theirs = _median(table, "W10", W10_ANCHOR, W10_HELLO, "rps")
    cpu_theirs = _median(table, "W10", W10_ANCHOR, W10_HELLO, "cpu_us")
    lines = []
    if not theirs:
        return lines
    for server in W10_SPAWN:
        mine = _median(table, "W10", server, W10_HELLO, "rps")
        cpu_mine = _median(table, "W10", server, W10_HELLO, "cpu_us")
        if not mine or not cpu_mine or not cpu_theirs:
            continue
        floor = mine >= theirs and cpu_mine <= cpu_theirs
        goal = mine >= 1.2 * theirs and cpu_mine <= cpu_theirs
        lines.append(f"- {server} spawning php-cgi ÷ {W10_ANCHOR}: req/s **{mine / theirs:.2f}x**, "
                     f"CPU/req **{cpu_mine / cpu_theirs:.2f}x** ({cpu_mine:.0f} against "
                     f"{cpu_theirs:.0f} µs); the floor (≥1x req/s at no more CPU per request): "
                     f"{'met' if floor else 'not met'}; the goal (1.2x): "
                     f"{'met' if goal else 'not met'}")
    return lines


def w10_section(meta, table, fails, servers, specs, o):
    """W10, whole in itself (its own set-up and verdicts), so that `--merge` can put it into
    a page from an earlier run of the other workloads."""
    env = meta["environment"]
    c, secs = o["connections"], o["seconds"]
    versions = ", ".join(f"{k} {env['packages'].get(k, '?')}"
                         for k in ("nginx", "php8.2-fpm", "php8.2-cgi", "apache2",
                                   "libapache2-mod-php8.2"))
    out = ["## W10: PHP hello", "",
           f"- run: {meta['started']}, {meta['duration_s']:.0f} s for the whole run, "
           f"{'quick' if o['quick'] else 'full'} ({o['repeat']} repetitions, median (min–max)); "
           f"{env['cpu']}, kernel {env['kernel']}, load average at start "
           f"{' '.join(env['loadavg_start'])}; forkd `{env['forkd']}`; {versions}",
           f"- servers (and every PHP process) pinned to CPU {o['server_cpus']}, wrk, ab, the "
           f"sleepers and this script to CPU {o['load_cpus']}; server CPU per request = "
           f"user+system CPU of all the set-up's processes, PHP's included (its "
           f"{meta['tracking']}) ÷ requests",
           "- the PHP files, the same for every server in each run's `www/` (`bench/w10/`): "
           "`hello.php` is `<?php echo \"this is server\";` (PHP's default "
           "`Content-Type: text/html; charset=UTF-8`, no length: each server frames it its "
           "way), `sleep.php` sleeps 1 s and answers; `index.html` is the static page. "
           "8 PHP processes in every set-up; PHP's ini files as Debian ships them (opcache on "
           "in each SAPI)",
           f"- PHP hello: `wrk -t1 -c{c} -d{secs}s --latency` on `/hello.php`, keep-alive (the "
           "answer checked before and after)",
           "- memory: total PSS (`/proc/PID/smaps_rollup`) of every process of the set-up (its "
           "cgroup): *idle* 0.5 s after start-up and one PHP request (every PHP process "
           "started, 8 of them idle), *under load* halfway through the wrk run",
           f"- sleepers (W4 in PHP): {', '.join(str(n) for n in _w10_levels(table))} clients each "
           "keep one `GET /sleep.php` in flight (a new connection per request, as W4), and "
           f"after 1 s `ab -c{o['w4_clients']} -t{o['w4_seconds']}` measures `/hello.php`, "
           f"then `ab -c{o['w4_clients']} -t{o['w4_seconds']}` `/index.html` (new connections)"]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = (repo_relative(o["forkd"]) if os.path.abspath(o["forkd"]).startswith(repo + os.sep)
              else "path/to/forkd")
    command = (f"bench/run {binary} --only W10" + (f" --servers {o['servers']}" if o.get("servers") else "")
               + (f" --repeat {o['repeat']}" if o.get("repeat") not in (None, 3) else "")
               + (" --quick" if o["quick"] else "") + (" --merge" if o.get("merge") else ""))
    out.append(f"- command: `{command}`")
    spawn = f"; in W10 `root` = the run's `www/` and `fastcgi = [\".php=spawn:/usr/bin/php-cgi\"]`: " \
            "each of the 8 workers starts and keeps one php-cgi on a private socket"
    about = {"forkd-hybrid": spawn, "forkd-prefork": spawn,
             "nginx-php-fpm": "; in W10 `location ~ \\.php$` passes each PHP file to PHP-FPM (a "
                              "new connection to its socket per request, nginx's default) and "
                              "`/index.html` is a static file",
             "apache-prefork": "; in W10 mod_php runs each PHP file in the server process, "
                               "`/index.html` is a static file from the same processes"}
    out += [f"- **{s.name}**: {s.about}{about.get(s.name, '')}" for s in specs if "W10" in s.extra]
    out += ["", "### PHP hello, keep-alive", ""] + w10_hello_table(table, fails, servers) + [""]
    out += w10_verdicts(table) + [""]
    out += ["### Memory: total PSS with 8 PHP processes idle", ""] + \
        w10_memory_table(table, servers) + [""]
    out += ["`processes` counts every process of the set-up: forkd hybrid has its master, one io "
            "worker, 8 app workers and their 8 php-cgi; forkd prefork its master, 8 workers "
            "and 8 php-cgi; nginx + PHP-FPM and forkd + PHP-FPM their masters, worker(s) and 8 "
            "FPM children; Apache its parent and 8 servers with PHP inside.", ""]
    out += ["### Sleepers: PHP hello and a static page while sleep.php holds PHP processes", ""] + \
        w10_sleeper_table(table, fails, servers) + [""]
    out += ["`errors` are ab's failed and non-2xx answers (forkd hybrid answers a request still "
            "queued after `queue_timeout`, 10 s, with 503). `sleeps done` counts the sleep.php "
            "answers in the whole level (both ab runs).", ""]
    return out


def _w10_levels(table):
    return sorted({int(k[2].split(" in flight")[0]) for k in table if k[0] == "W10s"}) or [4, 8, 16]


def merge(old, new, only):
    """`old` page with the sections of the workloads in `only` ("## W8: ...") and the reading
    taken from `new`: a run of some workloads without losing the others' results."""
    def sections(page):
        head, parts, current = [], [], None
        for line in page.splitlines():
            if line.startswith("## "):
                current = [line]
                parts.append(current)
            elif current is None:
                head.append(line)
            else:
                current.append(line)
        return head, parts
    def key(part):
        title = part[0][3:]
        return title.split(":")[0] if title.startswith("W") else title
    ran = {re.match(r"W\d+", w).group() for w in only}  # W8a: W8, W10: W10 (not W1)
    old_head, old_parts = sections(old)
    _, new_parts = sections(new)
    # A merged section says which run it comes from: the page's Set-up and Summary stay the
    # whole run's. (W8 to W10 write their own run line.)
    runs = [line for p in new_parts if key(p) == "Set-up"
            for line in p if line.startswith("- run:")]
    for part in new_parts:
        if key(part) in ran and runs and not any(line.startswith("- run:") for line in part):
            part[1:1] = ["", runs[0] + " (this section; Set-up and Summary are the full run's)"]
    fresh = {key(p): p for p in new_parts if key(p) in ran or key(p) == "Reading"}
    parts = [fresh.pop(key(p), p) if key(p) in ran or key(p) == "Reading" else p
             for p in old_parts]
    reading = [i for i, p in enumerate(parts) if key(p) == "Reading"]
    at = reading[0] if reading else len(parts)
    for k in sorted(fresh, key=lambda k: (k == "Reading", k)):
        parts.insert(at if k != "Reading" else len(parts), fresh[k])
        at += k != "Reading"
    return "\n".join(old_head + [line for p in parts for line in p]) + "\n"


def repo_relative(path):
    """`path` as the page should show it: relative to the checkout, never this machine's."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    full = os.path.abspath(path)
    return os.path.relpath(full, repo) if full.startswith(repo + os.sep) else os.path.basename(full)


def markdown(meta, records, specs, unavailable, reading, plot_path):
    table, fails = aggregate(records), failures(records)
    servers = [s.name for s in specs]
    env = meta["environment"]
    o = meta["options"]
    out = ["# Benchmarks", "",
           "Written by `bench/run` (`make bench`); do not edit by hand. Every number is from one run "
           "on the machine below; on a shared machine absolute numbers drift, so read the ratios "
           "(forkd ÷ anchor, from the same run) and compare rows of the same run. Raw results: "
           "`bench/results/latest.json`.", "",
           "## Set-up", "",
           f"- run: {meta['started']}, {meta['duration_s']:.0f} s, "
           f"{'quick' if o['quick'] else 'full'} ({o['repeat']} repetitions; median, (min–max))",
           f"- machine: {env['cpu']}; {env['os']}; kernel {env['kernel']}; "
           f"load average at start {' '.join(env['loadavg_start'])}",
           f"- servers pinned to CPU {o['server_cpus']}, load generator (wrk, ab, the W4 sleepers, "
           + ("slowhttptest, strace, " if {"W3", "W6"} & set(o["only"]) else "")
           + f"this script) to CPU {o['load_cpus']}; process accounting: {meta['tracking']}",
           f"- forkd: `{env['forkd']}` ({repo_relative(o['forkd'])})",
           "- packages: " + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
           f"- W1: `wrk -t1 -c{o['connections']} -d{o['seconds']}s`, and the same with "
           "`bench/anchors/pipeline.lua` (16 requests pipelined); server CPU per request = "
           "user+system CPU of all server processes (their cgroup) ÷ requests",
           f"- W2: `ab -c{o['connections']} -t{o['ab_seconds']} -n{o['ab_requests']}` without `-k` "
           f"(the tutorial server: `-n{o['bounded_requests']}`, since each connection leaves a process)",
           f"- W3: `wrk -t1 -c{o['connections']} -d{o['seconds']}s` on `/static-14.bin` (14 B), "
           "`/static-4k.bin` (4,096 B) and `/static-1m.bin` (1,048,576 B), keep-alive: the same pseudo-random bytes for "
           "every server, written into the run's dir and checked (SHA-256) before each run. "
           "forkd with `root` (an inline route: hybrid's io worker answers it, with sendfile); "
           "nginx-1w from `nginx-static.conf.tmpl` (sendfile, open_file_cache); h2o `file.dir`; "
           "Apache from `apache-static.conf.tmpl` (no PHP, EnableSendfile On). MB/s is wrk's "
           "Transfer/sec (heads included) in 10^6 B/s. System calls: `strace -c -f` on every "
           "server process while `wrk -c1 -d2s` fetches the 4 KiB file (first repetition only)",
           f"- W4: 4, 8, 16 and 100 clients each keep one `GET /?sleep=2` in flight while "
           f"`ab -c{o['w4_clients']} -t{o['w4_seconds']}` measures `GET /` (new connections); "
           "8 application workers everywhere (forkd fork: `max_children = 8`)",
           "- W5: PSS from `/proc/PID/smaps_rollup`: master = the processes the bench started "
           "(nginx + php-fpm masters for nginx-php-fpm), one worker = the median other process; "
           "idle = after start-up and one request, load = halfway through W1 (W2 for servers "
           "without keep-alive)",
           f"- W6: `slowhttptest -H -c{o.get('slowloris', 1000)} -r{max(o.get('slowloris', 1000) // 2, 50)} "
           "-i10 -p3` opens slowloris connections (a header line every 10 s, never the end); once "
           f"their count stops growing, `wrk -t1 -c{o.get('w6_clients', 8)} -d{o.get('w6_seconds', 5)}s "
           "--timeout 5s -s bench/anchors/close.lua` measures `GET /` with a new connection per "
           "request. `held` = the server port's established connections (`ss`) before wrk, "
           "`of them not accepted` = its listen queue then; `held during wrk` includes wrk's own. "
           f"Open-files limit of servers and tools: {o.get('open_files', 'unknown')}. Header "
           "time-outs as shipped: forkd `client_header_timeout` 10 s, nginx 60 s, Apache `Timeout` "
           "60 s per read (no mod_reqtimeout): forkd ends each slowloris connection 10 s after it "
           "opened, so the measurement starts within a few seconds",
           f"- W7: `wrk -t1 -c{o['connections']} -d{o['seconds']}s` on `/?sleep=0` (keep-alive where "
           "the server keeps it; gunicorn's sync workers close): a blocking request in every "
           "server (forkd's demo dispatches any query with `sleep` to an app worker; PHP and "
           "WSGI run `app.php`, `gunicorn_app.py`), which sleeps 0 s and answers `繁忙等待` "
           "(12 bytes; forkd has no blocking route answering `this is server`)",
           "- every server: config from `bench/anchors/` (see its README), 127.0.0.1 and a free "
           "port, access log off, body `this is server` (checked before each run), started fresh "
           "for every run and stopped by PID", ""]
    # The set-up of W3, W6 and W7 only when the run had them.
    out = [line for line in out if not (line[:5] in ("- W3:", "- W6:", "- W7:")
                                        and line[2:4] not in o["only"])]
    for spec in specs:
        out.append(f"- **{spec.name}**: {spec.about}")
    for name, why in unavailable.items():
        out.append(f"- **{name}**: not measured: {why}")
    out.append("")
    out += ["## Summary", ""] + summary(table, servers, o) + [""] + targets(table, o) + [""]
    sections = [
        ("W1", "W1: hello, keep-alive", W1_COLUMNS, [("req/s", "rps"), ("CPU/req", "cpu_us")],
         "A ratio above 1 means forkd serves more requests per second; for CPU/req, below 1 "
         "means forkd spends less CPU per request. The tutorial server and tcpserver close "
         "every connection and are left out here (see W2)."),
        ("W2", "W2: hello, a new connection per request", W2_COLUMNS,
         [("req/s", "rps"), ("CPU/req", "cpu_us")],
         "`processes left` counts the server's processes just after the run: the tutorial's "
         "server keeps one per connection it ever accepted."),
        ("W3", "W3: static files, keep-alive", W3_COLUMNS,
         [("req/s", "rps"), ("CPU/req", "cpu_us")],
         "The issue's bar: nginx (sendfile and open_file_cache on) is the floor, h2o the goal; "
         "Apache prefork (8 servers, sendfile on) beside them. A ratio above 1 means forkd "
         "serves more; for CPU/req below 1 means forkd spends less. forkd prefork keeps 8 of "
         "the 32 connections at a time (the others wait in the listen queue, as in W1)."),
        ("W4", "W4: the tutorial's scenario", W4_COLUMNS, [("req/s", "rps"), ("p99", "p99")],
         "nginx alone and h2o have no application workers and no sleep route: they are not in "
         "W4. For p99 a ratio below 1 means forkd answers `/` faster. `processes` is the "
         "server's process count at the end of the run."),
        ("W5", "W5: memory (PSS)", W5_COLUMNS, [], ""),
        ("W6", "W6: slowloris", W6_COLUMNS, [("req/s", "rps"), ("p99", "p99")],
         "A server that answered no `/` in the window has no latency and a zero rate. "
         "`errors` are wrk's (time-outs: a waiting request counts again every 2 s); a "
         "connection whose connect never completes, because the listen queue is full and the "
         "kernel drops its SYNs, counts none. For p99 a ratio below 1 means forkd answers `/` "
         "faster. `server CPU µs/req` includes the work of holding the slowloris connections."),
        ("W7", "W7: a blocking request through an application worker", W7_COLUMNS,
         [("req/s", "rps"), ("CPU/req", "cpu_us")],
         "8 application workers everywhere. forkd hybrid: the io worker parses the request and "
         "hands the connection to an app worker, which answers and hands it back; forkd "
         "prefork runs it in the worker that holds the connection. Targets: hybrid ≥2x nginx + "
         "PHP-FPM and ≥3x gunicorn in requests per second."),
    ]
    pools = {"W3", "W6", "W7"}  # their ratio columns: forkd hybrid and prefork
    for workload, title, columns, ratios, note in sections:
        if workload not in o["only"]:
            continue
        out += [f"## {title}", ""]
        if columns:
            out += workload_table(table, fails, workload, servers, columns, ratios,
                                  FORKD_POOLS if workload in pools else FORKD) + [""]
        if workload == "W3":
            calls = syscall_table(records, servers)
            if calls:
                out += ["System calls per request, 4 KiB file, one keep-alive connection "
                        "(`strace -c -f`, every process of the server):", ""] + calls + [""]
        if workload == "W4" and plot_path:
            out += [f"![W4 latency of GET / while sleep requests are in flight]"
                    f"(img/{plot_path.name})", ""]
        if note:
            out += [note, ""]
    if any(w in o["only"] for w in ("W8a", "W8b", "W8c")):
        out += w8_section(meta, table, fails, servers, specs, o)
    if "W9" in o["only"]:
        out += w9_section(meta, table, fails, servers, specs, o)
    if "W10" in o["only"]:
        out += w10_section(meta, table, fails, servers, specs, o)
    if reading:
        out += ["## Reading", "", "*(From `bench/reading.md`, written by hand after a run.)*", "",
                reading.strip(), ""]
    return "\n".join(out)
