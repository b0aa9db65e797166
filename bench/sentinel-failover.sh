#!/usr/bin/env bash
# Sentinel failovers in a row under changing users (bench/sentinel-failover.py): installs redis-server and
# redis-sentinel (apt) if missing, builds the gateway in Release, writes bench/sentinel-failover-results.md.
#   bench/sentinel-failover.sh [--failovers 20] [--users 60] [--down-after 1000]   (2000: see the results file: 1000 ends in a second failover on a busy machine)
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in *" --help "*|*" -h "*) exec python3 bench/sentinel-failover.py --help ;; esac
if ! command -v redis-sentinel >/dev/null || ! command -v redis-cli >/dev/null; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-sentinel redis-tools
fi
dotnet build src/Proxy -c Release -nologo -v q
exec python3 bench/sentinel-failover.py "$@"
