#!/usr/bin/env python3
"""Where a gateway's CPU goes, by measurement (issue 28, part 2): `perf` profiles of StickyLb and stock YARP on one workload.

Starts three nginx backends, StickyLb (`--spawn false`, this build, or `--dll PATH`) and stock YARP (bench/StockYarp,
HashCookie, YARP's default runtime settings, as bench/workloads.py runs them), both with `DOTNET_PerfMapEnabled=1`
so that perf names JIT-compiled methods. For each contender: a warm-up, then `perf record -F 999 -g` on its process
while `wrk` runs the workload, then the hottest symbols by self time (`perf report --no-children`) and the share of
samples per module group (kernel, the runtime, JIT-compiled code: .NET's libraries and the app), printed and
written to `--out`.

    bench/profile.py [--workload close|keepalive] [--seconds 8] [--top 30] [--dll /tmp/before/Proxy.dll]
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway  # noqa: E402
import workloads  # noqa: E402

# W^X off: with its double mapping of JIT-compiled code perf cannot match the perf map (frames show as memfd:doublemapper).
PERF_ENV = {"DOTNET_PerfMapEnabled": "1", "DOTNET_EnableWriteXorExecute": "0"}


def groups(report):
    """Share of samples by module group, from `perf report --sort dso` lines."""
    shares = collections.Counter()
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)", line)
        if not m:
            continue
        share, dso = float(m.group(1)), m.group(2)
        if dso.startswith("[kernel") or dso == "[unknown]" and False:
            shares["kernel"] += share
        elif "libcoreclr" in dso or "libclrjit" in dso or "libSystem" in dso:
            shares["runtime (coreclr, GC, JIT)"] += share
        elif dso.startswith("perf-") or dso.endswith(".map") or dso in ("[JIT]", "[unknown]") or "memfd:doublemapper" in dso:
            shares["JIT-compiled .NET code"] += share
        elif dso.startswith("lib") or dso.endswith(".so") or ".so." in dso:
            shares["native libraries (libc, ...)"] += share
        else:
            shares[dso] += share
    return shares


def profile(name, pid, url, cookie, args, folder):
    data = os.path.join(folder, f"{name.split()[0]}.perf.data")
    headers = ("Connection: close",) if args.workload == "close" else ()
    wrk = subprocess.Popen(["wrk", "-t2", "-c32", f"-d{args.seconds + 2}s", "-H", f"Cookie: {cookie}",
                            *[a for h in headers for a in ("-H", h)], url], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    subprocess.run(["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", data, "--", "sleep", str(args.seconds)],
                   capture_output=True, check=True)
    out = wrk.communicate()[0]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    by_dso = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso", "--stdio"],
                            capture_output=True, text=True).stdout
    by_symbol = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "--stdio", "-g", "none",
                                "--percent-limit", "0.3"], capture_output=True, text=True).stdout
    top = [line for line in by_symbol.splitlines() if re.match(r"\s*[\d.]+%", line)][:args.top]
    managed = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,symbol", "--stdio", "-g", "none"],
                             capture_output=True, text=True).stdout
    jit = [line for line in managed.splitlines() if re.match(r"\s*[\d.]+%\s+(perf-\d+\.map|\[JIT\])", line)][:args.top]
    lines = [f"## {name}: {rps} requests/s while profiled", "", "| module group | share of samples |", "|---|---:|"]
    lines += [f"| {group} | {share:.1f}% |" for group, share in groups(by_dso).most_common()]
    lines += ["", "Hottest symbols by self time:", "", "```"] + [t.rstrip() for t in top] + ["```", ""]
    lines += ["Hottest JIT-compiled methods (.NET's libraries and the app) by self time:", "", "```"] + [t.rstrip() for t in jit] + ["```", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=["close", "keepalive"], default="close")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dll", default=gateway.PROXY_DLL, help="the StickyLb build to profile")
    parser.add_argument("--out", default=os.path.join(gateway.ROOT, "bench", "profile-results.md"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="stickylb-profile-")
    processes = gateway.Processes(folder)
    sections = []
    try:
        backends = gateway.start_backends(processes, folder)
        cert, key, _ = workloads.make_certificate(folder)
        pid, url, _ = workloads.start_stickylb(processes, backends, cert, key, dll=args.dll, env=PERF_ENV)
        os.environ.update(PERF_ENV)
        stock_pid, stock_url, _ = workloads.start_stock_yarp(processes, backends, cert, key)
        stock_cookie = gateway.stock_yarp_cookie(stock_url)
        for target, cookie in ((url, gateway.COOKIE), (stock_url, stock_cookie)):
            gateway.wrk(target, 4, 32, 2, cookie, ("Connection: close",) if args.workload == "close" else ())
        sections.append(profile("StickyLb", pid, url, gateway.COOKIE, args, folder))
        sections.append(profile("stock YARP (HashCookie, YARP's defaults)", stock_pid, stock_url, stock_cookie, args, folder))
    finally:
        processes.stop_all()
    report = "\n".join([f"# CPU profiles, workload `{args.workload}` (32 connections{', a new one per request' if args.workload == 'close' else ', keep-alive'})", "",
                        f"`bench/profile.py --workload {args.workload} --seconds {args.seconds}`{'' if args.dll == gateway.PROXY_DLL else ' --dll ' + args.dll}; "
                        "`perf record -F 999 -g` on each contender's process while wrk runs; perf maps from `DOTNET_PerfMapEnabled=1`.", "", *sections])
    with open(args.out, "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
