#!/usr/bin/env python3
"""StickyLb against HAProxy, nginx and stock YARP: sticky throughput and latency, side by side in one run.

Three trivial backends (nginx `return 200`) sit behind each contender; every client sends
`Cookie: server=2`, except against stock YARP (bench/StockYarp: YARP with its own "Cookie" affinity),
whose cookie value is protected by Data Protection: its clients send the `server` cookie it issued for
destination 2. A second stock YARP uses YARP's HashCookie policy (no Data Protection per request) with
the runtime settings StickyLb gives itself, so the gap between it and StickyLb is what StickyLb's own code
costs on top of YARP. Rounds alternate between contenders, so a noisy neighbour hurts them all alike; the
report gives the medians of the rounds and the ratios StickyLb/HAProxy, StickyLb/nginx and
StickyLb/stock YARP. Run it through bench/gateway.sh, which installs the tools and builds StickyLb and
bench/StockYarp in Release.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY_DLL = os.path.join(ROOT, "src", "Proxy", "bin", "Release", "net10.0", "Proxy.dll")
STOCK_YARP_DLL = os.path.join(ROOT, "bench", "StockYarp", "bin", "Release", "net10.0", "StockYarp.dll")
STOCK_YARP = "stock YARP, cookie affinity"
STOCK_YARP_TUNED = "stock YARP, HashCookie affinity, StickyLb's runtime settings"
# What StickyLb sets for itself (Proxy.csproj, GatewaySchedulingExtensions) that a
# stock YARP gateway can be given from outside: inline socket completions (Kestrel's inline scheduling
# follows the same variable).
STOCK_YARP_TUNED_ENV = {"DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS": "1"}
COOKIE = "server=2"
# Where the hand-written part of the results file begins: every change measured on the way, and where
# the targets stand. A new run replaces the report above it and keeps it.
HISTORY_MARKER = "## Changes, measured"
_taken = set()


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _taken:
            _taken.add(port)
            return port


def free_range(count):
    while True:
        first = free_port()
        ports = list(range(first, first + count))
        if all(p not in _taken or p == first for p in ports) and all(_bindable(p) for p in ports[1:]):
            _taken.update(ports)
            return first


def _bindable(port):
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False


def wait_http(url, timeout=60.0, headers=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=1) as response:
                if response.status < 500:
                    return
        except Exception:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Processes:
    """Every process the benchmark starts, stopped on exit whatever happens."""

    def __init__(self, folder):
        self.folder = folder
        self.running = []

    def start(self, name, command, env=None):
        log = open(os.path.join(self.folder, name + ".log"), "w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                   start_new_session=True)
        self.running.append((name, process))
        return process

    def stop_all(self):
        for _, process in reversed(self.running):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, 15)
                except ProcessLookupError:
                    pass
        for _, process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start_backends(processes, folder, worker_connections=4096, http2=False):
    """Three nginx `return 200` backends on free ports; `http2`: they speak HTTP/2 only, in cleartext (h2c with
    prior knowledge, as nginx 1.22 does on a plaintext `listen ... http2`), for a gateway that speaks HTTP/2 to them."""
    first = free_range(3)
    ports = [first, first + 1, first + 2]
    name = "backends-h2c" if http2 else "backends"
    listen = " http2" if http2 else ""
    servers = "\n".join(
        f"  server {{ listen 127.0.0.1:{p}{listen}; location / {{ return 200 'ok {i + 1}\\n'; }} }}" for i, p in enumerate(ports))
    conf = write(folder, name + ".conf", f"""
worker_processes 1;
pid {folder}/{name}.pid;
error_log {folder}/{name}-error.log;
events {{ worker_connections {worker_connections}; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
{servers}
}}
""")
    processes.start(name, ["nginx", "-p", folder, "-c", conf, "-g", "daemon off;"])
    for p in ports:
        if http2:
            wait_h2c(p)
        else:
            wait_http(f"http://127.0.0.1:{p}/")
    return ports


def wait_h2c(port, timeout=30.0):
    """Waits until an HTTP/2-only backend answers (curl with prior knowledge)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        answer = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_version}", "--http2-prior-knowledge",
                                 f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
        if answer.stdout == "2":
            return
        time.sleep(0.1)
    raise RuntimeError(f"no HTTP/2 backend on {port} within {timeout} s")


def start_haproxy(processes, folder, backends):
    """HAProxy with cookie affinity in front of the backends; its URL."""
    return haproxy(processes, folder, backends)[1]


def haproxy(processes, folder, backends, certificate=None):
    """HAProxy (`cookie server insert indirect nocache`), with an HTTPS listener too when `certificate` (a PEM holding
    the certificate and its key) is given: (process, http URL, https URL or None)."""
    port = free_port()
    https = free_port() if certificate else None
    servers = "\n".join(f"  server s{i + 1} 127.0.0.1:{p} cookie {i + 1}" for i, p in enumerate(backends))
    tls_bind = f"\n  bind 127.0.0.1:{https} ssl crt {certificate}" if certificate else ""
    conf = write(folder, "haproxy.cfg", f"""
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend gateway
  bind 127.0.0.1:{port}{tls_bind}
  default_backend backends
backend backends
  balance roundrobin
  cookie server insert indirect nocache
{servers}
""")
    process = processes.start("haproxy", ["haproxy", "-f", conf, "-db"])
    wait_http(f"http://127.0.0.1:{port}/")
    return process, f"http://127.0.0.1:{port}/", f"https://127.0.0.1:{https}/" if https else None


def start_nginx_proxy(processes, folder, backends):
    port = free_port()
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in backends)
    conf = write(folder, "nginx-proxy.conf", f"""
worker_processes auto;
pid {folder}/nginx-proxy.pid;
error_log {folder}/nginx-proxy-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  upstream backends {{
    hash $cookie_server consistent;
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
""")
    processes.start("nginx-proxy", ["nginx", "-p", folder, "-c", conf, "-g", "daemon off;"])
    wait_http(f"http://127.0.0.1:{port}/")
    return f"http://127.0.0.1:{port}/"


STICKYLB_ENV = {}


def start_stickylb(processes, name, extra, env=None, dll=PROXY_DLL):
    port, admin = free_port(), free_port()
    command = ["dotnet", dll, "--port", str(port), "--admin-port", str(admin), *extra]
    process = processes.start(name, command, env={**STICKYLB_ENV, **(env or {})})
    log = os.path.join(processes.folder, name + ".log")
    deadline = time.time() + 90
    while time.time() < deadline:
        with open(log) as f:
            text = f.read()
        if "StickyLb ready:" in text:
            return f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{admin}/"
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {text.strip().splitlines()[-1:]}")
        time.sleep(0.05)
    raise RuntimeError(f"{name} was not ready within 90 s")


NO_AOF = "/whoami end to end, redis mode, store without an append-only file"


def wait_redis(port, timeout=30.0):
    """Waits until a redis-server answers PING on 127.0.0.1:port."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no redis-server on {port} within {timeout} s")


def destinations(backends, count):
    args = []
    for i in range(1, count + 1):
        args += [f"--ReverseProxy:Clusters:backends:Destinations:{i}:Address", f"http://127.0.0.1:{backends[(i - 1) % len(backends)]}"]
    return args


def start_stock_yarp(processes, backends, name="stock-yarp", extra=(), env=None):
    """Stock YARP (bench/StockYarp) with its own cookie affinity, in front of the three backends."""
    port = free_port()
    processes.start(name, ["dotnet", STOCK_YARP_DLL, "--urls", f"http://127.0.0.1:{port}", *destinations(backends, 3), *extra], env=env)
    wait_http(f"http://127.0.0.1:{port}/")
    return f"http://127.0.0.1:{port}/"


def stock_yarp_cookie(url, backend="ok 2"):
    """The `server` cookie stock YARP issues for the backend that answers `backend` (the one
    `Cookie: server=2` pins on the other contenders). YARP's "Cookie" affinity policy protects the
    value with Data Protection, so it will not take `server=2`: the cookie has to come from YARP.
    Checks that the cookie pins: a few requests that send it all reach that backend."""
    def get(cookie=None):
        request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode().strip(), response.headers.get_all("Set-Cookie") or []

    # Requests without a cookie go round robin, so one of the first few reaches the wanted backend.
    for _ in range(10):
        body, set_cookies = get()
        cookie = next((c.split(";")[0] for c in set_cookies if c.startswith("server=")), None)
        if cookie is None:
            raise RuntimeError(f"stock YARP answered without a server cookie: {set_cookies}")
        if body == backend:
            break
    else:
        raise RuntimeError(f"stock YARP never routed to '{backend}' in 10 requests")
    answers = {get(cookie)[0] for _ in range(6)}
    if answers != {backend}:
        raise RuntimeError(f"stock YARP's cookie does not pin: {cookie} reached {sorted(answers)}")
    return cookie


def session_cookie(gateway):
    """Logs a user in through the gateway and returns its cookies, for the end-to-end /whoami runs."""
    request = urllib.request.Request(gateway + "login", data=b'{"user":"bench"}', headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        cookies = [h.split(";")[0] for h in response.headers.get_all("Set-Cookie")]
    return "; ".join(cookies)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, duration, connections, threads, cookie, headers=()):
    """One wrk run; `headers` are further request headers, e.g. ("Connection: close",)."""
    extra = [arg for header in headers for arg in ("-H", header)]
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Cookie: {cookie}", *extra, url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percent, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        latency[percent] = float(value) * UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"),
            "errors": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def cpu_ticks(pid, children=False):
    """User and kernel CPU clock ticks of a process, and with `children` of every process it started. Without children
    they come from /proc/PID/stat, which keeps the ticks of threads that have ended (a sum over the live threads lost
    them: a thread-pool thread that retired between two readings made a round's CPU per request negative)."""
    if not children:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]), int(fields[12])
    user = kernel = 0
    for ticks in thread_ticks(pid, children).values():
        user += ticks[0]
        kernel += ticks[1]
    return user, kernel


def thread_ticks(pid, children=False, name=None):
    """User and kernel CPU clock ticks of each thread of a process (and with `children`, of the processes
    it started), by thread id; with `name`, only the threads whose name starts with it."""
    found = {}
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                stat = f.read()
            if name is None or stat[stat.index("(") + 1:stat.rindex(")")].startswith(name):
                fields = stat.rsplit(")", 1)[1].split()
                found[int(task)] = (int(fields[11]), int(fields[12]))
            if children:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    for child in f.read().split():
                        found.update(thread_ticks(int(child), children=True, name=name))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def warm_up(processes, targets, seconds, connections, threads):
    """Loads every contender until .NET's JIT is done with it, then waits until the processes are quiet.

    .NET compiles a method again, optimized, on a background thread (tiered JIT, ".NET Tiered Com")
    once it has run about 30 times, and with dynamic PGO twice: first instrumented, then optimized.
    Connection set-up and tear-down run 32 times per wrk run, so those paths take several runs to reach
    their final code: from a fresh start the JIT thread still used 50-320 ms of CPU in each of the next
    five 4 s runs, and the gateway did about 4% more requests/s once it had stopped. With wrk, the
    backends and the proxies sharing two cores it also competes with whoever runs. So each contender
    gets at least three short runs, and more (up to 12) until a run in which the JIT threads of every
    process used at most one clock tick; then the rounds start when no process uses more than 2% of a
    core (or after 60 s). HAProxy and nginx have no JIT and get three runs.
    """
    run_seconds = max(1, seconds // 3)
    def jit_threads():
        found = {}
        for _, process in processes.running:
            found.update(thread_ticks(process.pid, children=True, name=".NET Tiered"))
        return found

    def jit_ticks_since(before):
        # The JIT thread exits after a few seconds with nothing to do and a new one starts with more
        # work: a thread that was not there before counts in full, one that has gone had been idle.
        return sum(sum(ticks) - sum(before.get(tid, (0, 0))) for tid, ticks in jit_threads().items())

    for url, cookie in targets:
        for run in range(1, 13):
            before = jit_threads()
            wrk(url, run_seconds, connections, threads, cookie)
            if run >= 3 and jit_ticks_since(before) <= 1:
                print(f"warm-up: {run} runs against {url}", file=sys.stderr)
                break
        else:
            print(f"warm-up: the JIT was still compiling after {run} runs against {url}; measuring anyway", file=sys.stderr)

    def ticks():
        return sum(sum(cpu_ticks(process.pid, children=True)) for _, process in processes.running)

    ticks_per_second = os.sysconf("SC_CLK_TCK")
    deadline = time.time() + 60
    before = ticks()
    while time.time() < deadline:
        time.sleep(1)
        after = ticks()
        if after - before <= ticks_per_second * 0.02:
            return
        before = after
    print("warm-up: the processes were still busy after 60 s; measuring anyway", file=sys.stderr)


def version(command):
    try:
        result = subprocess.run(command, capture_output=True, text=True)
        return (result.stdout.strip() or result.stderr.strip()).splitlines()[0]
    except Exception:
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=9, help="seconds of load per contender before the rounds")
    parser.add_argument("--only", choices=["main", "store", "all"], default="all",
                        help="main: direct, StickyLb, HAProxy, nginx, stock YARP; store: /whoami end to end in memory and redis mode; "
                             "all: main, store, affinity and 200 destinations")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results.md"),
                        help="the report's file; a new run replaces the report at its top and keeps what follows '%s'" % HISTORY_MARKER)
    parser.add_argument("--label", default="", help="a note for the report, e.g. what changed since the last run")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the StickyLb processes only (to try runtime settings)")
    args = parser.parse_args()
    if args.rounds < 3:
        sys.exit("gateway.py: --rounds must be at least 3 (the report gives medians of rounds)")

    STICKYLB_ENV.update(item.split("=", 1) for item in args.env)
    folder = tempfile.mkdtemp(prefix="stickylb-bench-")
    processes = Processes(folder)
    try:
        backends = start_backends(processes, folder)
        quiet = ["--spawn", "false", *destinations(backends, 3)]
        no_health = ["--ReverseProxy:Clusters:backends:HealthCheck:Active:Enabled", "false"]
        contenders, cookies = {}, {}
        if args.only != "store":
            contenders.update({
                "backend directly": f"http://127.0.0.1:{backends[1]}/",
                "StickyLb": start_stickylb(processes, "stickylb", quiet)[0],
                "HAProxy": start_haproxy(processes, folder, backends),
                "nginx": start_nginx_proxy(processes, folder, backends),
                STOCK_YARP: start_stock_yarp(processes, backends),
            })
            # YARP's HashCookie policy keeps the destination's hash in the cookie instead of a value protected
            # with Data Protection, as StickyLb's plain server=N does: with StickyLb's runtime settings, the
            # nearest stock YARP gets to StickyLb, so the gap between the two is what StickyLb's code costs.
            contenders[STOCK_YARP_TUNED] = start_stock_yarp(processes, backends, "stock-yarp-tuned", [
                "--ReverseProxy:Clusters:backends:SessionAffinity:Policy", "HashCookie"], STOCK_YARP_TUNED_ENV)
            cookies.update({name: COOKIE for name in contenders})
            for name in (STOCK_YARP, STOCK_YARP_TUNED):
                cookies[name] = stock_yarp_cookie(contenders[name])
        if args.only == "all":
            contenders["StickyLb, affinity off"] = start_stickylb(processes, "stickylb-no-affinity", quiet + [
                "--ReverseProxy:Clusters:backends:SessionAffinity:Enabled", "false"])[0]
            contenders["StickyLb, 3 destinations, no active health"] = start_stickylb(processes, "stickylb-3", quiet + no_health)[0]
            contenders["StickyLb, 200 destinations, no active health"] = start_stickylb(
                processes, "stickylb-200", ["--spawn", "false", *destinations(backends, 200), *no_health])[0]
        if args.only != "main":
            for mode in ("memory", "redis"):
                gateway, _ = start_stickylb(processes, f"stickylb-e2e-{mode}", [
                    "--store", mode, "--backend-port", str(free_range(3)), "--store-port", str(free_port())])
                name = f"/whoami end to end, {mode} mode"
                contenders[name] = gateway + "whoami"
                cookies[name] = session_cookie(gateway)
            # What the embedded store's append-only file costs: the same redis-server without one, given with --redis.
            bare = free_port()
            processes.start("redis-no-aof", ["redis-server", "--port", str(bare), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            wait_redis(bare)
            gateway, _ = start_stickylb(processes, "stickylb-e2e-redis-no-aof", [
                "--store", "redis", "--redis", f"127.0.0.1:{bare}", "--backend-port", str(free_range(3))])
            name = NO_AOF
            contenders[name] = gateway + "whoami"
            cookies[name] = session_cookie(gateway)
            for name in contenders:
                cookies.setdefault(name, COOKIE)

        print(f"warming up {len(contenders)} contenders", file=sys.stderr)
        warm_up(processes, [(url, cookies[name]) for name, url in contenders.items()], args.warmup, args.connections, args.threads)
        results = {name: [] for name in contenders}
        for round_number in range(1, args.rounds + 1):
            # Every other round runs in reverse, so neither side of a pair always goes first.
            order = list(contenders.items())
            for name, url in (order if round_number % 2 else reversed(order)):
                result = wrk(url, args.duration, args.connections, args.threads, cookies[name])
                results[name].append(result)
                print(f"round {round_number}/{args.rounds} {name}: {result['rps']:.0f} req/s, "
                      f"p50 {result['p50']:.3f} ms, p99 {result['p99']:.3f} ms", file=sys.stderr)
        report = render(args, results)
    finally:
        processes.stop_all()
    write_report(args.out, report)
    print(report)


def write_report(path, report):
    """Writes the report at the top of `path`, keeping the file's history from HISTORY_MARKER on."""
    history = ""
    try:
        with open(path) as f:
            text = f.read()
        start = text.find(HISTORY_MARKER)
        if start >= 0:
            history = text[start:]
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(report + ("\n" + history if history else ""))


def render(args, results):
    med = {name: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")} for name, runs in results.items()}
    lines = [
        "# Gateway benchmark",
        "",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. {args.label}".rstrip(),
        "",
        f"- Machine: {os.cpu_count()} cores, {cpu_model()}, {platform.platform()}.",
        f"- Versions: {version(['dotnet', '--version'])} (.NET SDK), {version(['haproxy', '-v'])}, "
        f"{version(['nginx', '-v'])}, {version(['wrk', '--version'])}.",
        f"- Command: `bench/gateway.sh --rounds {args.rounds} --duration {args.duration} --connections {args.connections}"
        f"{' --only ' + args.only if args.only != 'all' else ''}{''.join(' --env ' + e for e in args.env)}`; each run: `wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s --latency -H 'Cookie: server=2' URL`.",
        *([] if args.only == "store" else [
            "- Stock YARP (bench/StockYarp) gets, instead of `server=2`, the `server` cookie its own affinity issued for backend 2. "
            "Its second contender uses YARP's `HashCookie` policy (no Data Protection per request) and the environment "
            f"StickyLb sets for itself: {', '.join(f'`{k}={v}`' for k, v in STOCK_YARP_TUNED_ENV.items())}."]),
        ("- Backends: each end-to-end gateway spawns its own three BackendApp processes (`/whoami` with a logged-in session cookie)."
         if args.only == "store" else "- Backends: three nginx servers answering `return 200`.")
        + " Everything (wrk, proxies, backends) shares the same cores;",
        f"  rounds alternate between contenders (every other round in reverse order). Figures are medians of {args.rounds} rounds.",
        "",
        "| contender | requests/s | p50 ms | p99 ms | rounds (requests/s) | errors |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for name, m in med.items():
        runs = results[name]
        errors = sum(r["errors"] for r in runs)
        rounds = ", ".join("%.0f" % r["rps"] for r in runs)
        lines.append(f"| {name} | {m['rps']:.0f} | {m['p50']:.3f} | {m['p99']:.3f} | {rounds} | {errors} |")
    lines += ["", "Ratios (medians):", ""]

    def ratio(a, b, key):
        return med[a][key] / med[b][key] if a in med and b in med and med[b][key] else float("nan")

    def paired(a, b, key):
        """The median of the per-round ratios: each round runs a and b back to back, so a slow
        minute on this shared machine hits both sides of one ratio instead of one side of the medians."""
        pairs = [x[key] / y[key] for x, y in zip(results.get(a, []), results.get(b, [])) if y[key]]
        return statistics.median(pairs) if pairs else float("nan")

    for peer in ("HAProxy", "nginx") if "StickyLb" in med else ():
        lines.append(f"- StickyLb / {peer}: throughput **{ratio('StickyLb', peer, 'rps'):.2f}x**, "
                     f"p99 latency **{ratio('StickyLb', peer, 'p99'):.2f}x** "
                     f"(median of per-round ratios: {paired('StickyLb', peer, 'rps'):.2f}x and {paired('StickyLb', peer, 'p99'):.2f}x).")
    if STOCK_YARP in med:
        lines.append(f"- StickyLb / stock YARP with its cookie affinity: throughput **{ratio('StickyLb', STOCK_YARP, 'rps'):.2f}x**, "
                     f"p99 latency **{ratio('StickyLb', STOCK_YARP, 'p99'):.2f}x** "
                     f"(median of per-round ratios: {paired('StickyLb', STOCK_YARP, 'rps'):.2f}x and {paired('StickyLb', STOCK_YARP, 'p99'):.2f}x).")
    if STOCK_YARP_TUNED in med:
        lines.append(f"- StickyLb / stock YARP with HashCookie and StickyLb's runtime settings (what StickyLb's own affinity, failover, "
                     f"health and per-client-connection backends cost on top of YARP): throughput **{ratio('StickyLb', STOCK_YARP_TUNED, 'rps'):.2f}x**, "
                     f"p99 latency **{ratio('StickyLb', STOCK_YARP_TUNED, 'p99'):.2f}x** "
                     f"(median of per-round ratios: {paired('StickyLb', STOCK_YARP_TUNED, 'rps'):.2f}x and {paired('StickyLb', STOCK_YARP_TUNED, 'p99'):.2f}x).")
    if "StickyLb, affinity off" in med:
        lines.append(f"- Cost of affinity: StickyLb with the sticky policy does {ratio('StickyLb', 'StickyLb, affinity off', 'rps'):.2f}x "
                     f"the throughput of StickyLb without it (per-round ratios: {paired('StickyLb', 'StickyLb, affinity off', 'rps'):.2f}x).")
    if "StickyLb, 200 destinations, no active health" in med:
        many, few = 'StickyLb, 200 destinations, no active health', 'StickyLb, 3 destinations, no active health'
        lines.append(f"- Cost of many backends: 200 destinations against 3 cost {(1 - ratio(many, few, 'rps')) * 100:.1f}% throughput "
                     f"(per-round ratios: {(1 - paired(many, few, 'rps')) * 100:.1f}%).")
    if "/whoami end to end, redis mode" in med:
        lines.append(f"- End to end `/whoami` with a session: redis mode does {ratio('/whoami end to end, redis mode', '/whoami end to end, memory mode', 'rps'):.2f}x "
                     f"the throughput of memory mode, at {ratio('/whoami end to end, redis mode', '/whoami end to end, memory mode', 'p50'):.2f}x its p50.")
    if NO_AOF in med and "/whoami end to end, redis mode" in med:
        lines.append(f"- The embedded store's append-only file (appendfsync everysec): redis mode with it does "
                     f"{ratio('/whoami end to end, redis mode', NO_AOF, 'rps'):.2f}x the throughput of the same store without one, "
                     f"at {ratio('/whoami end to end, redis mode', NO_AOF, 'p50'):.2f}x its p50.")
    lines.append("")
    return "\n".join(lines)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except Exception:
        return platform.processor() or "?"


if __name__ == "__main__":
    main()
