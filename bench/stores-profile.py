#!/usr/bin/env python3
"""Where a backend's time goes per request, replicated mode against memory mode: perf and the runtime's counters.

Starts a memory gateway and a replicated `sync` gateway per variant (as bench/stores-variants.py does: `label:NAME=VALUE,...`,
`DLL=path/to/Proxy.dll` for another build), every process with `DOTNET_PerfMapEnabled=1` so that perf names
JIT-compiled methods; logs 32 users in through each and warms up. Then for each gateway and request (`GET /whoami`, a
change; `GET /cart`, a read-only hit): wrk with bench/stores.lua while `perf record -F 499 -g` samples its three
backends and `dotnet-counters` reads one backend's System.Runtime counters. Prints, per 1,000 requests: perf samples of
the backends by module group and the hottest symbols, thread-pool work items, context switches (from /proc), GCs and
lock contentions. Needs perf and dotnet-counters (`dotnet tool install --tool-path DIR dotnet-counters`, then
`--counters-tool DIR/dotnet-counters`). Run bench/stores.sh once first; on a shared machine under `flock -x`.

    bench/stores-profile.py "now:" [--seconds 6] [--top 25] [--paths /whoami,/cart]
"""
import argparse
import collections
import csv
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib.util  # noqa: E402
import stores  # noqa: E402

_spec = importlib.util.spec_from_file_location("stores_variants", os.path.join(os.path.dirname(os.path.abspath(__file__)), "stores-variants.py"))
stores_variants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stores_variants)

PERF_ENV = {"DOTNET_PerfMapEnabled": "1", "DOTNET_EnableWriteXorExecute": "0"}


def switches(pid):
    """Voluntary + involuntary context switches of every thread of a process."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def groups(report):
    shares = collections.Counter()
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(\S+)", line)
        if not m:
            continue
        samples, dso = int(m.group(2)), m.group(3)
        if dso.startswith("[kernel"):
            key = "kernel"
        elif "libcoreclr" in dso or "libclrjit" in dso or "libSystem" in dso:
            key = "runtime (coreclr, GC, JIT)"
        elif dso.startswith("perf-") or dso.endswith(".map") or dso in ("[JIT]", "[unknown]") or "memfd:doublemapper" in dso:
            key = "JIT-compiled .NET code"
        else:
            key = "native libraries (libc, ...)"
        shares[key] += samples
    return shares


def counters(csv_path):
    """Total of each rate counter over the run (dotnet-counters' csv has one row per counter per second)."""
    totals = collections.Counter()
    try:
        with open(csv_path) as f:
            for row in csv.DictReader(f):
                name = row.get("Counter Name", "")
                kind = row.get("Counter Type", "")
                if kind == "Rate":
                    totals[name] += float(row.get("Mean/Increment", 0) or 0)
    except OSError:
        pass
    return totals


def profile(label, gateway, path, args, folder):
    data = os.path.join(folder, f"{label}-{path.strip('/')}.perf.data")
    counters_csv = os.path.join(folder, f"{label}-{path.strip('/')}.csv")
    pids = gateway.backend_pids
    wrk = subprocess.Popen(["wrk", "-t2", "-c32", f"-d{args.seconds + 2}s", "--latency", "-s", stores.SCRIPT,
                            f"http://127.0.0.1:{gateway.port}{path}", "--", gateway.cookies, path], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    before = sum(switches(p) for p in pids)
    counter = subprocess.Popen([args.counters_tool, "collect", "-p", str(pids[0]), "--counters", "System.Runtime,StickyLb.Replicated",
                                "--format", "csv", "-o", counters_csv, "--refresh-interval", "1",
                                "--duration", f"00:00:{args.seconds:02d}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recorded = subprocess.run(["perf", "record", "-F", "499", "-g", "-p", ",".join(map(str, pids)), "-o", data, "--", "sleep", str(args.seconds)],
                              capture_output=True, text=True)
    if recorded.returncode != 0:
        print(f"perf record failed ({recorded.returncode}): {recorded.stderr.strip()[-300:]}", flush=True)
    after = sum(switches(p) for p in pids)
    counter.wait(timeout=30)
    out = wrk.communicate()[0]
    result = stores.parse(out)
    requests = result["rps"] * args.seconds
    per_k = 1000 / requests
    by_dso = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso", "--stdio", "-n"],
                            capture_output=True, text=True).stdout
    shares = groups(by_dso)
    total = sum(shares.values())
    by_symbol = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,symbol", "--stdio", "-n", "-g", "none",
                                "--percent-limit", "0.4"], capture_output=True, text=True).stdout
    top = [re.sub(r"\s{2,}", "  ", line).rstrip(" -") for line in by_symbol.splitlines() if re.match(r"\s*[\d.]+%", line)][:args.top]
    c = counters(counters_csv)
    third = 3 * per_k  # one backend's counters, a third of the requests
    lines = [f"## {label} `GET {path}`: {result['rps']:.0f} req/s while profiled (p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms)", "",
             f"Per 1,000 requests, the three backends: {total * per_k:.1f} perf samples (499 Hz), "
             f"{(after - before) * per_k:.0f} context switches; one backend (x3): " +
             ", ".join(f"{name} {value * third:.1f}" for name, value in sorted(c.items()) if value) + ".", "",
             "| module group | samples per 1,000 requests |", "|---|---:|"]
    lines += [f"| {group} | {samples * per_k:.1f} |" for group, samples in shares.most_common()]
    lines += ["", "```"] + top + ["```", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="label:NAME=VALUE,... (replicated sync gateways)")
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--paths", default="/whoami,/cart")
    parser.add_argument("--counters-tool", default="dotnet-counters")
    parser.add_argument("--out")
    args = parser.parse_args()
    gateways = {}
    reports = []
    folder = tempfile.mkdtemp(prefix="stores-profile-")
    try:
        gateways["memory"] = stores_variants.start("memory", "memory", dict(PERF_ENV))
        for label, env in map(stores_variants.parse_variant, args.variants):
            gateways[label] = stores_variants.start(label, "replicated", {**PERF_ENV, **env})
        for gateway in gateways.values():
            for path in args.paths.split(","):
                for _ in range(2):
                    stores.wrk(gateway.port, path, gateway.cookies, 3, 32, 2)
        for path in args.paths.split(","):
            for label, gateway in gateways.items():
                report = profile(label, gateway, path, args, folder)
                print(report, flush=True)
                reports.append(report)
    finally:
        for gateway in gateways.values():
            gateway.stop()
            if hasattr(gateway, "cookies"):
                os.unlink(gateway.cookies)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(reports))


if __name__ == "__main__":
    main()
