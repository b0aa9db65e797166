#!/usr/bin/env bash
# What session clustering costs (memory per backend, write latency, replication bytes per change, growth
# with 3, 5 and 8 backends), replicated mode beside memory and redis mode. Installs redis-server and ss
# if missing, builds StickyLb in Release, runs bench/replicated.py, writes bench/replicated-results.md.
#   bench/replicated.sh [--sessions 300 10000] [--growth-sessions 2000] [--growth 3 5 8]
set -euo pipefail
cd "$(dirname "$0")/.."
# Help before installing, building or starting anything.
case " $* " in *" --help "*|*" -h "*) exec python3 bench/replicated.py --help ;; esac

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v ss >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "installing ${need[*]} (apt)"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

dotnet build src/Proxy -c Release -nologo -v q
exec python3 bench/replicated.py "$@"
