#!/usr/bin/env python3
"""What pin lifetimes cost the gateway: the same StickyLb in front of the same three nginx backends, with the plain
server=N cookie and with --pin-max-idle/--pin-max-life (the pin's times under an HMAC-SHA256 in the cookie), for a
client that keeps its pin (the MAC checked on every request) and for clients without a cookie (a new pin, and for
the timed one a new MAC, in every response). wrk, keep-alive connections; the medians of the rounds go to
bench/pins-results.md.

    dotnet build src/Proxy -c Release && python3 bench/pins.py [--rounds 3] [--duration 10] [--connections 32]

With `story` it shows instead when re-placing an idle pin costs a memory-mode session and when it costs nothing:
users log in on three spawned backends (memory mode), go idle, then come back; each setup counts who kept the
session (same user, visits continue), on the same or another backend; it writes bench/pins-story-results.md:

    python3 bench/pins.py story [--users 30] [--idle 5]
"""
import argparse
import datetime
import http.cookiejar
import json
import time
import os
import platform
import random
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


def story(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--idle", type=int, default=5, help="seconds every user stays away")
    args = parser.parse_args(argv)
    setups = [
        ("no pin lifetimes, sessions idle out after 20 s", ["--idle-timeout", "20"]),
        ("--pin-max-idle 3, sessions idle out after 20 s (the pin goes stale first)", ["--idle-timeout", "20", "--pin-max-idle", "3"]),
        ("--pin-max-idle 3, sessions idle out after 2 s (the session goes first)", ["--idle-timeout", "2", "--pin-max-idle", "3"]),
    ]
    folder = tempfile.mkdtemp(prefix="stickylb-pins-story-")
    rows = []
    for name, extra in setups:
        processes = bench.Processes(folder)
        try:
            gateway, admin = bench.start_stickylb(processes, f"story-{len(rows)}", ["--backend-port", str(bench.free_range(3)), *extra],
                                                 env={"STICKYLB_PIN_KEY": KEY})
            users = []
            for i in range(args.users):
                jar = http.cookiejar.CookieJar()
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
                request = urllib.request.Request(gateway + "login", data=json.dumps({"user": f"user{i}"}).encode(),
                                                 headers={"Content-Type": "application/json"})
                with opener.open(request, timeout=10) as response:
                    users.append((opener, json.load(response)))
            # The users' time away: the behaviour under test, a real idle period.
            time.sleep(args.idle)
            kept_same = kept_moved = lost_same = lost_moved = 0
            # They come back in another order than they came (a fixed shuffle): round robin would otherwise place
            # each re-placed pin exactly where it was, by the coincidence of the same order.
            random.Random(31).shuffle(users)
            for opener, before in users:
                with opener.open(gateway + "whoami", timeout=10) as response:
                    after = json.load(response)
                kept = after["user"] == before["user"] and after["visits"] == before["visits"] + 1
                same = after["backend"] == before["backend"]
                kept_same += kept and same
                kept_moved += kept and not same
                lost_same += not kept and same
                lost_moved += not kept and not same
            with urllib.request.urlopen(admin + "api/stats", timeout=10) as response:
                expired = json.load(response)["affinity"]["expiredPins"]
            rows.append((name, expired, kept_same, kept_moved, lost_same, lost_moved))
            print(f"{name}: expired {expired}, kept {kept_same}+{kept_moved}, lost {lost_same}+{lost_moved}", file=sys.stderr)
        finally:
            processes.stop_all()
    lines = [
        "# When re-placing an idle pin costs a session (memory mode)",
        "",
        f"`python3 bench/pins.py story --users {args.users} --idle {args.idle}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: {args.users} users log in through StickyLb (memory mode, "
        f"three spawned backends, round robin placement), stay away {args.idle} s, and make one more request, in a shuffled order.",
        "",
        "| setup | expired pins | kept, same backend | kept, moved | lost, same backend | lost, moved |",
        "|---|---:|---:|---:|---:|---:|",
        *(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} |" for r in rows),
    ]
    report = "\n".join(lines) + "\n"
    with open(os.path.join(bench.ROOT, "bench", "pins-story-results.md"), "w") as f:
        f.write(report)
    print(report)


def main():
    if sys.argv[1:2] == ["story"]:
        story(sys.argv[2:])
        return
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
