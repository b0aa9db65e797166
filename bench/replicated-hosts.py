#!/usr/bin/env python3
"""Replicated mode across hosts: session changes on a survivor when a backend on another host dies or stalls.

Each host is a Linux network namespace of its own, joined by veth pairs to a bridge in one more namespace, with
addresses in a random 10.213.x.0/24 that exists only inside them: the topology of the test suite's harness
(tests/StickyLb.Tests/Infrastructure/NetworkNamespaces.cs), made here by `ip` the same way. Nothing touches the root
namespace's interfaces or routes; every process and namespace is removed at the end, also after an error or Ctrl+C,
and a lab left by a bench process that is gone is removed by the next run. Needs root and iproute2.

Hosts: b1, b2, b3 (BackendApp in replicated sync mode, started as the gateway starts them, with the cluster settings
on the command line: --Backend:Store replicated --Replicated:Hostname/Port/Seeds/Replication), gw (the gateway with
--spawn false --backend ...), client (this script, which enters that namespace for its requests). Users log in
through the gateway; one client then changes a session straight on backend 1 (GET /whoami: a majority read and a
write to every backend), sequentially, while backend 2 is
  kill:  SIGKILLed;
  stop:  SIGSTOPped for --stop-seconds, then SIGCONTinued: it must not be downed (alive, healthy, three members again).
For --seconds after the event the report counts the changes, the slow ones (> 100 ms), the longest wait among the
changes that began after the first second, and when backend 1 saw two members (/healthz). Variants: "watch" (as
shipped) and "akka-only" (--Replicated:DownDeadPeers false: Akka's failure detector and split-brain resolver only).
--hog N runs N busy processes during every round (a loaded machine).

  bench/replicated-hosts.py [--rounds 3] [--seconds 10] [--scenarios kill,stop] [--variants watch,akka-only]
                            [--stop-seconds 6] [--hog 0] [--users 30] [--out bench/replicated-hosts-results.md]
Run it through bench/replicated-hosts.sh, which builds StickyLb in Release.
"""
import argparse
import ctypes
import datetime
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "src/Proxy/bin/Release/net10.0")
PREFIX = "stickylb-b"  # the test suite's labs are stickylb-t...: a bench never touches theirs
BACKEND_PORT, GATEWAY_PORT, CLUSTER_PORT = 8080, 8000, 2551
SLOW_MS = 100
CLONE_NEWNET = 0x40000000
VARIANTS = {"watch": [], "akka-only": ["--Replicated:DownDeadPeers", "false"]}


def ip(*args, check=True):
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def remove_namespace(name):
    """Kills every process inside `name` (never this one), then deletes it."""
    for pid in ip("netns", "pids", name, check=False).split():
        if int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    for _ in range(100):
        if not [p for p in ip("netns", "pids", name, check=False).split() if int(p) != os.getpid()]:
            break
        time.sleep(0.05)
    ip("netns", "del", name, check=False)


def remove_leftovers():
    """Labs of bench processes that are gone (a run that was killed); labs of live processes are left alone."""
    for line in ip("netns", "list").splitlines():
        name = line.split(" ")[0]
        if name.startswith(PREFIX):
            owner = name[len(PREFIX):].split("-")[0]
            if owner.isdigit() and int(owner) != os.getpid() and not alive(int(owner)):
                print(f"removing {name}, left by process {owner}", file=sys.stderr)
                remove_namespace(name)


class Lab:
    """Hosts on a private network of namespaces (see the module's docstring)."""

    def __init__(self, hosts):
        self.lab = f"{random.getrandbits(32):08x}"
        self.net = f"10.213.{random.randrange(256)}"
        self.names, self.addresses, self.processes = [], {}, []
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)  # this process's own network namespace, to return to
        try:
            self.build(hosts)
        except BaseException:
            self.close()
            raise

    def build(self, hosts):
        bridge = self.add("net")
        ip("-n", bridge, "link", "add", "br0", "type", "bridge")
        ip("-n", bridge, "link", "set", "br0", "up")
        for i, host in enumerate(hosts):
            name = self.add(host)
            # Made inside the bridge's namespace, its peer moved straight into the host's: never in the root namespace.
            ip("-n", bridge, "link", "add", f"v{i}", "type", "veth", "peer", "name", "eth0", "netns", name)
            ip("-n", bridge, "link", "set", f"v{i}", "master", "br0", "up")
            self.addresses[host] = f"{self.net}.{10 + i}"
            ip("-n", name, "addr", "add", f"{self.addresses[host]}/24", "dev", "eth0")
            ip("-n", name, "link", "set", "eth0", "up")

    def namespace(self, host):
        return f"{PREFIX}{os.getpid()}-{self.lab}-{host}"

    def add(self, host):
        name = self.namespace(host)
        ip("netns", "add", name)
        self.names.append(name)
        ip("-n", name, "link", "set", "lo", "up")
        return name

    def start(self, host, log, *command):
        """`ip netns exec` execs the command: the process's id is the program's."""
        process = subprocess.Popen(["ip", "netns", "exec", self.namespace(host), *command], stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append(process)
        return process

    def enter(self, host):
        """Moves this thread (and the threads it starts later) into `host`'s network namespace."""
        fd = os.open(f"/run/netns/{self.namespace(host)}", os.O_RDONLY)
        try:
            self.setns(fd)
        finally:
            os.close(fd)

    @staticmethod
    def setns(fd):
        if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")

    def close(self):
        # Back home first: a namespace this thread is in cannot be emptied of it.
        self.setns(self.home)
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.kill(process.pid, signal.SIGCONT)
                    process.kill()
                except ProcessLookupError:
                    pass
            process.wait()
        for name in reversed(self.names):
            remove_namespace(name)
        left = [n for n in reversed(self.names) if n in ip("netns", "list")]
        if left:
            raise RuntimeError(f"namespaces not removed: {left}")


def request(host, port, method, path, body=None, cookie=None, connection=None, timeout=30):
    own = connection is None
    connection = connection or http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        cookies = [h[1].split(";")[0] for h in response.getheaders() if h[0].lower() == "set-cookie"]
        return response.status, data, cookies
    finally:
        if own:
            connection.close()


def health(address):
    try:
        status, body, _ = request(address, BACKEND_PORT, "GET", "/healthz", timeout=2)
        return status, json.loads(body)
    except (OSError, ValueError, http.client.HTTPException):
        return None, {}


def wait_for(what, condition, timeout, logs):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} within {timeout} s; logs in {logs}")


class Round:
    """Three backends and the gateway, fresh, on the lab's hosts; the cluster port differs per round."""

    def __init__(self, lab, folder, number, variant):
        self.lab, self.folder, self.variant = lab, folder, variant
        self.port = CLUSTER_PORT + number
        self.backends = {}
        a = lab.addresses
        for n in (1, 2, 3):
            # As the gateway hands down cluster settings: the first lists itself, the others the ones started before.
            seeds = ",".join(f"{a[f'b{p}']}:{self.port}" for p in ([1] if n == 1 else range(1, n)))
            log = open(os.path.join(folder, f"round{number}-{variant}-b{n}.log"), "w")
            self.backends[n] = lab.start(
                f"b{n}", log, "dotnet", os.path.join(BIN, "BackendApp.dll"),
                "--urls", f"http://{a[f'b{n}']}:{BACKEND_PORT}", "--Backend:Id", str(n), "--Backend:Store", "replicated",
                "--Backend:IdleTimeout", "00:20:00", "--Backend:TrustedProxies", a["gw"],
                "--Replicated:Hostname", a[f"b{n}"], "--Replicated:Port", str(self.port),
                "--Replicated:Seeds", seeds, "--Replicated:Replication", "sync",
                "--Logging:LogLevel:StickyLb.BackendApp.Replicated", "Information",
                "--Logging:Console:FormatterName", "simple", "--Logging:Console:FormatterOptions:SingleLine", "true",
                "--Logging:Console:FormatterOptions:TimestampFormat", "HH:mm:ss.fff ",
                "--Logging:Console:FormatterOptions:UseUtcTimestamp", "true",
                *VARIANTS[variant])
        log = open(os.path.join(folder, f"round{number}-{variant}-gw.log"), "w")
        self.gateway = lab.start("gw", log, "dotnet", os.path.join(BIN, "Proxy.dll"), "--spawn", "false", "--store", "replicated",
                                 *[x for n in (1, 2, 3) for x in ("--backend", f"http://{a[f'b{n}']}:{BACKEND_PORT}")],
                                 "--listen", f"http://{a['gw']}:{GATEWAY_PORT}", "--health-path", "/healthz")
        wait_for("every backend healthy with three members",
                 lambda: all(health(a[f"b{n}"])[1].get("members") == 3 and health(a[f"b{n}"])[0] == 200 for n in (1, 2, 3)), 120, folder)
        wait_for("the gateway answering", lambda: self.gateway_answers(), 60, folder)

    def gateway_answers(self):
        try:
            return request(self.lab.addresses["gw"], GATEWAY_PORT, "GET", "/whoami", timeout=2)[0] == 200
        except (OSError, http.client.HTTPException):
            return False

    def login(self, users):
        """Users log in through the gateway, each adding an item; returns their cookies."""
        cookies = []
        for i in range(users):
            jar = {}
            for path, body in (("/login", {"user": f"user{i}"}), ("/cart/items", {"item": "book"})):
                for _ in range(50):
                    status, _, set_cookies = request(self.lab.addresses["gw"], GATEWAY_PORT, "POST", path, body,
                                                     "; ".join(f"{k}={v}" for k, v in jar.items()))
                    jar.update(c.split("=", 1) for c in set_cookies)
                    if status == 200:
                        break
                    time.sleep(0.1)
            cookies.append("; ".join(f"{k}={v}" for k, v in jar.items() if k != "server"))
        return cookies

    def stop(self):
        for process in [*self.backends.values(), self.gateway]:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.kill()
            process.wait()


def one_round(lab, folder, number, variant, scenario, args):
    started = time.time()
    r = Round(lab, folder, number, variant)
    try:
        ready = time.time() - started
        cookie = r.login(args.users)[0]
        b1 = lab.addresses["b1"]
        connection = http.client.HTTPConnection(b1, BACKEND_PORT, timeout=30)
        for _ in range(50):  # warm the connection and the path
            request(None, None, "GET", "/whoami", cookie=cookie, connection=connection)
        samples, shrunk, regrown, stop = [], [None], [None], threading.Event()
        victim = r.backends[2].pid

        def watch_members(start):
            while not stop.is_set() and time.perf_counter() - start < args.seconds + 15:
                members = health(b1)[1].get("members")
                if members == 2 and shrunk[0] is None:
                    shrunk[0] = time.perf_counter() - start
                if members == 3 and shrunk[0] is not None and regrown[0] is None:
                    regrown[0] = time.perf_counter() - start
                time.sleep(0.05)

        start = time.perf_counter()
        os.kill(victim, signal.SIGKILL if scenario == "kill" else signal.SIGSTOP)
        resume = threading.Timer(args.stop_seconds, lambda: os.kill(victim, signal.SIGCONT)) if scenario == "stop" else None
        if resume:
            resume.start()
        watcher = threading.Thread(target=watch_members, args=(start,), daemon=True)
        watcher.start()
        failed = 0
        while time.perf_counter() - start < args.seconds:
            began = time.perf_counter()
            try:
                status, _, _ = request(None, None, "GET", "/whoami", cookie=cookie, connection=connection)
            except (OSError, http.client.HTTPException):
                status = 0
                connection = http.client.HTTPConnection(b1, BACKEND_PORT, timeout=30)
            samples.append((began - start, (time.perf_counter() - began) * 1000))
            failed += status != 200
        if resume:
            resume.join()
        result = {"ready_s": ready, "changes": len(samples), "failed": failed}
        ordered = sorted(ms for _, ms in samples)
        later = [ms for at, ms in samples if at >= 1.0]
        slow_after = [at for at, ms in samples if ms > SLOW_MS]
        result |= {
            "slow": sum(1 for ms in ordered if ms > SLOW_MS),
            "p50": ordered[len(ordered) // 2], "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], "max": ordered[-1],
            "max_after_1s": max(later) if later else None,
            "slow_after_1s": sum(1 for ms in later if ms > SLOW_MS),
            "last_slow_at": max(slow_after) if slow_after else None,
        }
        if scenario == "stop":
            # Not downed: alive, healthy again, and backend 1 sees three members.
            wait_deadline = time.time() + 20
            while time.time() < wait_deadline and not (health(lab.addresses["b2"])[0] == 200 and health(b1)[1].get("members") == 3):
                time.sleep(0.1)
            result["victim_alive"] = r.backends[2].poll() is None
            result["victim_healthy"] = health(lab.addresses["b2"])[0] == 200
            result["members_after"] = health(b1)[1].get("members")
        if scenario == "kill":
            # Akka alone takes the dead backend out after about 10 s: keep watching for it (up to --seconds + 15 s).
            watcher.join(timeout=args.seconds + 16)
        stop.set()
        watcher.join(timeout=5)
        result["two_members_at"] = shrunk[0]
        if scenario == "stop":
            result["three_again_at"] = regrown[0]
        return result
    finally:
        r.stop()


def fmt(value, digits=2):
    if value is None:
        return "never"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--scenarios", default="kill,stop")
    parser.add_argument("--variants", default="watch,akka-only")
    parser.add_argument("--stop-seconds", type=float, default=6)
    parser.add_argument("--hog", type=int, default=0, help="busy processes to run during every round")
    parser.add_argument("--label", default="")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs (the folder is printed)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "replicated-hosts-results.md"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("network namespaces need root")
    if not os.path.exists(os.path.join(BIN, "Proxy.dll")):
        sys.exit(f"{BIN}/Proxy.dll is missing: run bench/replicated-hosts.sh, which builds it.")
    # Ctrl+C and SIGTERM end the run through the finally blocks below, which remove the lab.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    remove_leftovers()
    folder = tempfile.mkdtemp(prefix="stickylb-hosts-bench-")
    hogs = []
    results = []
    lab = Lab(["gw", "b1", "b2", "b3", "client"])
    try:
        print(f"lab {lab.lab}: {lab.net}.0/24 {lab.addresses}; logs in {folder}", file=sys.stderr)
        lab.enter("client")
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hog)]
        number = 0
        for round_number in range(1, args.rounds + 1):
            for scenario in args.scenarios.split(","):
                for variant in args.variants.split(","):
                    number += 1
                    result = one_round(lab, folder, number, variant, scenario, args)
                    results.append((scenario, variant, result))
                    print(f"round {round_number} {scenario} {variant}: " + ", ".join(f"{k} {fmt(v)}" for k, v in result.items()),
                          file=sys.stderr, flush=True)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        lab.close()
        if not args.keep:
            subprocess.run(["rm", "-rf", folder])
    report = render(args, results)
    print(report)
    write_report(args.out, report)


def render(args, results):
    command = (f"bench/replicated-hosts.sh --rounds {args.rounds} --seconds {args.seconds:g} --scenarios {args.scenarios} "
               f"--variants {args.variants} --stop-seconds {args.stop_seconds:g} --hog {args.hog} --users {args.users}")
    lines = [f"### {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC{': ' + args.label if args.label else ''}", "",
             f"`{command}`; {os.cpu_count()} cores, load average before the run {os.getloadavg()[0]:.2f}"
             f"{f', with {args.hog} busy processes running throughout' if args.hog else ''}. One client changes a session "
             f"(GET /whoami) sequentially on backend 1 for {args.seconds:g} s after backend 2 (another host) is SIGKILLed (kill) "
             f"or SIGSTOPped for {args.stop_seconds:g} s (stop); medians of the rounds, every round below.", "",
             "| scenario | variant | changes | slow (> 100 ms) | slow after the first second | longest wait after the first second (ms) | max (ms) | p50 (ms) | backend 1 saw two members (s) | failed |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    keys = {(s, v) for s, v, _ in results}
    for scenario in args.scenarios.split(","):
        for variant in args.variants.split(","):
            if (scenario, variant) not in keys:
                continue
            runs = [r for s, v, r in results if (s, v) == (scenario, variant)]
            med = lambda key: statistics.median([r[key] for r in runs if r.get(key) is not None]) if any(r.get(key) is not None for r in runs) else None  # noqa: E731
            lines.append(f"| {scenario} | {variant} | {fmt(med('changes'), 0)} | {fmt(med('slow'), 0)} | {fmt(med('slow_after_1s'), 0)} | "
                         f"{fmt(med('max_after_1s'), 0)} | {fmt(med('max'), 0)} | {fmt(med('p50'))} | {fmt(med('two_members_at'))} | {fmt(med('failed'), 0)} |")
    lines += ["", "Every round:", ""]
    for scenario, variant, r in results:
        lines.append(f"- {scenario} {variant}: " + ", ".join(f"{k} {fmt(v)}" for k, v in r.items()))
    return "\n".join(lines) + "\n"


def write_report(path, report):
    header = "# Replicated mode across hosts: a backend killed or stalled on another host\n\n"
    previous = open(path).read() if os.path.exists(path) else ""
    history = previous.replace(header, "", 1).strip()
    with open(path, "w") as f:
        f.write(header + report + ("\n" + history + "\n" if history else ""))


if __name__ == "__main__":
    main()
