#!/usr/bin/env python3
"""What pin lifetimes cost the gateway: the same StickyLb in front of the same three nginx backends, with the plain
server=N cookie and with --pin-max-idle/--pin-max-life (the pin's times under an HMAC-SHA256 in the cookie), for a
client that keeps its pin (the MAC checked on every request) and for clients without a cookie (a new pin, and for
the timed one a new MAC, in every response). wrk, keep-alive connections; the medians of the rounds go to
bench/pins-results.md.

    dotnet build src/Proxy -c Release && python3 bench/pins.py [--rounds 3] [--duration 10] [--connections 32]
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway as bench  # noqa: E402  (the gateway benchmark's helpers: free ports, nginx backends, wrk, warm-up)

KEY = "bench-pin-key-openssl-rand-base64-32-xxxxxxx="
TIMED = ["--pin-max-idle", "3600", "--pin-max-life", "86400"]


def pin_cookie(gateway):
    """The server cookie a first request gets: a timed pin, valid for the whole run (max idle 3600 s: no refresh)."""
    with urllib.request.urlopen(gateway, timeout=10) as response:
        cookies = [h.split(";")[0] for h in response.headers.get_all("Set-Cookie") or []]
    return next(c for c in cookies if c.startswith("server="))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=9, help="seconds of load per contender before the rounds")
    parser.add_argument("--out", default=os.path.join(bench.ROOT, "bench", "pins-results.md"))
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="stickylb-pins-")
    processes = bench.Processes(folder)
    try:
        backends = bench.start_backends(processes, folder)
        quiet = ["--spawn", "false", *bench.destinations(backends, 3)]
        plain = bench.start_stickylb(processes, "stickylb-plain", quiet)[0]
        timed = bench.start_stickylb(processes, "stickylb-timed", quiet + TIMED, env={"STICKYLB_PIN_KEY": KEY})[0]
        # wrk sends the same Cookie header on every request; a cookie without `server` is a client without a pin.
        contenders = {
            "plain server=2, a pinned client (hit)": (plain, "server=2"),
            "pin lifetimes, a pinned client (hit: MAC checked)": (timed, pin_cookie(timed)),
            "plain, no cookie (a new pin in every response)": (plain, "other=1"),
            "pin lifetimes, no cookie (a new pin and MAC in every response)": (timed, "other=1"),
        }
        print(f"timed cookie: {contenders['pin lifetimes, a pinned client (hit: MAC checked)'][1]}", file=sys.stderr)
        bench.warm_up(processes, list(contenders.values()), args.warmup, args.connections, args.threads)
        results = {name: [] for name in contenders}
        for round_number in range(1, args.rounds + 1):
            order = list(contenders.items())
            for name, (url, cookie) in (order if round_number % 2 else reversed(order)):
                result = bench.wrk(url, args.duration, args.connections, args.threads, cookie)
                results[name].append(result)
                print(f"round {round_number}/{args.rounds} {name}: {result['rps']:.0f} req/s, "
                      f"p50 {result['p50']:.3f} ms, p99 {result['p99']:.3f} ms, errors {result['errors']}", file=sys.stderr)
    finally:
        processes.stop_all()

    lines = [
        "# Pin lifetimes: what the MAC costs",
        "",
        f"`python3 bench/pins.py --rounds {args.rounds} --duration {args.duration} --connections {args.connections}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({platform.machine()}), "
        "StickyLb (Release) with `--spawn false` in front of three nginx backends answering `ok N`, wrk with "
        f"{args.threads} threads on the same machine; medians of {args.rounds} rounds of {args.duration} s.",
        "",
        "| client | requests/s | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        lines.append(f"| {name} | {statistics.median(r['rps'] for r in runs):,.0f} | {statistics.median(r['p50'] for r in runs):.3f} | "
                     f"{statistics.median(r['p99'] for r in runs):.3f} | {sum(r['errors'] for r in runs)} |")
    report = "\n".join(lines) + "\n"
    with open(args.out, "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
