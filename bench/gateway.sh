#!/usr/bin/env bash
# The gateway benchmark, one command: installs what is missing (wrk, haproxy, nginx, redis-server from
# apt), builds StickyLb and the stock YARP contender (bench/StockYarp) in Release, and runs
# bench/gateway.py, which writes bench/results.md.
#   bench/gateway.sh [--rounds 3] [--duration 10] [--connections 32] [--only main|store] [--out FILE]
# With `workloads` first it runs bench/workloads.py instead (issue 28's four workloads: 32 and 256
# keep-alive connections, a connection per request, HTTPS; StickyLb, stock YARP and HAProxy):
#   bench/gateway.sh workloads [--rounds 5] [--duration 6] [--max-load 2]
# With `idle` it runs bench/idle.py (idle client connections: backend connections and memory, StickyLb and stock YARP):
#   bench/gateway.sh idle [--clients 3000,10000] [--rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
# Help before installing, building or starting anything.
script=bench/gateway.py
if [ "${1:-}" = workloads ]; then script=bench/workloads.py; shift; fi
if [ "${1:-}" = idle ]; then script=bench/idle.py; shift; fi
case " $* " in *" --help "*|*" -h "*) exec python3 "$script" --help ;; esac

need=()
for tool in wrk haproxy nginx redis-server python3 openssl; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "installing ${need[*]} (apt)"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]/redis-server/redis-server redis-tools}"
fi
# Debian starts the packaged services; the benchmark runs its own on free ports.
for service in nginx haproxy redis-server; do (service "$service" stop >/dev/null 2>&1 || true); done

dotnet build src/Proxy -c Release -nologo -v q
dotnet build bench/StockYarp -c Release -nologo -v q
exec python3 "$script" "$@"
