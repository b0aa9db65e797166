#!/usr/bin/env python3
"""StickyLb variants side by side with HAProxy: throughput, p99 and CPU per request.

Each variant is a StickyLb gateway (`--spawn false`, Release) started with its own environment, so
runtime and configuration settings can be compared in one run before one is chosen:

    bench/variants.py "now:" "gen0 64MB:DOTNET_GCgen0size=0x4000000" --rounds 5

A variant is `label:NAME=VALUE,NAME=VALUE` (an empty list is the build as it is). Configuration keys work
too, as environment variables (`Logging__LogLevel__Default=None`). `DLL=path/to/Proxy.dll` runs another
build instead, to measure a code change before and after in one run:

    git stash && dotnet build src/Proxy -c Release -o /tmp/before && git stash pop && dotnet build src/Proxy -c Release
    bench/variants.py "before:DLL=/tmp/before/Proxy.dll" "after:"

`BACKENDS=h2c` gives a variant three nginx backends of its own that speak only HTTP/2 in cleartext; with YARP's
cluster settings for HTTP/2 to the backends, that measures the HTTP/2 option (each answer framed on its own stream):

    h2=ReverseProxy__Clusters__backends__HttpRequest__Version=2,ReverseProxy__Clusters__backends__HttpRequest__VersionPolicy=RequestVersionExact
    bench/variants.py "http/1.1:" "http/2:BACKENDS=h2c,$h2"

`DESTINATIONS=N` gives a variant N destinations instead of 3 (they take the three backends' addresses in
turn; every request is pinned to destination 2): the cost of many backends, in one run with HAProxy:

    off=ReverseProxy__Clusters__backends__HealthCheck__Active__Enabled=false
    bench/variants.py "3:DESTINATIONS=3,$off" "200:DESTINATIONS=200,$off"

Every variant and HAProxy run in turn in each round (every other round in reverse order) against the
same three nginx backends, with `Cookie: server=2`. Besides requests/s and p99 it reports the gateway's own CPU time per request, user
and kernel, from /proc: on a machine that wrk, the proxy and the backends share, that is the figure
a change to the gateway moves, while requests/s also moves with the neighbours.
Run `bench/gateway.sh` once first: it installs the tools and builds StickyLb in Release.
"""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway  # noqa: E402  (the same backends, HAProxy and wrk as the main benchmark)

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def parse_variant(spec):
    label, _, settings = spec.partition(":")
    if not label:
        sys.exit(f"variants.py: '{spec}' has no label; write label:NAME=VALUE,...")
    env = {}
    for item in filter(None, settings.split(",")):
        name, sep, value = item.partition("=")
        if not sep or not name:
            sys.exit(f"variants.py: '{item}' in '{spec}' is not NAME=VALUE")
        env[name] = value
    return label, env


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", metavar="label:NAME=VALUE,...")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--header", action="append", default=[],
                        help="a further request header for every wrk run, e.g. 'Connection: close' (a new connection per request)")
    parser.add_argument("--warmup", type=int, default=9, help="seconds of load per contender before the rounds")
    args = parser.parse_args()
    if args.rounds < 3:
        sys.exit("variants.py: --rounds must be at least 3 (the report gives medians of rounds)")
    if not os.path.exists(gateway.PROXY_DLL):
        sys.exit(f"variants.py: {gateway.PROXY_DLL} is missing; run bench/gateway.sh once (it builds Release)")
    variants = [parse_variant(spec) for spec in args.variants]

    folder = tempfile.mkdtemp(prefix="stickylb-variants-")
    processes = gateway.Processes(folder)
    try:
        backends = gateway.start_backends(processes, folder)
        h2c_backends = None
        contenders = []
        for number, (label, env) in enumerate(variants):
            dll = env.pop("DLL", gateway.PROXY_DLL)
            count = int(env.pop("DESTINATIONS", "3"))
            own = backends
            if env.pop("BACKENDS", None) == "h2c":
                h2c_backends = h2c_backends or gateway.start_backends(processes, folder, http2=True)
                own = h2c_backends
            url, _ = gateway.start_stickylb(processes, f"variant-{number}", ["--spawn", "false", *gateway.destinations(own, count)], env=env, dll=dll)
            contenders.append((label, url, processes.running[-1][1].pid))
        url = gateway.start_haproxy(processes, folder, backends)
        contenders.append(("HAProxy", url, processes.running[-1][1].pid))

        gateway.warm_up(processes, [(url, gateway.COOKIE) for _, url, _ in contenders], args.warmup, args.connections, 2)
        results = {label: [] for label, _, _ in contenders}
        for round_number in range(1, args.rounds + 1):
            for label, url, pid in (contenders if round_number % 2 else reversed(contenders)):
                before = gateway.cpu_ticks(pid)
                run = gateway.wrk(url, args.duration, args.connections, 2, gateway.COOKIE, tuple(args.header))
                after = gateway.cpu_ticks(pid)
                requests = run["rps"] * args.duration
                run["user_us"] = (after[0] - before[0]) * TICK_US / requests
                run["kernel_us"] = (after[1] - before[1]) * TICK_US / requests
                results[label].append(run)
                print(f"round {round_number}/{args.rounds} {label}: {run['rps']:.0f} req/s, p99 {run['p99']:.2f} ms, "
                      f"CPU {run['user_us']:.1f} µs user + {run['kernel_us']:.1f} µs kernel per request", file=sys.stderr)
    finally:
        processes.stop_all()

    def median(label, key):
        return statistics.median(r[key] for r in results[label])

    print(f"| variant | requests/s | x HAProxy | p99 ms | x HAProxy | CPU µs/request (user + kernel) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label in results:
        print(f"| {label} | {median(label, 'rps'):.0f} | {median(label, 'rps') / median('HAProxy', 'rps'):.2f} "
              f"| {median(label, 'p99'):.2f} | {median(label, 'p99') / median('HAProxy', 'p99'):.2f} "
              f"| {median(label, 'user_us'):.1f} + {median(label, 'kernel_us'):.1f} |")


if __name__ == "__main__":
    main()
