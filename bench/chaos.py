#!/usr/bin/env python3
"""A chaos run of our own: users change their carts through the real gateway while backends are SIGKILLed one
at a time and started again, and (in redis mode) the embedded store is SIGKILLed once; at the end every
acknowledged change is checked against a read of its user's cart. In redis mode and in replicated `sync`
mode nothing acknowledged may be lost (the store's kill may cost at most its last second; redis-server, whose
append-only file is written before each reply, loses nothing). Writes a Markdown report.

  bench/chaos.py [--seconds 60] [--users 30] [--kill-every 7] [--down 3] [--modes redis,replicated]
"""

import argparse
import datetime
import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway import free_port, free_range  # noqa: E402  (free ports, as every bench here finds them)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY_DLL = os.path.join(ROOT, "src/Proxy/bin/Release/net10.0/Proxy.dll")
MAX_ITEMS = 90  # a cart holds 100 items: a user checks its cart and starts afresh before it is full


def children(pid):
    """Every descendant of `pid` as (pid, command line), parents first."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline") as f:
                    table[int(entry)] = (ppid, f.read().replace("\0", " "))
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop(0)
        for child, (ppid, command) in table.items():
            if ppid == parent:
                found.append((child, command))
                frontier.append(child)
    return found


class User(threading.Thread):
    def __init__(self, name, gateway, stop):
        super().__init__(daemon=True)
        self.name, self.gateway, self.stop = name, gateway, stop
        self.opener = None
        self.acknowledged, self.count = [], 0
        self.checked = self.lost = self.failed = self.requests = 0
        self.lost_items = []

    def request(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.gateway + path, data=data, headers={"Content-Type": "application/json"})
        with self.opener.open(request, timeout=10) as response:
            return json.load(response)

    def fresh(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.acknowledged = []
        while True:
            try:
                self.request("login", {"user": self.name})
                return
            except (urllib.error.URLError, OSError, ValueError):
                if self.stop.is_set():
                    return
                time.sleep(0.1)

    def check(self):
        """Reads the cart (until a read succeeds) and counts every acknowledged item it no longer shows."""
        for _ in range(300):
            try:
                items = set(self.request("cart")["items"])
                missing = [a for a in self.acknowledged if a not in items]
                self.lost += len(missing)
                self.lost_items += missing
                self.checked += len(self.acknowledged)
                return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.1)
        raise RuntimeError(f"{self.name}: the cart could not be read for 30 s")

    def run(self):
        self.fresh()
        while not self.stop.is_set():
            item = f"{self.name}-{self.count}"
            self.count += 1
            self.requests += 1
            try:
                cart = self.request("cart/items", {"item": item})
                self.acknowledged.append(item)
                if len(cart["items"]) >= MAX_ITEMS:
                    self.check()
                    self.fresh()
            except (urllib.error.URLError, OSError, ValueError):
                self.failed += 1
            # A user's pace, about ten changes a second.
            time.sleep(0.1)


def run_mode(mode, args, folder):
    gateway_port, admin_port = free_port(), free_port()
    command = ["dotnet", PROXY_DLL, "--store", mode, "--port", str(gateway_port), "--admin-port", str(admin_port),
               "--backend-port", str(free_range(3)), "--store-port", str(free_port()),
               "--store-dir", os.path.join(folder, f"store-{mode}")]
    if mode == "replicated":
        command += ["--replication", "sync"]
    log = open(os.path.join(folder, f"gateway-{mode}.log"), "w")
    gateway = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    events = []
    try:
        deadline = time.time() + 120
        while "StickyLb ready:" not in open(log.name).read():
            if gateway.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{mode}: the gateway did not start: " + open(log.name).read()[-1500:])
            time.sleep(0.2)
        admin = f"http://127.0.0.1:{admin_port}/api/backends/"
        stop = threading.Event()
        users = [User(f"user{i}", f"http://127.0.0.1:{gateway_port}/", stop) for i in range(args.users)]
        for user in users:
            user.start()
        start = time.monotonic()
        next_kill, backend, store_killed = start + args.kill_every, 1, mode != "redis"
        while time.monotonic() - start < args.seconds:
            now = time.monotonic()
            if now >= next_kill:
                # One backend at a time: killed, started again `--down` seconds later.
                urllib.request.urlopen(urllib.request.Request(f"{admin}{backend}/kill", method="POST"), timeout=10).close()
                events.append(f"{now - start:5.1f} s: backend {backend} SIGKILLed")
                time.sleep(args.down)
                urllib.request.urlopen(urllib.request.Request(f"{admin}{backend}/start", method="POST"), timeout=60).close()
                events.append(f"{time.monotonic() - start:5.1f} s: backend {backend} started again")
                backend = backend % 3 + 1
                next_kill = time.monotonic() + args.kill_every - args.down
            elif not store_killed and now - start >= args.seconds / 2:
                servers = [(pid, c) for pid, c in children(gateway.pid) if "redis-server" in c or "GarnetServer" in c]
                for pid, _ in servers:
                    os.kill(pid, signal.SIGKILL)
                events.append(f"{now - start:5.1f} s: the embedded store SIGKILLed ({', '.join(c.split()[0] for _, c in servers)})")
                store_killed = True
            time.sleep(0.05)
        stop.set()
        for user in users:
            user.join(timeout=20)
        for user in users:
            user.check()
        return {
            "mode": mode + (" (sync)" if mode == "replicated" else ""),
            "acknowledged": sum(u.checked for u in users),
            "lost": sum(u.lost for u in users),
            "requests": sum(u.requests for u in users),
            "failed": sum(u.failed for u in users),
            "events": events,
            "lost_items": [i for u in users for i in u.lost_items][:10],
        }
    finally:
        try:
            os.killpg(gateway.pid, signal.SIGTERM)
            gateway.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(gateway.pid, signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--kill-every", type=float, default=7)
    parser.add_argument("--down", type=float, default=3)
    parser.add_argument("--modes", default="redis,replicated")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/chaos-results.md"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="stickylb-chaos-")
    results = []
    try:
        for mode in args.modes.split(","):
            print(f"{mode}: {args.seconds} s of chaos", file=sys.stderr)
            result = run_mode(mode, args, folder)
            print(f"{mode}: {result['lost']} of {result['acknowledged']} acknowledged changes lost", file=sys.stderr)
            results.append(result)
    finally:
        # The gateways' logs and the store's data directory (given with --store-dir, so kept by the gateway).
        shutil.rmtree(folder, ignore_errors=True)
    lines = [f"### {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: chaos, {args.users} users for {args.seconds} s",
             "",
             f"`bench/chaos.sh --seconds {args.seconds} --users {args.users} --kill-every {args.kill_every:g} --down {args.down:g}`: "
             f"{args.users} users add items to their carts about ten times a second each through the gateway (Release build, three backends); "
             f"every {args.kill_every:g} s a backend is SIGKILLed (1, 2, 3, 1, ...) and started {args.down:g} s later; in redis mode the "
             "embedded store (redis-server when on PATH) is SIGKILLed once, half-way; at the end every acknowledged change is checked "
             f"against a read of its user's cart. Machine: {os.cpu_count()} cores.",
             "",
             "| mode | acknowledged changes | lost | requests | failed (5xx or no answer, never acknowledged) |",
             "|---|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['mode']} | {r['acknowledged']} | {r['lost']} | {r['requests']} | {r['failed']} |")
    lines.append("")
    for r in results:
        lines.append(f"- {r['mode']}: " + "; ".join(r["events"]) + (f". Lost, for example: {', '.join(r['lost_items'])}" if r["lost_items"] else ""))
    report = "\n".join(lines) + "\n"
    print(report)
    marker = "## Earlier runs, newest first"
    header = "# Chaos: changing users, backends and the store killed\n\n"
    previous = open(args.out).read() if os.path.exists(args.out) else ""
    history = previous.replace(header, "").replace(marker + "\n\n", "").strip()
    with open(args.out, "w") as f:
        f.write(header + report + (f"\n{marker}\n\n{history}\n" if history else ""))
    if any(r["lost"] for r in results if not r["mode"].startswith("redis")):
        sys.exit(1)


if __name__ == "__main__":
    main()
