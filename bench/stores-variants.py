#!/usr/bin/env python3
"""Replicated-mode variants against memory mode, quicker than bench/stores.sh: throughput, p50, p99 and CPU per request.

One memory gateway (this build) and one replicated `sync` gateway per variant, all running at once, three backends
each, 32 logged-in users each; then alternating rounds of `GET /whoami` (a change) and `GET /cart` (a read-only hit)
with bench/stores.lua (every request the next user's cookies, a hit on its pin), as bench/stores.py runs them. A
variant is `label:NAME=VALUE,...`: environment variables for its gateway, which its backends inherit (so
`Replicated__...` configuration keys reach the backends alone, while `DOTNET_...` runtime settings reach the gateway
too; `\\n` in a value is a line break, for HOCON in `Replicated__Hocon`), and `DLL=path/to/Proxy.dll` to run
another build (its backends come from the same folder):

    git archive HEAD | tar -x -C /tmp/before && (cd /tmp/before && dotnet build src/Proxy -c Release)
    bench/stores-variants.py "before:DLL=/tmp/before/src/Proxy/bin/Release/net10.0/Proxy.dll" "after:" --rounds 5

Reported per variant and request: medians of requests/s, p50 and p99, the medians of the per-round ratios to memory
mode, and CPU per request from /proc (the three backends together, and the gateway), medians over rounds: the
figure a change to the backends moves, while requests/s also moves with everything else on the machine. Run
bench/stores.sh once first (it installs wrk and builds StickyLb in Release), and on a shared machine under
`flock -x /work/machine.lock`.
"""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replicated  # noqa: E402  (the real gateway on free ports, logging users in)
import stores  # noqa: E402  (wrk with bench/stores.lua and its output)

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
PATHS = ["/whoami", "/cart"]


def parse_variant(spec):
    label, _, settings = spec.partition(":")
    if not label:
        sys.exit(f"stores-variants.py: '{spec}' has no label; write label:NAME=VALUE,...")
    env = {}
    for item in filter(None, settings.split(",")):
        name, sep, value = item.partition("=")
        if not sep or not name:
            sys.exit(f"stores-variants.py: '{item}' in '{spec}' is not NAME=VALUE")
        env[name] = value.replace("\\n", "\n")
    return label, env


def cpu_ms(pid):
    """User + system CPU time of a process, in ms (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * TICK_MS
    except OSError:
        return 0.0


def start(label, store, env):
    dll = env.pop("DLL", None)
    saved = replicated.PROXY_DLL
    if dll:
        replicated.PROXY_DLL = os.path.abspath(dll)
    try:
        print(f"starting {label} ({store})", flush=True)
        gateway = replicated.Gateway(store, "sync" if store == "replicated" else None, env=env)
    finally:
        replicated.PROXY_DLL = saved
    gateway.backend_pids = [b["pid"] for b in gateway.backends()]
    cookies, _ = replicated.create_sessions(gateway, 32)
    handle = tempfile.NamedTemporaryFile("w", suffix=".cookies", delete=False)
    handle.write("\n".join(cookies) + "\n")
    handle.close()
    gateway.cookies = handle.name
    return gateway


def measure(gateway, path, args):
    before = (sum(cpu_ms(p) for p in gateway.backend_pids), cpu_ms(gateway.process.pid))
    result = stores.wrk(gateway.port, path, gateway.cookies, args.duration, 32, 2)
    after = (sum(cpu_ms(p) for p in gateway.backend_pids), cpu_ms(gateway.process.pid))
    requests = result["rps"] * args.duration
    result["backend_us"] = (after[0] - before[0]) * 1000 / requests
    result["gateway_us"] = (after[1] - before[1]) * 1000 / requests
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="label:NAME=VALUE,... (replicated sync gateways)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--warm-up", type=int, default=2, help="warm-up runs per gateway and request")
    parser.add_argument("--paths", default=",".join(PATHS))
    args = parser.parse_args()
    paths = args.paths.split(",")
    variants = [parse_variant(v) for v in args.variants]

    gateways = {}
    runs = []
    try:
        gateways["memory"] = start("memory", "memory", {})
        for label, env in variants:
            gateways[label] = start(label, "replicated", env)
        print("warming up", flush=True)
        for gateway in gateways.values():
            for path in paths:
                for _ in range(args.warm_up):
                    stores.wrk(gateway.port, path, gateway.cookies, max(1, args.duration // 2), 32, 2)
        labels = list(gateways)
        for n in range(1, args.rounds + 1):
            order = labels if n % 2 else list(reversed(labels))
            for path in paths:
                for label in order:
                    r = measure(gateways[label], path, args)
                    runs.append({"round": n, "path": path, "label": label, **r})
                    print(f"round {n} {path:8} {label:14} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f}  p99 {r['p99']:6.2f} ms  "
                          f"backends {r['backend_us']:6.1f} us/req  gateway {r['gateway_us']:5.1f} us/req  non-2xx {r['errors']}",
                          flush=True)
    finally:
        for gateway in gateways.values():
            gateway.stop()
            if hasattr(gateway, "cookies"):
                os.unlink(gateway.cookies)

    def one(n, path, label):
        return next(r for r in runs if r["round"] == n and r["path"] == path and r["label"] == label)

    rounds = sorted({r["round"] for r in runs})
    print("\n| request | variant | req/s | p50 ms | p99 ms | x memory req/s | x memory p50 | x memory p99 | backends us/req | gateway us/req | non-2xx |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path in paths:
        for label in gateways:
            mine = [r for r in runs if r["path"] == path and r["label"] == label]
            med = {k: statistics.median(r[k] for r in mine) for k in ("rps", "p50", "p99", "backend_us", "gateway_us")}
            ratio = {k: statistics.median(one(n, path, label)[k] / one(n, path, "memory")[k] for n in rounds) for k in ("rps", "p50", "p99")}
            print(f"| `GET {path}` | {label} | {med['rps']:.0f} | {med['p50']:.2f} | {med['p99']:.2f} | {ratio['rps']:.2f}x | "
                  f"{ratio['p50']:.2f}x | {ratio['p99']:.2f}x | {med['backend_us']:.0f} | {med['gateway_us']:.0f} | "
                  f"{sum(r['errors'] for r in mine)} |")


if __name__ == "__main__":
    main()
