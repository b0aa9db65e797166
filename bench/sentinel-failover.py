#!/usr/bin/env python3
"""Sentinel failovers in a row under changing users, through the real gateway (redis mode, --redis with
serviceName=). A redis-server primary, one replica and three redis-sentinels (quorum 2, down-after 1 s by default,
failover-timeout 3 s) on free loopback ports; the gateway (Release build) with three backends. Users add
items to their carts without pause. Each failover: SIGKILL the primary, note when the first sentinel
announces +switch-master, and for every user when it was served again (its first 2xx sent after the
switch); then start the killed node again as a replica of the new primary and wait until it is in sync.
At the end every user's cart is read: an acknowledged item missing is lost. Writes a Markdown report.
Per failover it also writes a timeline per backend, from the backends' own store-client log (StoreConnectionLog,
UTC timestamps): when the connection to the killed node was lost, when the client's configuration changed with
writes going to the new primary, when its connection to the new primary was restored, and the backend's first
success and last failure after the switch (from the users' answers, by X-Backend).

  bench/sentinel-failover.py [--failovers 20] [--users 60] [--out bench/sentinel-failover-results.md]
"""

import argparse
import datetime
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
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
SERVICE = "stickylb"


def cli(port, *args, timeout=2):
    try:
        return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=timeout).stdout.strip()
    except subprocess.TimeoutExpired:
        return ""


class Farm:
    """The store's nodes and sentinels, and the gateway: every process this bench starts."""

    def __init__(self, folder, down_after):
        self.folder = folder
        self.down_after = down_after
        self.processes = {}
        self.sentinels = [free_port() for _ in range(3)]

    def start(self, name, command, env=None):
        log = open(os.path.join(self.folder, name + ".log"), "a")
        self.processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                                env=None if env is None else {**os.environ, **env})
        return self.processes[name]

    def start_node(self, port, primary=None):
        folder = os.path.join(self.folder, str(port))
        os.makedirs(folder, exist_ok=True)
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
                   "--appendonly", "no", "--repl-diskless-sync-delay", "0"]
        if primary:
            command += ["--replicaof", "127.0.0.1", str(primary)]
        return self.start(f"node-{port}", command)

    def start_sentinel(self, port, primary):
        folder = os.path.join(self.folder, str(port))
        os.makedirs(folder, exist_ok=True)
        conf = os.path.join(folder, "sentinel.conf")
        with open(conf, "w") as f:
            f.write("\n".join([f"port {port}", "bind 127.0.0.1", f"dir {folder}",
                               f"sentinel monitor {SERVICE} 127.0.0.1 {primary} 2",
                               f"sentinel down-after-milliseconds {SERVICE} {self.down_after}",
                               f"sentinel failover-timeout {SERVICE} 3000",
                               f"sentinel parallel-syncs {SERVICE} 1", ""]))
        self.start(f"sentinel-{port}", ["redis-sentinel", conf])

    def primary(self):
        for port in self.sentinels:
            answer = cli(port, "sentinel", "get-master-addr-by-name", SERVICE).split()
            if len(answer) == 2:
                return int(answer[1])
        return None

    def state(self, replica):
        """What each sentinel says of the service and its replicas, and the replica of its link: for a report when something hangs."""
        views = []
        for port in self.sentinels:
            master = cli(port, "sentinel", "master", SERVICE).split("\n")
            fields = dict(zip(master[0::2], master[1::2]))
            replicas = cli(port, "sentinel", "replicas", SERVICE).split("\n")
            flags = [replicas[i + 1] for i in range(0, len(replicas) - 1) if replicas[i] == "flags"]
            views.append({k: fields.get(k) for k in ("port", "flags", "num-slaves", "num-other-sentinels")} | {"replica flags": flags})
        link = [l for l in cli(replica, "info", "replication").split("\n") if l.startswith(("role", "master_port", "master_link_status"))]
        return {"sentinels": views, "replica": link}

    def ready(self, primary, replica):
        for port in self.sentinels:
            master = cli(port, "sentinel", "master", SERVICE).split("\n")
            fields = dict(zip(master[0::2], master[1::2]))
            if fields.get("num-slaves") != "1" or fields.get("num-other-sentinels") != "2" or fields.get("flags") != "master" \
                    or fields.get("port") != str(primary):
                return False
            # The sentinels must see the replica up, or they cannot promote it.
            replicas = cli(port, "sentinel", "replicas", SERVICE)
            if "s_down" in replicas or "disconnected" in replicas:
                return False
        return "master_link_status:up" in cli(replica, "info", "replication")

    def stop_all(self):
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


class User(threading.Thread):
    """One user adding items to its cart as fast as it is answered; notes every answer."""

    def __init__(self, name, gateway, clock, stop):
        super().__init__(daemon=True)
        self.name, self.gateway, self.clock, self.stop = name, gateway, clock, stop
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.answers = []  # (sent, received, ok, reason, backend)
        self.acknowledged = []
        self.count = 0

    def post(self, path, body):
        request = urllib.request.Request(self.gateway + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        with self.opener.open(request, timeout=10) as response:
            self.backend = response.headers.get("X-Backend")
            return json.load(response)

    backend = None

    def login(self):
        self.post("login", {"user": self.name})

    def run(self):
        while not self.stop.is_set():
            item = f"{self.name}-{self.count}"
            self.count += 1
            sent = self.clock()
            try:
                cart = self.post("cart/items", {"item": item})
                self.answers.append((sent, self.clock(), True, "", self.backend))
                self.acknowledged.append((item, sent, self.clock()))
                # A cart holds 100 items: before it is full the user checks it and starts afresh.
                if len(cart.get("items", [])) >= 90:
                    self.retire()
            except (urllib.error.URLError, OSError, ValueError) as ex:
                reason = type(ex).__name__
                if isinstance(ex, urllib.error.HTTPError):
                    try:
                        body = json.loads(ex.read() or b"{}")
                    except ValueError:
                        body = {}
                    reason = f"{ex.code} {body.get('title', '')}".strip()
                backend = ex.headers.get("X-Backend") if isinstance(ex, urllib.error.HTTPError) else None
                self.answers.append((sent, self.clock(), False, reason, backend))
                time.sleep(0.05)

    def retire(self):
        """Reads the full cart's items back (counted at the end) and starts a new session."""
        self.check_lost()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.acknowledged = []
        while not self.stop.is_set():
            try:
                self.login()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)

    lost = 0
    checked = 0
    lost_items = ()

    def check_lost(self):
        for _ in range(200):
            try:
                with self.opener.open(self.gateway + "cart", timeout=10) as response:
                    items = set(json.load(response)["items"])
                missing = [a for a in self.acknowledged if a[0] not in items]
                self.lost += len(missing)
                self.lost_items = [*self.lost_items, *missing]
                self.checked += len(self.acknowledged)
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.lost += len(self.acknowledged)
        self.lost_items = [*self.lost_items, *self.acknowledged]
        self.checked += len(self.acknowledged)


def watch_switches(port, clock, switches, stop):
    """Notes when sentinel `port` announces +switch-master (redis-cli subscribe, one line per field)."""
    process = subprocess.Popen(["redis-cli", "-p", str(port), "subscribe", "+switch-master"], stdout=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line.strip())
            if len(lines) >= 3 and lines[-3] == "message" and lines[-2] == "+switch-master":
                switches.append((clock(), lines[-1]))
            if stop.is_set():
                break
    finally:
        process.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failovers", type=int, default=20)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--down-after", type=int, default=1000, metavar="MS",
                        help="the sentinels' down-after-milliseconds (default 1000, as in issue 29's measurements)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/sentinel-failover-results.md"))
    parser.add_argument("--label", default="", help="what this run measures, for the report")
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder (printed at the end)")
    parser.add_argument("--redis-options", default="", help="appended to --redis, e.g. connectTimeout=1000 (to measure a variant)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="set in the gateway's and backends' environment (to measure a variant)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="stickylb-sentinel-bench-")
    farm = Farm(folder, args.down_after)
    stop = threading.Event()
    start = time.monotonic()
    start_wall = time.time()
    clock = lambda: time.monotonic() - start  # noqa: E731
    print(f"clock starts at {datetime.datetime.now():%H:%M:%S.%f}", file=sys.stderr)
    rows = []
    users = []
    notes = []
    try:
        primary, replica = free_port(), free_port()
        farm.start_node(primary)
        farm.start_node(replica, primary)
        for port in farm.sentinels:
            farm.start_sentinel(port, primary)
        deadline = time.time() + 60
        while not farm.ready(primary, replica):
            if time.time() > deadline:
                raise RuntimeError("the Sentinel store did not become ready")
            time.sleep(0.1)

        gateway_port, admin_port = free_port(), free_port()
        configuration = ",".join(f"127.0.0.1:{p}" for p in farm.sentinels) + f",serviceName={SERVICE}" \
            + (f",{args.redis_options}" if args.redis_options else "")
        gateway = farm.start("gateway", ["dotnet", PROXY_DLL, "--store", "redis", "--redis", configuration,
                                         "--port", str(gateway_port), "--admin-port", str(admin_port),
                                         "--backend-port", str(free_range(3)),
                                         "--Logging:LogLevel:StickyLb.Proxy.Backends", "Debug"],
                             # Inherited by the backends: their store client's events, one line each, UTC timestamps.
                             env=LOG_ENV | dict(e.split("=", 1) for e in args.env))
        deadline = time.time() + 90
        while "StickyLb ready:" not in open(os.path.join(folder, "gateway.log")).read():
            if gateway.poll() is not None or time.time() > deadline:
                raise RuntimeError("the gateway did not start: " + open(os.path.join(folder, "gateway.log")).read()[-2000:])
            time.sleep(0.1)

        switches = []
        threading.Thread(target=watch_switches, args=(farm.sentinels[0], clock, switches, stop), daemon=True).start()
        url = f"http://127.0.0.1:{gateway_port}/"
        for i in range(args.users):
            user = User(f"user{i}", url, clock, stop)
            user.login()
            users.append(user)
        for user in users:
            user.start()
        time.sleep(2)

        nodes = {primary: None, replica: None}
        for failover in range(1, args.failovers + 1):
            current = farm.primary()
            other = next(p for p in nodes if p != current)
            seen = len(switches)
            killed_at = clock()
            farm.processes[f"node-{current}"].send_signal(signal.SIGKILL)
            farm.processes[f"node-{current}"].wait()
            deadline = time.time() + 60
            while len(switches) == seen and time.time() < deadline:
                time.sleep(0.02)
            if len(switches) == seen:
                rows.append({"failover": failover, "switch": None, "served": None, "first": None, "unserved30": args.users,
                             "killed_at": killed_at, "old": current, "new": other})
                print(f"failover {failover}: no +switch-master within 60 s", file=sys.stderr)
                break
            switched_at = switches[seen][0]
            # Every user's first answer after the switch: wait up to 30 s for them all.
            deadline = switched_at + 30
            served = {}
            while clock() < deadline and len(served) < len(users):
                for user in users:
                    if user.name not in served:
                        after = [a for a in list(user.answers) if a[0] >= switched_at and a[2]]
                        if after:
                            served[user.name] = after[0][1] - switched_at
                time.sleep(0.05)
            # Why the users still failed after the switch: the failures' answers, most common first.
            reasons = {}
            for user in users:
                for a in list(user.answers):
                    if a[0] >= switched_at and not a[2] and user.name in served and a[1] - switched_at <= served[user.name]:
                        reasons[a[3]] = reasons.get(a[3], 0) + 1
            row = {"failover": failover, "switch": switched_at - killed_at,
                   "why": ", ".join(f"{k or '?'} x{v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])[:3]),
                   "served": max(served.values()) if len(served) == len(users) else None,
                   "first": min(served.values()) if served else None,
                   "unserved30": len(users) - len(served),
                   "p50": statistics.median(served.values()) if served else None,
                   "killed_at": killed_at, "switched_at": switched_at, "old": current, "new": other}
            rows.append(row)
            print(f"failover {failover} at {killed_at:.2f} s: kill -> +switch-master {row['switch']:.2f} s; every user served "
                  f"{'%.2f s' % row['served'] if row['served'] is not None else 'NOT within 30 s'} after it "
                  f"(first {row['first']:.2f} s, median {row['p50']:.2f} s); failures after the switch: {row['why'] or 'none'}", file=sys.stderr)
            # The killed node returns as a replica of the new primary; the next failover needs it in sync.
            farm.start_node(current, other)
            deadline = time.time() + 60
            while not farm.ready(other, current) and time.time() < deadline:
                time.sleep(0.1)
            if not farm.ready(other, current):
                note = f"failover {failover}: the restarted node {current} did not rejoin as a replica of {other} within 60 s; the sentinels: {farm.state(current)}"
                print(note, file=sys.stderr)
                notes.append(note)
                break
            time.sleep(1)

        stop.set()
        for user in users:
            user.join(timeout=15)
        for user in users:
            user.check_lost()
        timelines(rows, users, os.path.join(folder, "gateway.log"), start_wall)
    finally:
        stop.set()
        farm.stop_all()
        if args.keep:
            print(f"logs kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)

    # Lost items by the failover whose kill came last before their acknowledgement: when they were acknowledged.
    kills = [r["killed_at"] for r in rows]
    by_failover = {}
    for user in users:
        for item, sent, acked in user.lost_items:
            index = max((i for i, k in enumerate(kills) if k <= acked), default=None)
            by_failover.setdefault(index, []).append(acked - (kills[index] if index is not None else 0))
    for index, times in sorted(by_failover.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        where = "before the first kill" if index is None else f"after the kill of failover {index + 1}"
        notes.append(f"lost: {len(times)} acknowledged items, acknowledged {min(times):.3f}-{max(times):.3f} s {where}")
    report = render(args, rows, users) + "".join(f"\n{n}\n" for n in notes)
    print(report)
    write_report(args.out, report)


LOG_ENV = {
    "Logging__LogLevel__StickyLb.BackendApp.Redis": "Information",
    "Logging__Console__FormatterName": "simple",
    "Logging__Console__FormatterOptions__SingleLine": "true",
    "Logging__Console__FormatterOptions__UseUtcTimestamp": "true",
    "Logging__Console__FormatterOptions__TimestampFormat": "HH:mm:ss.fff ",
}
LOG_LINE = re.compile(r"backend (\d+): (\d\d):(\d\d):(\d\d\.\d+) \w+: (\S+)\[(\d+)\] (.*)")


def backend_events(path, start_wall):
    """The backends' store-client log lines from the gateway's log: (clock, backend, category, event id, text)."""
    day = start_wall - start_wall % 86400
    events = []
    for line in open(path, errors="replace"):
        m = LOG_LINE.search(line)
        if not m:
            continue
        wall = day + int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4])
        if wall < start_wall - 43200:  # past midnight UTC
            wall += 86400
        events.append((wall - start_wall, m[1], m[5], int(m[6]), m[7]))
    return events


def timelines(rows, users, path, start_wall):
    """For each failover and backend, seconds after +switch-master: the killed node's connection lost, the client's
    configuration changed with writes going to the new primary, its connection to the new primary restored, its
    first success and last failure after the switch; and the client's own notes of reconfigurations it skipped."""
    events = backend_events(path, start_wall)
    backends = sorted({e[1] for e in events} | {a[4] for u in users for a in u.answers if a[4]})
    for i, row in enumerate(rows):
        if row.get("switched_at") is None:
            continue
        begin, switched = row["killed_at"], row["switched_at"]
        end = rows[i + 1]["killed_at"] if i + 1 < len(rows) else float("inf")
        old, new = f"127.0.0.1:{row['old']}", f"127.0.0.1:{row['new']}"
        row["timeline"] = {}
        for b in backends:
            mine = [e for e in events if e[1] == b and begin <= e[0] < end]
            first = lambda pred: next((e[0] - switched for e in mine if pred(e)), None)  # noqa: E731
            answers = [a for u in users for a in list(u.answers) if a[4] == b and a[0] >= switched and a[1] < end]
            ok = [a[1] for a in answers if a[2]]
            bad = [a[1] for a in answers if not a[2] and (not ok or a[1] <= min(ok) + 5)]
            row["timeline"][b] = {
                "lost": first(lambda e: e[3] == 4210 and old in e[4] and "Interactive" in e[4]),
                "changed": first(lambda e: e[3] == 4212 and e[4].rstrip(".").endswith(new)),
                "restored": first(lambda e: e[3] == 4211 and new in e[4] and "Interactive" in e[4]),
                "served": min(ok) - switched if ok else None,
                "last_failure": max(bad) - switched if bad else None,
            }


def render(args, rows, users):
    done = [r for r in rows if r["served"] is not None]
    lines = [
        f"### {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: {len(rows)} Sentinel failovers in a row{(', ' + args.label) if args.label else ''}",
        "",
        f"`bench/sentinel-failover.sh --failovers {args.failovers} --users {args.users}"
        f"{f' --down-after {args.down_after}' if args.down_after != 1000 else ''}{''.join(f' --env {e}' for e in args.env)}{f' --redis-options {args.redis_options}' if args.redis_options else ''}`: {args.users} users adding to their carts without pause "
        "through the gateway (3 backends, redis mode, `--redis` with three sentinels and `serviceName=`); each failover SIGKILLs the primary, "
        "notes when the first sentinel announces `+switch-master`, and for each user when its first 2xx sent after the switch came back; the "
        f"killed node returns as a replica before the next. Machine: {os.cpu_count()} cores.",
        "",
        "| failover | kill -> +switch-master (s) | first user served (s after the switch) | median user | every user served (s after the switch) | users not served within 30 s | failures after the switch |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        lines.append(f"| {r['failover']} | {fmt(r['switch'])} | {fmt(r['first'])} | {fmt(r.get('p50'))} | {fmt(r['served'])} | {r['unserved30']} | {r.get('why') or '-'} |")
    lost = sum(u.lost for u in users)
    checked = sum(u.checked for u in users)
    worst = max((r["served"] for r in done), default=None)
    lines += ["",
              f"Every user served again within 1 s of `+switch-master` in {sum(1 for r in done if r['served'] <= 1.0)} of {len(rows)} failovers "
              f"(worst {'-' if worst is None else f'{worst:.2f} s'}); acknowledged items lost: {lost} of {checked}.", ""]
    if any(r.get("timeline") for r in rows):
        lines += ["Per backend, seconds after `+switch-master` (negative: before it): the connection to the killed node lost, the "
                  "client's configuration changed with writes going to the new primary, its connection to the new primary restored "
                  "(`-`: not logged, the connection was not lost), the backend's first success and last failure among requests sent "
                  "after the switch. From the backends' `StoreConnectionLog` (UTC timestamps) and the users' answers (`X-Backend`).", "",
                  "| failover | backend | lost | writes to new primary | restored | first success | last failure |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        for r in rows:
            for b, t in sorted((r.get("timeline") or {}).items()):
                lines.append(f"| {r['failover']} | {b} | {fmt(t['lost'])} | {fmt(t['changed'])} | {fmt(t['restored'])} | "
                             f"{fmt(t['served'])} | {fmt(t['last_failure'])} |")
        lines.append("")
    return "\n".join(lines)


def write_report(path, report):
    marker = "## Earlier runs, newest first"
    previous = open(path).read() if os.path.exists(path) else ""
    history = previous.replace(marker + "\n\n", "").strip()
    header = "# Sentinel failovers in a row\n\n"
    history = history.replace(header.strip(), "").strip()
    with open(path, "w") as f:
        f.write(header + report + (f"\n{marker}\n\n{history}\n" if history else ""))


if __name__ == "__main__":
    main()
