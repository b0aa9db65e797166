#!/usr/bin/env python3
"""The three store modes side by side: what a shared session costs against sessions in memory.

One gateway per mode (memory, redis with its default embedded store and append-only file, replicated
with sync replication), each with three backends, all running at once on this machine. 32 users log in
through each gateway (each with two cart items); then, in alternating rounds, wrk loads each gateway over
32 connections with a Lua script that gives every request the cookies of the next user (every request is
a hit on its pin): `GET /whoami` (it counts a visit: a change of the session) and `GET /cart` (read-only).
In each round every mode runs once per workload, in forward order in odd rounds and reverse order in even
ones; the report gives each mode's median throughput and latency, and the medians of the per-round
ratios redis / memory and replicated / memory (throughput and p99). Writes bench/stores-results.md and
bench/stores-results.json. Run it through bench/stores.sh, which builds StickyLb in Release.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway as bench_gateway  # noqa: E402  (wrk and its output, as the main benchmark reads them)
import replicated  # noqa: E402  (the real gateway on free ports, and logging users in through it)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "bench", "stores.lua")
MODES = [("memory", None), ("redis", None), ("replicated", "sync")]
WORKLOADS = [("/whoami", "a change"), ("/cart", "read-only")]
# The targets (issue 30): throughput ratio at least, p99 ratio at most.
TARGETS = {("/cart", "redis"): 0.8, ("/cart", "replicated"): 0.8, ("/whoami", "redis"): 0.8, ("/whoami", "replicated"): 0.5}
P99_TARGET = 1.5


def wrk(port, path, cookies_file, seconds, connections, threads):
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", SCRIPT,
         f"http://127.0.0.1:{port}{path}", "--", cookies_file, path],
        capture_output=True, text=True, check=True).stdout
    return parse(output)


def parse(output):
    """What bench/gateway.py's wrk() reads from wrk's output (it runs wrk without a script)."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percent, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        latency[percent] = float(value) * bench_gateway.UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"),
            "errors": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (at least 5 for the issue's figures)")
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--users", type=int, default=32, help="logged-in users per gateway")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warm-up", type=int, default=3, help="warm-up runs per mode and workload (seconds each: half a run)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "stores-results.md"))
    args = parser.parse_args()

    gateways, files = {}, {}
    try:
        for store, replication in MODES:
            print(f"starting the {store} gateway", flush=True)
            gateways[store] = replicated.Gateway(store, replication)
            cookies, _ = replicated.create_sessions(gateways[store], args.users)
            handle = tempfile.NamedTemporaryFile("w", suffix=".cookies", delete=False)
            handle.write("\n".join(cookies) + "\n")
            handle.close()
            files[store] = handle.name

        print("warming up", flush=True)
        for store, _ in MODES:
            for path, _ in WORKLOADS:
                for _ in range(args.warm_up):
                    wrk(gateways[store].port, path, files[store], max(1, args.duration // 2), args.connections, args.threads)

        runs = []
        for round_number in range(1, args.rounds + 1):
            order = MODES if round_number % 2 else list(reversed(MODES))
            for path, _ in WORKLOADS:
                for store, _ in order:
                    result = wrk(gateways[store].port, path, files[store], args.duration, args.connections, args.threads)
                    runs.append({"round": round_number, "path": path, "store": store, **result})
                    print(f"round {round_number} {path:8} {store:10} {result['rps']:9.0f} req/s  p50 {result['p50']:.2f} ms  "
                          f"p99 {result['p99']:.2f} ms  non-2xx {result['errors']}", flush=True)
    finally:
        for gateway in gateways.values():
            gateway.stop()
        for name in files.values():
            os.unlink(name)

    write_report(args, runs)


def write_report(args, runs):
    def run(round_number, path, store):
        return next(r for r in runs if r["round"] == round_number and r["path"] == path and r["store"] == store)

    rounds = sorted({r["round"] for r in runs})
    summary = {}
    for path, _ in WORKLOADS:
        for store, _ in MODES:
            mine = [r for r in runs if r["path"] == path and r["store"] == store]
            entry = {"rps": median([r["rps"] for r in mine]), "p50": median([r["p50"] for r in mine]),
                     "p99": median([r["p99"] for r in mine]), "errors": sum(r["errors"] for r in mine)}
            if store != "memory":
                entry["rpsRatio"] = median([run(n, path, store)["rps"] / run(n, path, "memory")["rps"] for n in rounds])
                entry["p99Ratio"] = median([run(n, path, store)["p99"] / run(n, path, "memory")["p99"] for n in rounds])
                entry["p50Ratio"] = median([run(n, path, store)["p50"] / run(n, path, "memory")["p50"] for n in rounds])
            summary[f"{path} {store}"] = entry

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpus = os.cpu_count()
    lines = [
        "# The three store modes side by side (bench/stores.sh)",
        "",
        f"Run {when} on {platform.node() or 'this machine'}: {cpus} cores, {platform.platform()}, "
        f"{bench_gateway.version(['wrk', '--version'])}, {bench_gateway.version(['redis-server', '--version'])}.",
        "",
        f"`bench/stores.sh --rounds {args.rounds} --duration {args.duration}`: three gateways at once (memory; redis with its "
        f"embedded store and append-only file; replicated, sync), three backends each, {args.users} logged-in users per gateway; "
        f"each run `wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency -s bench/stores.lua`, every request "
        "with the next user's cookies (a hit on its pin). Rounds alternate the order of the modes. Everything (wrk, the three "
        "gateways, nine backends, the store) shares the machine's cores.",
        "",
        "| request | mode | req/s (median) | p50 ms | p99 ms | x memory req/s (median of rounds) | x memory p99 | target | met |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for path, kind in WORKLOADS:
        for store, _ in MODES:
            entry = summary[f"{path} {store}"]
            if store == "memory":
                lines.append(f"| `GET {path}` ({kind}) | memory | {entry['rps']:.0f} | {entry['p50']:.2f} | {entry['p99']:.2f} | 1 | 1 | | |")
                continue
            target = TARGETS[(path, store)]
            met = entry["rpsRatio"] >= target and entry["p99Ratio"] <= P99_TARGET
            lines.append(
                f"| `GET {path}` ({kind}) | {store} | {entry['rps']:.0f} | {entry['p50']:.2f} | {entry['p99']:.2f} | "
                f"{entry['rpsRatio']:.2f}x | {entry['p99Ratio']:.2f}x | >= {target}x, p99 <= {P99_TARGET}x | {'yes' if met else 'no'} |")
    errors = sum(r["errors"] for r in runs)
    lines += ["", f"Non-2xx answers in all runs: {errors}.", "", "## Every run", "",
              "| round | request | mode | req/s | p50 ms | p99 ms | non-2xx |", "|---:|---|---|---:|---:|---:|---:|"]
    for r in runs:
        lines.append(f"| {r['round']} | `GET {r['path']}` | {r['store']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} |")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({"summary": summary, "runs": runs}, f, indent=2)
    print("\n".join(lines[:10 + 2 * len(MODES) * len(WORKLOADS)]))


if __name__ == "__main__":
    main()
