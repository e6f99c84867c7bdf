"""Turns result records into docs/benchmarks.md (one table per workload, ratios forkd /
anchor from the same run), the W4 latency plot in docs/img/, and the environment lines.
"""
import os
import platform
import statistics
import subprocess
from collections import defaultdict

FORKD = ("forkd-fork", "forkd-prefork")
PACKAGES = ("nginx", "h2o", "apache2", "libapache2-mod-php8.2", "php8.2-fpm", "php8.2-cli",
            "gunicorn", "ucspi-tcp", "wrk", "apache2-utils", "python3-matplotlib")


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


def workload_table(table, fails, workload, servers, columns, ratios):
    """One Markdown table: a row per (server, variant) in run order."""
    head = ["server", "variant"] + [c[0] for c in columns] + \
           [f"{f.removeprefix('forkd-')} ÷ this, {label}" for label, _ in ratios for f in FORKD]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = [k for k in table if k[0] == workload] + [k for k in fails if k[0] == workload]
    order = {name: i for i, name in enumerate(servers)}
    for key in sorted(set(keys), key=lambda k: (k[2], order.get(k[1], 99))):
        if key in fails and key not in table:
            lines.append(f"| {key[1]} | {key[2]} | failed: {fails[key][:120]} |")
            continue
        row = table[key]
        cells = [key[1], key[2]] + [spread(row.get(metric), digits) for _, metric, digits in columns]
        cells += [ratio(table, key, f, metric) for _, metric in ratios for f in FORKD]
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


def summary(table, servers):
    """One line per server with the headline number of each workload."""
    cols = [("W1 req/s", ("W1", "keep-alive"), "rps", 0),
            ("W1 CPU µs/req", ("W1", "keep-alive"), "cpu_us", 1),
            ("W1 pipelined req/s", ("W1", "pipelined 16"), "rps", 0),
            ("W2 conn/s", ("W2", "new connection"), "rps", 0),
            ("W4 8 in flight p99 ms", ("W4", "8 in flight"), "p99", 1),
            ("W5 idle PSS KiB", ("W5", "idle"), "total_kib", 0)]
    lines = ["| server | " + " | ".join(c[0] for c in cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for s in servers:
        cells = [num(table.get((w, s, v), {}).get(m, (None,))[0], d) for _, (w, v), m, d in cols]
        if any(c != "–" for c in cells):
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return lines


def targets(table):
    """The issue's fork-mode targets: 5x tcpserver's and 20x the tutorial's connections/s."""
    lines = []
    for anchor, goal in (("tcpserver", 5), ("tutorial-php", 20)):
        mine = table.get(("W2", "forkd-fork", "new connection"), {}).get("rps")
        theirs = table.get(("W2", anchor, "new connection"), {}).get("rps")
        if mine and theirs and theirs[0]:
            got = mine[0] / theirs[0]
            verdict = "met" if got >= goal else f"not met ({got / goal:.0%} of the target)"
            lines.append(f"- forkd fork ÷ {anchor}, connections per second: **{got:.2f}x** "
                         f"(target {goal}x): {verdict}")
    return lines


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
           f"this script) to CPU {o['load_cpus']}; process accounting: {meta['tracking']}",
           f"- forkd: `{env['forkd']}` ({o['forkd']})",
           "- packages: " + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
           f"- W1: `wrk -t1 -c{o['connections']} -d{o['seconds']}s`, and the same with "
           "`bench/anchors/pipeline.lua` (16 requests pipelined); server CPU per request = "
           "user+system CPU of all server processes (their cgroup) ÷ requests",
           f"- W2: `ab -c{o['connections']} -t{o['ab_seconds']} -n{o['ab_requests']}` without `-k` "
           f"(the tutorial server: `-n{o['bounded_requests']}`, since each connection leaves a process)",
           f"- W4: 4, 8 and 16 clients each keep one `GET /?sleep=2` in flight while "
           f"`ab -c{o['w4_clients']} -t{o['w4_seconds']}` measures `GET /` (new connections); "
           "8 application workers everywhere (forkd fork: `max_children = 8`)",
           "- W5: PSS from `/proc/PID/smaps_rollup`: master = the processes the bench started "
           "(nginx + php-fpm masters for nginx-php-fpm), one worker = the median other process; "
           "idle = after start-up and one request, load = halfway through W1 (W2 for servers "
           "without keep-alive)",
           "- every server: config from `bench/anchors/` (see its README), 127.0.0.1 and a free "
           "port, access log off, body `this is server` (checked before each run), started fresh "
           "for every run and stopped by PID", ""]
    for spec in specs:
        out.append(f"- **{spec.name}**: {spec.about}")
    for name, why in unavailable.items():
        out.append(f"- **{name}**: not measured: {why}")
    out.append("")
    out += ["## Summary", ""] + summary(table, servers) + [""] + targets(table) + [""]
    sections = [
        ("W1", "W1: hello, keep-alive", W1_COLUMNS, [("req/s", "rps"), ("CPU/req", "cpu_us")],
         "A ratio above 1 means forkd serves more requests per second; for CPU/req, below 1 "
         "means forkd spends less CPU per request. The tutorial server and tcpserver close "
         "every connection and are left out here (see W2)."),
        ("W2", "W2: hello, a new connection per request", W2_COLUMNS,
         [("req/s", "rps"), ("CPU/req", "cpu_us")],
         "`processes left` counts the server's processes just after the run: the tutorial's "
         "server keeps one per connection it ever accepted."),
        ("W3", "W3: static files", None, None,
         "Waits for the static-files issue (4 KiB and 1 MiB, keep-alive): the hook is at the "
         "end of `bench/workloads.py`."),
        ("W4", "W4: the tutorial's scenario", W4_COLUMNS, [("req/s", "rps"), ("p99", "p99")],
         "nginx alone and h2o have no application workers and no sleep route: they are not in "
         "W4. For p99 a ratio below 1 means forkd answers `/` faster. `processes` is the "
         "server's process count at the end of the run."),
        ("W5", "W5: memory (PSS)", W5_COLUMNS, [], ""),
    ]
    for workload, title, columns, ratios, note in sections:
        if workload not in o["only"]:
            continue
        out += [f"## {title}", ""]
        if columns:
            out += workload_table(table, fails, workload, servers, columns, ratios) + [""]
        if workload == "W4" and plot_path:
            out += [f"![W4 latency of GET / while sleep requests are in flight]"
                    f"(img/{plot_path.name})", ""]
        if note:
            out += [note, ""]
    if reading:
        out += ["## Reading", "", "*(From `bench/reading.md`, written by hand after a run.)*", "",
                reading.strip(), ""]
    return "\n".join(out)
