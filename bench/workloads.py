#!/usr/bin/env python3
"""Issue 28's four workloads: StickyLb against stock YARP and HAProxy, side by side in one run.

The workloads (every request with a sticky cookie that pins backend 2):
  keep-alive 32    32 keep-alive connections
  keep-alive 256   256 keep-alive connections
  new connection   a new connection per request (`-H "Connection: close"`, 32 connections)
  HTTPS 32         HTTPS with keep-alive, 32 connections (TLS terminated by the contender)

The contenders, each one process with an HTTP and an HTTPS listener in front of three nginx
`return 200` backends:
  StickyLb         `--spawn false --listen http://... --listen https://... --certificate --certificate-key`
  stock YARP       bench/StockYarp with YARP's HashCookie policy and YARP's default runtime settings:
                   none of StickyLb's (StockYarp's build carries StickyLb's GC and thread-pool settings, so
                   it runs here with `dotnet exec --runtimeconfig` on a copy of its runtimeconfig.json
                   without them, and without StickyLb's inline socket completions); its HTTPS endpoint
                   through Kestrel's own configuration (Kestrel:Endpoints:Https:Certificate:Path/KeyPath).
                   The target of issue 28: StickyLb >= 1.0x its throughput, p99 <= 1.10x its p99.
  HAProxy          `cookie server insert indirect nocache`, `bind ... ssl crt` (information)
The certificate is a self-signed one made by openssl in the run's temp folder, the same for all three.

Each workload runs its rounds back to back: every round runs each contender once (every other round in
reverse order), `wrk -t2 --latency`. The report gives, per workload, each contender's median
requests/s, p99 and CPU µs per request (the contender's own user + kernel time from /proc, divided by
the requests wrk counted), and the medians of the per-round ratios StickyLb / stock YARP and StickyLb /
HAProxy. Run it through `bench/gateway.sh workloads`, which installs the tools and builds StickyLb and
bench/StockYarp in Release.
"""
import argparse
import datetime
import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway  # noqa: E402  (the same backends, HAProxy, wrk, warm-up and CPU accounting as the main benchmark)

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")
STICKYLB, STOCK, HAPROXY = "StickyLb", "stock YARP (HashCookie, YARP's defaults)", "HAProxy"
# (name, scheme, connections, extra wrk headers)
WORKLOADS = [
    ("keep-alive, 32 connections", "http", 32, ()),
    ("keep-alive, 256 connections", "http", 256, ()),
    ("a new connection per request (Connection: close, 32 connections)", "http", 32, ("Connection: close",)),
    ("HTTPS, keep-alive, 32 connections", "https", 32, ()),
]
# The settings StickyLb's build gives itself (src/Proxy/Proxy.csproj) that bench/StockYarp's build copies;
# stock YARP as YARP ships runs without them.
STICKYLB_RUNTIME_KEYS = ("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", "System.GC.DynamicAdaptationMode")
HEADING = "# Gateway workloads (issue 28)"
UNVERIFIED = ssl._create_unverified_context()


def make_certificate(folder):
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    combined = os.path.join(folder, "combined.pem")
    with open(combined, "w") as out:
        out.write(open(cert).read() + open(key).read())
    return cert, key, combined


def get(url, cookie=None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10, context=UNVERIFIED if url.startswith("https") else None) as response:
        return response.read().decode().strip()


def check_pins(name, url, cookie):
    """Every contender, on each listener, must send the cookie's requests to backend 2."""
    answers = {get(url, cookie) for _ in range(6)}
    if answers != {"ok 2"}:
        raise RuntimeError(f"{name} at {url} with '{cookie}' answered {sorted(answers)}, not only 'ok 2'")


def start_stickylb(processes, backends, cert, key, dll=gateway.PROXY_DLL, env=None):
    http, https, admin = gateway.free_port(), gateway.free_port(), gateway.free_port()
    process = processes.start("stickylb", [
        "dotnet", dll, "--spawn", "false", "--listen", f"http://127.0.0.1:{http}",
        "--listen", f"https://127.0.0.1:{https}", "--certificate", cert, "--certificate-key", key,
        "--admin-port", str(admin), *gateway.destinations(backends, 3)], env={**gateway.STICKYLB_ENV, **(env or {})})
    log = os.path.join(processes.folder, "stickylb.log")
    deadline = time.time() + 90
    while time.time() < deadline:
        text = open(log).read()
        if "StickyLb ready:" in text:
            return process.pid, f"http://127.0.0.1:{http}/", f"https://127.0.0.1:{https}/"
        if process.poll() is not None:
            raise RuntimeError(f"StickyLb exited: {text.strip().splitlines()[-3:]}")
        time.sleep(0.05)
    raise RuntimeError("StickyLb was not ready within 90 s")


def default_runtimeconfig(folder):
    """bench/StockYarp's runtimeconfig.json without the settings it copies from StickyLb."""
    with open(gateway.STOCK_YARP_DLL[:-len(".dll")] + ".runtimeconfig.json") as f:
        config = json.load(f)
    properties = config["runtimeOptions"].get("configProperties", {})
    for key in STICKYLB_RUNTIME_KEYS:
        properties.pop(key, None)
    return gateway.write(folder, "stock-yarp.runtimeconfig.json", json.dumps(config, indent=2)), properties


def start_stock_yarp(processes, backends, cert, key):
    http, https = gateway.free_port(), gateway.free_port()
    runtimeconfig, _ = default_runtimeconfig(processes.folder)
    tuned = [k for k in os.environ if k.startswith(("DOTNET_SYSTEM_NET_SOCKETS", "DOTNET_ThreadPool", "DOTNET_GC", "COMPlus_"))]
    if tuned:
        sys.exit(f"workloads.py: unset {', '.join(tuned)}: stock YARP runs with YARP's default runtime settings")
    process = processes.start("stock-yarp", [
        "dotnet", "exec", "--runtimeconfig", runtimeconfig, gateway.STOCK_YARP_DLL, *gateway.destinations(backends, 3),
        "--ReverseProxy:Clusters:backends:SessionAffinity:Policy", "HashCookie",
        "--Kestrel:Endpoints:Http:Url", f"http://127.0.0.1:{http}",
        "--Kestrel:Endpoints:Https:Url", f"https://127.0.0.1:{https}",
        "--Kestrel:Endpoints:Https:Certificate:Path", cert, "--Kestrel:Endpoints:Https:Certificate:KeyPath", key])
    gateway.wait_http(f"http://127.0.0.1:{http}/")
    return process.pid, f"http://127.0.0.1:{http}/", f"https://127.0.0.1:{https}/"


def start_haproxy(processes, backends, combined):
    process, http, https = gateway.haproxy(processes, processes.folder, backends, certificate=combined)
    return process.pid, http, https


def wait_for_quiet(max_load, limit=600):
    """Waits (at most `limit` s) until the machine's 1-minute load average is under `max_load`."""
    deadline = time.time() + limit
    while os.getloadavg()[0] >= max_load and time.time() < deadline:
        print(f"waiting for a quiet machine: load {os.getloadavg()[0]:.2f} >= {max_load}", file=sys.stderr)
        time.sleep(15)
    load = os.getloadavg()[0]
    if load >= max_load:
        print(f"the load was still {load:.2f} after {limit} s; measuring anyway", file=sys.stderr)
    return load


def measure(name, pid, url, cookie, args, connections, headers):
    before = gateway.cpu_ticks(pid)
    run = gateway.wrk(url, args.duration, connections, args.threads, cookie, headers)
    after = gateway.cpu_ticks(pid)
    requests = max(run["rps"] * args.duration, 1)
    run["user_us"] = (after[0] - before[0]) * TICK_US / requests
    run["kernel_us"] = (after[1] - before[1]) * TICK_US / requests
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=9, help="seconds of load per contender and listener before the rounds")
    parser.add_argument("--max-load", type=float, default=0,
                        help="before measuring, wait (at most 10 min) until the 1-minute load average is below this (0: do not wait)")
    parser.add_argument("--only", default="", help="comma-separated workload numbers to run (1-4, in the order above); default all")
    parser.add_argument("--out", default=os.path.join(gateway.ROOT, "bench", "results.md"),
                        help="the report goes at the top of this file, replacing the previous workloads report there and keeping the rest")
    args = parser.parse_args()
    if args.rounds < 3:
        sys.exit("workloads.py: --rounds must be at least 3 (the report gives medians of rounds)")
    for dll in (gateway.PROXY_DLL, gateway.STOCK_YARP_DLL):
        if not os.path.exists(dll):
            sys.exit(f"workloads.py: {dll} is missing; run bench/gateway.sh workloads (it builds Release)")

    started = time.time()
    folder = tempfile.mkdtemp(prefix="stickylb-workloads-")
    processes = gateway.Processes(folder)
    try:
        cert, key, combined = make_certificate(folder)
        backends = gateway.start_backends(processes, folder)
        contenders = {
            STICKYLB: start_stickylb(processes, backends, cert, key),
            STOCK: start_stock_yarp(processes, backends, cert, key),
            HAPROXY: start_haproxy(processes, backends, combined),
        }
        cookies = {STICKYLB: gateway.COOKIE, HAPROXY: gateway.COOKIE, STOCK: gateway.stock_yarp_cookie(contenders[STOCK][1])}
        for name, (_, http, https) in contenders.items():
            check_pins(name, http, cookies[name])
            check_pins(name, https, cookies[name])
        load = wait_for_quiet(args.max_load) if args.max_load else os.getloadavg()[0]
        print(f"warming up; 1-minute load {load:.2f}", file=sys.stderr)
        gateway.warm_up(processes, [(url, cookies[name]) for name, (_, http, https) in contenders.items() for url in (http, https)],
                        args.warmup, 32, args.threads)
        results = {}
        chosen = [WORKLOADS[int(n) - 1] for n in args.only.split(",")] if args.only else WORKLOADS
        for workload, scheme, connections, headers in chosen:
            url_of = {name: (http if scheme == "http" else https) for name, (_, http, https) in contenders.items()}
            # One short unmeasured run each, so the paths this workload adds (256 connections, a connection
            # per request) are compiled before the rounds.
            for name in contenders:
                gateway.wrk(url_of[name], 2, connections, args.threads, cookies[name], headers)
            results[workload] = {name: [] for name in contenders}
            order = list(contenders)
            for round_number in range(1, args.rounds + 1):
                for name in (order if round_number % 2 else reversed(order)):
                    run = measure(name, contenders[name][0], url_of[name], cookies[name], args, connections, headers)
                    results[workload][name].append(run)
                    print(f"{workload} round {round_number}/{args.rounds} {name}: {run['rps']:.0f} req/s, p99 {run['p99']:.2f} ms, "
                          f"CPU {run['user_us']:.1f} + {run['kernel_us']:.1f} µs/request, errors {run['errors']} {run['socket_errors']}",
                          file=sys.stderr)
    finally:
        processes.stop_all()
    report = render(args, results, load, time.time() - started)
    write_report(args.out, report)
    print(report)


def paired(results, a, b, key):
    pairs = [x[key] / y[key] for x, y in zip(results[a], results[b]) if y[key]]
    return statistics.median(pairs) if pairs else float("nan")


def render(args, results, load, seconds):
    _, properties = default_runtimeconfig(tempfile.gettempdir())
    lines = [
        HEADING, "",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; the run took {seconds / 60:.1f} min; "
        f"1-minute load {load:.2f} before the warm-up.", "",
        f"- Machine: {os.cpu_count()} cores, {gateway.cpu_model()}, {platform.platform()}.",
        f"- Versions: {gateway.version(['dotnet', '--version'])} (.NET SDK), {gateway.version(['haproxy', '-v'])}, "
        f"{gateway.version(['wrk', '--version'])}, {gateway.version(['openssl', 'version'])}.",
        f"- Command: `bench/gateway.sh workloads --rounds {args.rounds} --duration {args.duration}"
        f"{f' --max-load {args.max_load:g}' if args.max_load else ''}`; each run `wrk -t{args.threads} -cN -d{args.duration}s --latency "
        f"-H 'Cookie: ...' [-H 'Connection: close'] URL`.",
        f"- Stock YARP: bench/StockYarp, `HashCookie`, run with `dotnet exec --runtimeconfig` on its runtimeconfig.json without "
        f"{' and '.join(f'`{k}`' for k in STICKYLB_RUNTIME_KEYS)} (left: {', '.join(f'`{k}`' for k in properties)}); "
        "its clients send the cookie it issued for backend 2, the others `server=2`.",
        "- Backends: three nginx `return 200`; wrk, the contenders and the backends share the cores. "
        f"Medians of {args.rounds} rounds; ratios are medians of per-round ratios (the pair ran back to back in each round).", "",
        "| workload | StickyLb / stock YARP throughput | StickyLb / stock YARP p99 | StickyLb / HAProxy throughput | StickyLb / HAProxy p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for workload, runs in results.items():
        lines.append(f"| {workload} | {paired(runs, STICKYLB, STOCK, 'rps'):.2f}x | {paired(runs, STICKYLB, STOCK, 'p99'):.2f}x "
                     f"| {paired(runs, STICKYLB, HAPROXY, 'rps'):.2f}x | {paired(runs, STICKYLB, HAPROXY, 'p99'):.2f}x |")
    for workload, runs in results.items():
        lines += ["", f"### {workload}", "",
                  "| contender | requests/s | p99 ms | CPU µs/request (user + kernel) | rounds (requests/s) | rounds (p99 ms) | errors |",
                  "|---|---:|---:|---:|---|---|---:|"]
        for name, rs in runs.items():
            med = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p99", "user_us", "kernel_us")}
            errors = sum(r["errors"] for r in rs)
            socket_errors = "; ".join(sorted({r["socket_errors"] for r in rs if r["socket_errors"]}))
            lines.append(f"| {name} | {med['rps']:.0f} | {med['p99']:.2f} | {med['user_us']:.1f} + {med['kernel_us']:.1f} "
                         f"| {', '.join('%.0f' % r['rps'] for r in rs)} | {', '.join('%.2f' % r['p99'] for r in rs)} "
                         f"| {errors}{' (socket: ' + socket_errors + ')' if socket_errors else ''} |")
        lines += ["", f"StickyLb / stock YARP: throughput {paired(runs, STICKYLB, STOCK, 'rps'):.2f}x, p99 {paired(runs, STICKYLB, STOCK, 'p99'):.2f}x "
                  f"(target: >= 1.00x and <= 1.10x); StickyLb / HAProxy: {paired(runs, STICKYLB, HAPROXY, 'rps'):.2f}x and "
                  f"{paired(runs, STICKYLB, HAPROXY, 'p99'):.2f}x."]
    lines.append("")
    return "\n".join(lines)


def write_report(path, report):
    """Puts the report at the top of `path`: replaces a previous workloads report there, keeps the rest
    (the main benchmark's report and the history)."""
    rest = ""
    try:
        rest = open(path).read()
    except FileNotFoundError:
        pass
    if rest.startswith(HEADING):
        cut = [i for i in (rest.find("\n# Gateway benchmark"), rest.find("\n" + gateway.HISTORY_MARKER)) if i >= 0]
        rest = rest[min(cut) + 1:] if cut else ""
    with open(path, "w") as f:
        f.write(report + ("\n" + rest if rest else ""))


if __name__ == "__main__":
    main()
