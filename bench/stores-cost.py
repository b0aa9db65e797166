#!/usr/bin/env python3
"""Where a store mode's cost per request goes: CPU and context switches per request, by process, variants side by side.

Each variant is a StickyLb gateway with three backends (Release build), started with a store mode and optionally
another build or environment:

    bench/stores-cost.py "memory:STORE=memory" "redis:STORE=redis" "redis tp:STORE=redis,DLL=/tmp/v/Proxy.dll" \
        --path /whoami --rounds 5 --duration 6

A variant is `label:NAME=VALUE,...`: `STORE=` the store mode (default memory), `DLL=` a Proxy.dll of another build
(its own output folder, so its BackendApp too: a copy of bin/Release/net10.0 with an edited
BackendApp.runtimeconfig.json measures a runtime setting of the backends alone), `REDIS=` a store the gateway is given
with `--redis` instead of its embedded one (`STOREPID=` its process id, to count its CPU), any other NAME=VALUE an environment
variable of the gateway, which its backends and store inherit. The first variant is the reference for the ratios.

All gateways run at once; 32 users log in through each (two cart items each). Then, in rounds alternating the
variants' order, wrk loads each gateway over 32 connections with bench/stores.lua (every request with the next
user's cookies, a hit on its pin) on `--path`, while this script reads, before and after, from /proc: the user and
kernel CPU time of the gateway, of its backends, of its store (redis-server or Garnet) and of wrk itself, and the
context switches (voluntary and involuntary, summed over the live threads) of each, plus the whole machine's context
switches (/proc/stat). Reports medians over rounds of requests/s, p50, p99, per-round ratios to the first variant,
and per request: CPU microseconds and context switches of each process group. On a shared machine run it under
`flock -x /work/machine.lock`; build first with `dotnet build src/Proxy -c Release`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replicated  # noqa: E402  (free ports, logging users in)
import stores  # noqa: E402  (wrk with bench/stores.lua and its output)

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")
GROUPS = ("gateway", "backends", "store", "wrk")


class Gateway:
    """The real gateway (any build) with its backends, on free ports; stopped with SIGTERM (which stops them all)."""

    def __init__(self, store, dll, env, redis=None, store_pid=None):
        self.store_pid = store_pid
        self.port, self.admin, self.backend_port = replicated.free_port(), replicated.free_port(), replicated.free_port(3)
        args = ["dotnet", dll, "--store", store, "--backends", "3", "--port", str(self.port), "--admin-port", str(self.admin),
                "--backend-port", str(self.backend_port), "--store-port", str(replicated.free_port())]
        if redis:
            args += ["--redis", redis]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **env})
        replicated.wait_until_ready(self.process)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def processes(self):
        """Process ids by group: the gateway, its backends and its store (every descendant that is not a backend)."""
        found = {"gateway": [self.process.pid], "backends": [], "store": []}
        for pid in descendants(self.process.pid):
            name = comm(pid)
            found["backends" if name.startswith("BackendApp") else "store"].append(pid)
        if self.store_pid:
            found["store"].append(self.store_pid)
        return found


def descendants(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out.append(int(child))
                    out.extend(descendants(int(child)))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
        if name == "dotnet":
            with open(f"/proc/{pid}/cmdline") as f:
                name = " ".join(os.path.basename(a) for a in f.read().split("\0")[1:2]) or name
        return name
    except FileNotFoundError:
        return "?"


def cpu_us(pid):
    """User and kernel CPU time of a process in microseconds (/proc/PID/stat keeps the time of threads that ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) * TICK_US, int(fields[12]) * TICK_US
    except (FileNotFoundError, ProcessLookupError):
        return 0.0, 0.0


def switches(pid):
    """Voluntary and involuntary context switches, summed over the process's live threads."""
    voluntary = involuntary = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/status") as f:
                    for line in f:
                        if line.startswith("voluntary_ctxt_switches"):
                            voluntary += int(line.split()[1])
                        elif line.startswith("nonvoluntary_ctxt_switches"):
                            involuntary += int(line.split()[1])
            except FileNotFoundError:
                pass
    except FileNotFoundError:
        pass
    return voluntary, involuntary


def machine_switches():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("ctxt "):
                return int(line.split()[1])
    return 0


def snapshot(groups):
    return {group: [(cpu_us(pid), switches(pid)) for pid in pids] for group, pids in groups.items()}


def difference(before, after):
    """CPU (user, kernel) microseconds and switches (voluntary, involuntary) per group between two snapshots."""
    out = {}
    for group in before:
        user = kernel = voluntary = involuntary = 0.0
        for (c0, s0), (c1, s1) in zip(before[group], after[group]):
            user += c1[0] - c0[0]
            kernel += c1[1] - c0[1]
            voluntary += max(0, s1[0] - s0[0])
            involuntary += max(0, s1[1] - s0[1])
        out[group] = {"user": user, "kernel": kernel, "voluntary": voluntary, "involuntary": involuntary}
    return out


def wrk_run(port, path, cookies_file, seconds, connections, threads):
    """wrk with bench/stores.lua, and its own CPU time and context switches from its rusage."""
    process = subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", stores.SCRIPT,
         f"http://127.0.0.1:{port}{path}", "--", cookies_file, path], stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}")
    result = stores.parse(output)
    result["wrk"] = {"user": usage.ru_utime * 1e6, "kernel": usage.ru_stime * 1e6,
                     "voluntary": usage.ru_nvcsw, "involuntary": usage.ru_nivcsw}
    return result


def measured_run(gateway, path, cookies_file, args):
    groups = gateway.processes()
    before, machine_before = snapshot(groups), machine_switches()
    result = wrk_run(gateway.port, path, cookies_file, args.duration, args.connections, args.threads)
    after, machine_after = snapshot(groups), machine_switches()
    cost = difference(before, after)
    cost["wrk"] = result.pop("wrk")
    requests = result["rps"] * args.duration
    result["cpu_us"] = {g: (cost[g]["user"] + cost[g]["kernel"]) / requests for g in GROUPS}
    result["kernel_us"] = {g: cost[g]["kernel"] / requests for g in GROUPS}
    result["switches"] = {g: (cost[g]["voluntary"] + cost[g]["involuntary"]) / requests for g in GROUPS}
    result["machine_switches"] = (machine_after - machine_before) / requests
    return result


def record(args, gateway, label, path, cookies_file):
    """One run of wrk with the whole machine profiled; writes DIR/<label><path>.perf.data and .pids.json."""
    name = os.path.join(args.perf, f"{label}{path}".replace("/", "_").replace(" ", "-"))
    wrk = subprocess.Popen(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration + 2}s", "--latency", "-s",
                            stores.SCRIPT, f"http://127.0.0.1:{gateway.port}{path}", "--", cookies_file, path],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    subprocess.run(["perf", "record", "-a", "-g", "-F", "499", "-o", name + ".perf.data", "--", "sleep", str(args.duration)],
                   capture_output=True, check=True)
    result = stores.parse(wrk.communicate()[0])
    with open(name + ".pids.json", "w") as f:
        json.dump({"groups": gateway.processes(), "wrk": wrk.pid, "rps": result["rps"], "seconds": args.duration}, f)
    print(f"perf {label} {path}: {result['rps']:.0f} req/s -> {name}.perf.data", flush=True)


def parse_variant(spec):
    label, _, settings = spec.partition(":")
    env, store, dll, redis, store_pid = {}, "memory", replicated.PROXY_DLL, None, None
    for item in filter(None, settings.split(",")):
        name, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"stores-cost.py: '{item}' in '{spec}' is not NAME=VALUE")
        if name == "STORE":
            store = value
        elif name == "REDIS":
            redis = value
        elif name == "STOREPID":
            store_pid = int(value)
        elif name == "DLL":
            dll = os.path.abspath(value)
        else:
            env[name] = value
    return {"label": label, "store": store, "dll": dll, "env": env, "redis": redis, "store_pid": store_pid}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", metavar="label:NAME=VALUE,...")
    parser.add_argument("--path", action="append", help="the request path (repeatable; default /whoami and /cart)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warm-up", type=int, default=2, help="warm-up runs per variant and path (half a run each)")
    parser.add_argument("--out", help="a Markdown report to write (and its .json beside it)")
    parser.add_argument("--perf", metavar="DIR", help="after the rounds, `perf record -a -g` the whole machine during one run per "
                        "variant and path into DIR (with the process ids of each group, for `perf report --pid`); give the variants "
                        "DOTNET_PerfMapEnabled=1 so that perf names .NET methods")
    args = parser.parse_args()
    paths = args.path or ["/whoami", "/cart"]
    variants = [parse_variant(spec) for spec in args.variants]

    gateways, files, runs = {}, {}, []
    try:
        for v in variants:
            print(f"starting {v['label']} ({v['store']}, {v['dll']}, {v['env']})", flush=True)
            gateways[v["label"]] = Gateway(v["store"], v["dll"], v["env"], v["redis"], v["store_pid"])
            cookies, _ = replicated.create_sessions(gateways[v["label"]], args.users)
            handle = tempfile.NamedTemporaryFile("w", suffix=".cookies", delete=False)
            handle.write("\n".join(cookies) + "\n")
            handle.close()
            files[v["label"]] = handle.name
        print("warming up", flush=True)
        for v in variants:
            for path in paths:
                for _ in range(args.warm_up):
                    wrk_run(gateways[v["label"]].port, path, files[v["label"]], max(1, args.duration // 2), args.connections, args.threads)
        for round_number in range(1, args.rounds + 1):
            order = variants if round_number % 2 else list(reversed(variants))
            for path in paths:
                for v in order:
                    r = measured_run(gateways[v["label"]], path, files[v["label"]], args)
                    r.update({"round": round_number, "path": path, "variant": v["label"]})
                    runs.append(r)
                    cpu = " ".join(f"{g} {r['cpu_us'][g]:.0f}" for g in GROUPS)
                    sw = " ".join(f"{g} {r['switches'][g]:.2f}" for g in GROUPS)
                    print(f"round {round_number} {path:8} {v['label']:14} {r['rps']:8.0f} req/s p50 {r['p50']:.2f} p99 {r['p99']:.2f} "
                          f"non-2xx {r['errors']} | cpu us/req {cpu} | switches/req {sw} machine {r['machine_switches']:.2f}", flush=True)
        if args.perf:
            os.makedirs(args.perf, exist_ok=True)
            for v in variants:
                for path in paths:
                    record(args, gateways[v["label"]], v["label"], path, files[v["label"]])
    finally:
        for g in gateways.values():
            g.stop()
        for name in files.values():
            os.unlink(name)
    report = render(args, variants, paths, runs)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump({"variants": variants, "runs": runs}, f, indent=2)


def render(args, variants, paths, runs):
    med = statistics.median
    rounds = sorted({r["round"] for r in runs})
    reference = variants[0]["label"]

    def one(n, path, label):
        return next(r for r in runs if r["round"] == n and r["path"] == path and r["variant"] == label)

    lines = [f"`bench/stores-cost.py {' '.join(repr(a) if ' ' in a else a for a in sys.argv[1:])}`", "",
             f"Medians of {len(rounds)} alternating rounds of {args.duration} s; ratios are medians of per-round ratios to `{reference}`; "
             "CPU in microseconds of user + kernel time per request (kernel share in brackets), switches = context switches per request.", "",
             "| path | variant | req/s | x ref | p50 ms | p99 ms | x ref p99 | CPU gateway | CPU backends | CPU store | CPU wrk | CPU all | "
             "switches gateway | backends | store | wrk | machine |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for path in paths:
        for v in variants:
            mine = [one(n, path, v["label"]) for n in rounds]
            ratio = med([one(n, path, v["label"])["rps"] / one(n, path, reference)["rps"] for n in rounds])
            p99 = med([one(n, path, v["label"])["p99"] / one(n, path, reference)["p99"] for n in rounds])
            cpu = {g: med([r["cpu_us"][g] for r in mine]) for g in GROUPS}
            kernel = {g: med([r["kernel_us"][g] for r in mine]) for g in GROUPS}
            sw = {g: med([r["switches"][g] for r in mine]) for g in GROUPS}
            total = med([sum(r["cpu_us"].values()) for r in mine])
            lines.append(
                f"| `{path}` | {v['label']} | {med([r['rps'] for r in mine]):.0f} | {ratio:.2f}x | {med([r['p50'] for r in mine]):.2f} | "
                f"{med([r['p99'] for r in mine]):.2f} | {p99:.2f}x | "
                + " | ".join(f"{cpu[g]:.0f} ({kernel[g]:.0f})" for g in GROUPS) + f" | {total:.0f} | "
                + " | ".join(f"{sw[g]:.2f}" for g in GROUPS) + f" | {med([r['machine_switches'] for r in mine]):.2f} |")
    errors = sum(r["errors"] for r in runs)
    lines += ["", f"Non-2xx answers in all runs: {errors}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
