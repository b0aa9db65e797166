#!/usr/bin/env python3
"""Idle client connections and what they cost the backends (issue 28, part 4): StickyLb against stock YARP.

For each number of clients (default 3,000 and 10,000) and each contender, on a fresh process each time:
warm it up (a short wrk run), then open that many keep-alive client connections, each sending one request
(`GET /` with the cookie that pins backend 2) and reading its answer, at most `--parallel` of them on their way
at once (a burst of clients arriving), and keep them all open and idle. Then count
  - the contender's backend connections: its established TCP connections to the three nginx backends (`ss -p`),
  - its resident memory growth: VmRSS after the clients are connected minus VmRSS before them.
Every request must answer 200 from backend 2. Rounds alternate the contenders; the report gives medians.

Contenders: StickyLb (`--spawn false`, this build) and stock YARP (bench/StockYarp, HashCookie, YARP's default
runtime settings, as bench/workloads.py runs it); `--dll LABEL=PATH` adds another StickyLb build (e.g. an older
commit) as information. The targets (issue 28): with 3,000 idle client connections, StickyLb's backend connections
at most 2x stock YARP's and its memory growth at most 1.2x stock YARP's.

    bench/gateway.sh idle [--clients 3000,10000] [--rounds 3] [--dll before=/tmp/before/Proxy.dll]
"""
import argparse
import asyncio
import datetime
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway  # noqa: E402
import workloads  # noqa: E402

STICKYLB, STOCK = "StickyLb", "stock YARP (HashCookie, YARP's defaults)"
HEADING = "# Idle client connections (issue 28)"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def backend_connections(pid, backends):
    """The established TCP connections of process `pid` to any of the backend ports."""
    ports = " or ".join(f"dport = :{p}" for p in backends)
    out = subprocess.run(["ss", "-Htnp", "state", "established", f"( {ports} )"], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if f"pid={pid}," in line)


async def open_idle_clients(url, cookie, count, parallel):
    """`count` connections, each after one request answered by backend 2, left open; returns them."""
    host, port = url.split("//")[1].strip("/").split(":")
    request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
    gate = asyncio.Semaphore(parallel)
    failures = []

    async def one():
        async with gate:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
            body = await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200") or body.strip() != b"ok 2":
                failures.append(head.split(b"\r\n")[0] + b" " + body)
            return writer

    writers = await asyncio.gather(*(one() for _ in range(count)))
    if failures:
        raise RuntimeError(f"{len(failures)} of {count} requests were not answered 200 by backend 2: {failures[:3]}")
    return writers


def measure(name, start, backends, count, args, folder):
    processes = gateway.Processes(folder)
    try:
        pid, url, cookie = start(processes)
        gateway.wrk(url, 3, 32, 2, cookie)
        time.sleep(1)
        before_rss, before_conns = rss_kib(pid), backend_connections(pid, backends)
        loop = asyncio.new_event_loop()
        opened = time.time()
        writers = loop.run_until_complete(open_idle_clients(url, cookie, count, args.parallel))
        seconds = time.time() - opened
        time.sleep(args.settle)
        after_rss, after_conns = rss_kib(pid), backend_connections(pid, backends)
        later_conns = None
        if args.later:
            time.sleep(args.later)
            later_conns = backend_connections(pid, backends)
        for writer in writers:
            writer.close()
        loop.close()
        result = {"backend_connections": after_conns, "before_connections": before_conns, "later_connections": later_conns,
                  "growth_mb": (after_rss - before_rss) / 1024, "rss_mb": after_rss / 1024, "open_s": seconds}
        print(f"{count} idle clients, {name}: {after_conns} backend connections (before {before_conns}, {later_conns} after {args.later:g} s more), "
              f"RSS +{result['growth_mb']:.1f} MB to {result['rss_mb']:.0f} MB, opened in {seconds:.1f} s", file=sys.stderr)
        return result
    finally:
        processes.stop_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="3000,10000", help="comma-separated numbers of idle client connections")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=256, help="client connections on their way at once")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds between the last answer and the count")
    parser.add_argument("--later", type=float, default=8.0,
                        help="seconds after the first count for a second one (past StickyLb's 5 s idle timeout); 0: none")
    parser.add_argument("--dll", action="append", default=[], help="LABEL=PATH: another StickyLb build, as information")
    parser.add_argument("--out", default=os.path.join(gateway.ROOT, "bench", "idle-results.md"))
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    # Open files: the clients here, and in a contender the clients plus its backend connections. The soft limit goes
    # up to the hard one (raising the hard one needs a privilege containers often lack).
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limit = hard if hard != resource.RLIM_INFINITY else 1 << 20
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    if max(counts) + 1000 > limit:
        sys.exit(f"idle.py: {max(counts)} clients need more open files than the limit of {limit}")

    folder = tempfile.mkdtemp(prefix="stickylb-idle-")
    backend_processes = gateway.Processes(folder)
    started = time.time()
    try:
        backends = gateway.start_backends(backend_processes, folder, worker_connections=min(max(counts) * 2 + 1000, limit - 100))
        cert, key, _ = workloads.make_certificate(folder)

        def stickylb(dll):
            def start(processes):
                pid, http, _ = workloads.start_stickylb(processes, backends, cert, key, dll=dll)
                return pid, http, gateway.COOKIE
            return start

        def stock(processes):
            pid, http, _ = workloads.start_stock_yarp(processes, backends, cert, key)
            return pid, http, gateway.stock_yarp_cookie(http)

        contenders = {STICKYLB: stickylb(gateway.PROXY_DLL), STOCK: stock}
        for spec in args.dll:
            label, _, path = spec.partition("=")
            contenders[f"StickyLb {label}"] = stickylb(path)
        results = {count: {name: [] for name in contenders} for count in counts}
        for count in counts:
            for round_number in range(1, args.rounds + 1):
                order = list(contenders) if round_number % 2 else list(reversed(contenders))
                for name in order:
                    if name.startswith("StickyLb ") and count * 2 + 1000 > limit:
                        # An older build holds a backend connection per client: it would run out of open files.
                        continue
                    sub = tempfile.mkdtemp(dir=folder)
                    results[count][name].append(measure(name, contenders[name], backends, count, args, sub))
    finally:
        backend_processes.stop_all()
    report = render(args, results, time.time() - started)
    write(args.out, report)
    print(report)


def write(path, report):
    """Puts the report at the top of `path`, keeping the earlier reports below it."""
    rest = open(path).read() if os.path.exists(path) else ""
    with open(path, "w") as f:
        f.write(report + ("\n" + rest if rest else ""))


def render(args, results, seconds):
    lines = [
        HEADING, "",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; the run took {seconds / 60:.1f} min.", "",
        f"- Machine: {os.cpu_count()} cores, {gateway.cpu_model()}, {platform.platform()}; {gateway.version(['dotnet', '--version'])} (.NET SDK).",
        f"- Command: `bench/gateway.sh idle --clients {args.clients} --rounds {args.rounds} --parallel {args.parallel}"
        f"{''.join(f' --dll {d}' for d in args.dll)}`: a fresh process per contender and round, warmed up by `wrk -c32 -d3s`; "
        f"then N keep-alive connections, each after one `GET /` answered by backend 2, at most {args.parallel} on their way at once, "
        f"left open; counted {args.settle:g} s after the last answer, and again {args.later:g} s later. Backend connections: the contender's established TCP connections "
        "to the three nginx backends (`ss -p`). Memory: VmRSS after minus before the clients.", "",
        f"| idle client connections | contender | backend connections | {args.later:g} s later | RSS growth MB | RSS MB | rounds (backend connections) | rounds (growth MB) |",
        "|---:|---|---:|---:|---:|---:|---|---|",
    ]
    for count, runs in results.items():
        for name, rs in runs.items():
            if not rs:
                lines.append(f"| {count} | {name} | not run: a backend connection per client needs more open files than the limit | | | | | |")
                continue
            later = [r["later_connections"] for r in rs if r["later_connections"] is not None]
            lines.append(f"| {count} | {name} | {statistics.median(r['backend_connections'] for r in rs):.0f} "
                         f"| {statistics.median(later) if later else float('nan'):.0f} "
                         f"| {statistics.median(r['growth_mb'] for r in rs):.1f} | {statistics.median(r['rss_mb'] for r in rs):.0f} "
                         f"| {', '.join(str(r['backend_connections']) for r in rs)} | {', '.join('%.1f' % r['growth_mb'] for r in rs)} |")
    lines.append("")
    for count, runs in results.items():
        ours, theirs = runs[STICKYLB], runs[STOCK]
        connections = statistics.median(r["backend_connections"] for r in ours) / max(statistics.median(r["backend_connections"] for r in theirs), 1)
        growth = statistics.median(r["growth_mb"] for r in ours) / max(statistics.median(r["growth_mb"] for r in theirs), 0.1)
        later = [statistics.median(r["later_connections"] for r in rs) for rs in (ours, theirs) if all(r["later_connections"] is not None for r in rs)]
        lines.append(f"- {count} idle client connections: StickyLb / stock YARP backend connections **{connections:.2f}x** {args.settle:g} s after "
                     f"the last answer (target <= 2x)"
                     f"{f', {later[0] / max(later[1], 1):.2f}x {args.later:g} s later' if len(later) == 2 else ''}; memory growth **{growth:.2f}x** (target <= 1.2x).")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
