#!/usr/bin/env python3
"""What session clustering costs: replicated mode against memory and redis mode, measured on this machine.

For each store mode (memory, redis, replicated sync, replicated async) the real gateway starts three
backends; sessions are created through it (log in, two cart items: about 300 B of session data each),
and the report gives:
  - resident memory per backend (median of the backends, as /api/backends reports it) at 300 and at
    10,000 sessions, and the sessions each backend holds;
  - replication bytes per change: bytes the backends' cluster connections carried while changes were
    made (one session change per request), less what they carry idle in the same time;
  - write latency, one client, sequential requests straight to a backend (a session load and commit
    each): p50 and p99;
and, for replicated sync, how those grow with 3, 5 and 8 backends. Writes bench/replicated-results.md.
Run it through bench/replicated.sh, which builds StickyLb in Release.
"""
import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY_DLL = os.path.join(ROOT, "src", "Proxy", "bin", "Release", "net10.0", "Proxy.dll")
ITEM = "x" * 60
# Akka.Remote binds an IPv6 socket and shows the address IPv4-mapped.
LOOPBACK = r"(?:127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):"
_taken = set()


def free_port(count=1):
    """The first of `count` consecutive free loopback ports below the ephemeral range."""
    while True:
        first = 20000 + int.from_bytes(os.urandom(2), "big") % 10000
        ports = range(first, first + count)
        if any(p in _taken for p in ports):
            continue
        try:
            for p in ports:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        _taken.update(ports)
        return first


def wait_until_ready(process, seconds=180):
    """Reads a gateway's output until its ready line, then drains the rest in the background (so it never blocks)."""
    deadline = time.time() + seconds
    for line in process.stdout:
        if line.startswith("StickyLb ready:"):
            break
        if time.time() > deadline:
            raise RuntimeError("the gateway did not start")
    else:
        raise RuntimeError("the gateway exited before it was ready")
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()


class Gateway:
    """The real gateway with its backends, on free ports; stopped with SIGTERM (which stops them all)."""

    def __init__(self, store, replication=None, backends=3, env=None):
        self.port, self.admin, self.backend_port = free_port(), free_port(), free_port(backends)
        args = ["dotnet", PROXY_DLL, "--store", store, "--backends", str(backends), "--port", str(self.port),
                "--admin-port", str(self.admin), "--backend-port", str(self.backend_port), "--store-port", str(free_port())]
        if replication:
            args += ["--replication", replication]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, **(env or {})})
        wait_until_ready(self.process)

    def backends(self):
        return json.loads(request(("127.0.0.1", self.admin), "GET", "/api/backends")[1])

    def backend_address(self, index):
        return ("127.0.0.1", self.backend_port + index - 1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def request(address, method, path, body=None, cookie=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection(*address, timeout=30)
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    cookies = [h[1].split(";")[0] for h in response.getheaders() if h[0].lower() == "set-cookie"]
    if own:
        connection.close()
    return response.status, data, cookies


def create_sessions(gateway, count, workers=16):
    """Logs in `count` users through the gateway, each with two cart items; returns their cookies."""
    local = threading.local()
    lock, unavailable = threading.Lock(), [0]

    def one(i):
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
        jar = {}
        for path, body in (("/login", {"user": f"user{i}"}), ("/cart/items", {"item": ITEM}), ("/cart/items", {"item": ITEM})):
            for attempt in range(20):
                status, _, cookies = request(None, "POST", path, body, "; ".join(f"{k}={v}" for k, v in jar.items()), local.connection)
                if status != 503:
                    break
                # A majority did not answer within the store's timeout, or the gateway's health probe
                # timed out (a busy machine): nothing was acknowledged, so the request is made again, and counted.
                with lock:
                    unavailable[0] += 1
                time.sleep(0.1 * (attempt + 1))
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            jar.update(c.split("=", 1) for c in cookies)
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        cookies = list(pool.map(one, range(count)))
    if unavailable[0]:
        print(f"   ({unavailable[0]} requests answered 503 and were made again)", flush=True)
    return cookies, unavailable[0]


def settle(gateway, expected, replicated, timeout=60):
    """Waits until every backend reports the sessions it should hold, then a little for memory to settle."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        backends = gateway.backends()
        held = [b["sessions"] for b in backends]
        if (min(held) >= expected) if replicated else (sum(held) >= expected):
            break
        time.sleep(0.5)
    time.sleep(3)
    return gateway.backends()


def memory(backends):
    values = sorted(b["memoryBytes"] for b in backends)
    return values[len(values) // 2]


def latency(address, cookie, count):
    """p50 and p99 of `count` sequential /whoami requests (a session load and a changed commit each), in ms."""
    connection = http.client.HTTPConnection(*address, timeout=30)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        status, _, _ = request(None, "GET", "/whoami", cookie=cookie, connection=connection)
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"/whoami answered {status}")
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def cluster_ports(backends, http_ports):
    """The cluster transport ports the backends listen on (every listening port of theirs but HTTP)."""
    pids = {b["pid"] for b in backends if b["pid"]}
    out = subprocess.run(["ss", "-tlnpH"], capture_output=True, text=True).stdout
    ports = set()
    for line in out.splitlines():
        match = re.search(LOOPBACK + r"(\d+)\s.*pid=(\d+)", line)
        if match and int(match.group(2)) in pids and int(match.group(1)) not in http_ports:
            ports.add(int(match.group(1)))
    return ports


def cluster_bytes(ports):
    """Bytes sent so far on every open TCP connection to or from a cluster port (each byte counted once: by its sender)."""
    out = subprocess.run(["ss", "-tinH"], capture_output=True, text=True).stdout
    total, counted = 0, False
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            addresses = re.findall(LOOPBACK + r"(\d+)", line)
            counted = any(int(p) in ports for p in addresses)
        elif counted:
            match = re.search(r"bytes_sent:(\d+)", line)
            total += int(match.group(1)) if match else 0
    return total


def bytes_per_change(gateway, cookies, changes, workers=8):
    backends = gateway.backends()
    ports = cluster_ports(backends, {gateway.backend_port + i for i in range(len(backends))})
    before, start = cluster_bytes(ports), time.time()
    time.sleep(5)
    idle_rate = (cluster_bytes(ports) - before) / (time.time() - start)

    local = threading.local()

    def change(i):
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
        request(None, "GET", "/whoami", cookie=cookies[i % len(cookies)], connection=local.connection)

    before, start = cluster_bytes(ports), time.time()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(change, range(changes)))
    time.sleep(1)  # the deltas of the last changes are on their way
    elapsed = time.time() - start
    busy = cluster_bytes(ports) - before
    return max(0.0, (busy - idle_rate * elapsed) / changes), idle_rate


def run_mode(store, replication, sessions, backends=3, changes=2000, latency_samples=500, workers=16):
    label = store + (f" {replication}" if replication else "")
    print(f"== {label}, {backends} backends", flush=True)
    gateway = Gateway(store, replication, backends)
    replicated = store == "replicated"
    result = {"mode": label, "backends": backends, "memory": {}, "held": {}, "retried": 0}
    try:
        cookies = []
        for target in sessions:
            started = time.time()
            created, retried = create_sessions(gateway, target - len(cookies), workers)
            cookies += created
            result["retried"] += retried
            state = settle(gateway, target, replicated)
            result["memory"][target] = memory(state)
            result["held"][target] = sorted(b["sessions"] for b in state)
            print(f"   {target} sessions in {time.time() - started:.0f} s: median backend {memory(state) / 2**20:.0f} MB, "
                  f"sessions held {result['held'][target]}", flush=True)
            if target == sessions[0]:
                status, data, cookie = request(gateway.backend_address(1), "POST", "/login", {"user": "timer"})
                result["latency"] = latency(gateway.backend_address(1), cookie[0], latency_samples)
                print(f"   write latency p50 {result['latency'][0]:.2f} ms, p99 {result['latency'][1]:.2f} ms", flush=True)
        if replicated:
            result["bytes"], result["idle"] = bytes_per_change(gateway, cookies, changes)
            print(f"   {result['bytes']:.0f} B per change on the cluster connections; idle {result['idle'] / 1024:.1f} KB/s", flush=True)
    finally:
        gateway.stop()
    return result


def mb(value):
    return f"{value / 2**20:.0f} MB"


def report(runs, growth, sessions, growth_sessions):
    lines = [
        "# Replicated mode (session clustering): what it costs",
        "",
        f"Measured {datetime.date.today().isoformat()} by `bench/replicated.sh` on {platform.node()} "
        f"({os.cpu_count()} cores, {platform.platform()}); a shared machine, so compare the rows with each other, "
        "not with another machine. Three backends unless stated; sessions of about 300 B (a user, a visit "
        "count, the creating backend and two 60-character cart items).",
        "",
        "## Memory per backend, write latency, replication traffic",
        "",
        f"| mode | memory per backend, {sessions[0]} sessions | memory per backend, {sessions[-1]:,} sessions | "
        f"sessions held per backend at {sessions[-1]:,} | write p50 | write p99 | bytes per change | idle cluster traffic | 503s retried |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['mode']} | {mb(run['memory'][sessions[0]])} | {mb(run['memory'][sessions[-1]])} | "
            f"{', '.join(str(h) for h in run['held'][sessions[-1]])} | {run['latency'][0]:.2f} ms | {run['latency'][1]:.2f} ms | "
            f"{'%.0f B' % run['bytes'] if 'bytes' in run else '-'} | {'%.1f KB/s' % (run['idle'] / 1024) if 'idle' in run else '-'} | {run['retried']} |")
    lines += [
        "",
        "- **memory per backend**: the median backend's resident memory (RSS) after the sessions were created. "
        "In memory and redis mode a backend holds its own users' sessions or none; in replicated mode every backend holds every session.",
        "- **write latency**: one client, sequential `GET /whoami` straight to backend 1 (a session load and a changed "
        "commit each). sync waits for a majority of the backends on the read and on the write; async for none.",
        "- **bytes per change**: bytes on the backends' cluster connections while changes were made through the gateway, "
        "less the idle traffic of the same time, divided by the changes. A change travels to every other backend "
        "(deltas), and full-state gossip repairs a whole shard now and then.",
        "- **503s retried**: requests that answered 503 while the sessions were created (a majority that did not "
        "answer within 1.5 s, or the gateway's 1 s health probe timing out on a machine this busy) and were made again; "
        "nothing was acknowledged by them.",
        "",
        f"## Growth with the farm: replicated sync, {growth_sessions:,} sessions",
        "",
        "| backends | memory per backend | memory of the farm | write p50 | write p99 | bytes per change | idle cluster traffic | 503s retried |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in growth:
        per = run["memory"][growth_sessions]
        lines.append(
            f"| {run['backends']} | {mb(per)} | {mb(per * run['backends'])} | {run['latency'][0]:.2f} ms | {run['latency'][1]:.2f} ms | "
            f"{run['bytes']:.0f} B | {run['idle'] / 1024:.1f} KB/s | {run['retried']} |")
    lines += [
        "",
        "Every backend holds every session, so a backend's memory does not shrink as backends are added, and the "
        "farm's grows with each one; every change is sent to every other backend, so the bytes per change grow with the farm too.",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[300, 10_000])
    parser.add_argument("--growth-sessions", type=int, default=2_000)
    parser.add_argument("--growth", type=int, nargs="*", default=[3, 5, 8])
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "replicated-results.md"))
    args = parser.parse_args()
    if not os.path.exists(PROXY_DLL):
        sys.exit(f"{PROXY_DLL} is missing: run bench/replicated.sh, which builds it.")

    runs = [run_mode(store, replication, args.sessions)
            for store, replication in (("memory", None), ("redis", None), ("replicated", "sync"), ("replicated", "async"))]
    # Up to 8 backends share this machine's cores with the clients: fewer concurrent clients, so that the
    # figures are the farm's and not an overloaded machine's.
    growth = [run_mode("replicated", "sync", [args.growth_sessions], backends=n, workers=4) for n in args.growth]
    with open(os.path.splitext(args.out)[0] + ".json", "w") as raw:
        json.dump({"runs": runs, "growth": growth}, raw, indent=2)
    text = report(runs, growth, args.sessions, args.growth_sessions)
    with open(args.out, "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    main()
