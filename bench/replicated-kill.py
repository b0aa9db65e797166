#!/usr/bin/env python3
"""What a killed backend costs the survivors in replicated mode: session changes right after the kill.

Replicated sync mode, three backends, through the real gateway (Release build). Users log in; one client
then changes a session over and over straight on backend 1 (GET /whoami: a majority read and a majority
write), backend 2 is killed with SIGKILL through the admin API, and for --seconds after the kill the report
counts the changes made, the slow ones (over 100 ms), p50/p99/max, and when backend 1 saw the cluster
shrink to two members (/healthz "members"; watched for up to 25 s). Variants run in alternating rounds in one run, so that their
ratio is fair on a noisy machine: "now" (as shipped) and "no-watch" (Replicated__DownDeadPeers=false:
Akka's own failure detector and downing only). Medians of the rounds. Writes bench/replicated-kill-results.md.
Run it through bench/replicated-kill.sh, which builds StickyLb in Release.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replicated as farm  # noqa: E402  (the gateway, free ports and session helpers)

VARIANTS = {"now": {}, "no-watch": {"Replicated__DownDeadPeers": "false"}}
SLOW_MS = 100
# How long after the kill the report waits to see the cluster shrink (Akka alone takes about 10 s).
MEMBERS_WAIT = 25


def one_round(env, users, seconds):
    gateway = farm.Gateway("replicated", "sync", env=env)
    try:
        cookies, _ = farm.create_sessions(gateway, users, workers=4)
        samples, shrunk, stop = [], [None], threading.Event()

        def watch_members(start):
            while not stop.is_set() and time.perf_counter() - start < MEMBERS_WAIT:
                _, body, _ = farm.request(gateway.backend_address(1), "GET", "/healthz")
                if json.loads(body).get("members") == 2:
                    shrunk[0] = time.perf_counter() - start
                    return
                time.sleep(0.05)

        connection = http.client.HTTPConnection(*gateway.backend_address(1), timeout=30)
        for _ in range(50):  # warm the connection and the path
            farm.request(None, "GET", "/whoami", cookie=cookies[0], connection=connection)
        start = time.perf_counter()
        farm.request(("127.0.0.1", gateway.admin), "POST", "/api/backends/2/kill")
        watcher = threading.Thread(target=watch_members, args=(start,), daemon=True)
        watcher.start()
        failed = 0
        while time.perf_counter() - start < seconds:
            began = time.perf_counter()
            status, _, _ = farm.request(None, "GET", "/whoami", cookie=cookies[0], connection=connection)
            samples.append((time.perf_counter() - began) * 1000)
            failed += status != 200
        watcher.join(timeout=MEMBERS_WAIT + 1)
        stop.set()
        ordered = sorted(samples)
        return {
            "changes": len(samples),
            "failed": failed,
            "slow": sum(1 for s in samples if s > SLOW_MS),
            "p50": ordered[len(ordered) // 2],
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            "max": ordered[-1],
            "shrunkAfter": shrunk[0],
        }
    finally:
        gateway.stop()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=1):
    return "never" if value is None else f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--out", default=os.path.join(farm.ROOT, "bench", "replicated-kill-results.md"))
    args = parser.parse_args()
    if not os.path.exists(farm.PROXY_DLL):
        sys.exit(f"{farm.PROXY_DLL} is missing: run bench/replicated-kill.sh, which builds it.")

    results = {name: [] for name in VARIANTS}
    for round_number in range(1, args.rounds + 1):
        for name, env in VARIANTS.items():
            result = one_round(env, args.users, args.seconds)
            results[name].append(result)
            print(f"round {round_number} {name}: {json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()})}", flush=True)

    rows = {name: {key: median([r[key] for r in runs]) for key in runs[0]} for name, runs in results.items()}
    now, before = rows["now"], rows["no-watch"]
    lines = [
        "# Replicated mode: session changes on a survivor right after a backend is killed",
        "",
        f"{datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores; `bench/replicated-kill.sh --rounds {args.rounds} "
        f"--seconds {args.seconds:g} --users {args.users}`. One client changes a session (GET /whoami) sequentially on backend 1 "
        f"for {args.seconds:g} s after backend 2 is SIGKILLed; medians of {args.rounds} alternating rounds.",
        "",
        "| variant | changes made | slow (> 100 ms) | failed | p50 ms | p99 ms | max ms | backend 1 saw two members after (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        lines.append(f"| {name} | {row['changes']:.0f} | {row['slow']:.0f} | {row['failed']:.0f} | {fmt(row['p50'], 2)} | "
                     f"{fmt(row['p99'])} | {fmt(row['max'])} | {fmt(row['shrunkAfter'], 2)} |")
    lines += [
        "",
        f"now / no-watch: {now['changes'] / before['changes']:.2f}x the changes in the same {args.seconds:g} s.",
        "",
        "- **now**: DeadPeerWatcher marks a member down and quarantines it as soon as its cluster port refuses connections.",
        "- **no-watch**: `Replicated__DownDeadPeers=false`, Akka's failure detector (4 s pause) and split-brain resolver (5 s) only.",
        "",
        "Every round:",
        "",
    ]
    for name, runs in results.items():
        for run in runs:
            lines.append(f"- {name}: " + ", ".join(f"{k} {fmt(v, 2) if isinstance(v, float) or v is None else v}" for k, v in run.items()))
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    main()
