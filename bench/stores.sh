#!/usr/bin/env bash
# The three store modes side by side (memory, redis with its embedded store, replicated sync): GET /whoami
# (a change) and GET /cart (read-only) for 32 logged-in users over 32 connections, alternating rounds.
# Installs redis-server and wrk if missing, builds StickyLb in Release, runs bench/stores.py, writes
# bench/stores-results.md. On a shared machine run it under `flock -x /work/machine.lock`.
#   bench/stores.sh [--rounds 5] [--duration 6]
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in *" --help "*|*" -h "*) exec python3 bench/stores.py --help ;; esac

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "installing ${need[*]} (apt)"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

dotnet build src/Proxy -c Release -nologo -v q
exec python3 bench/stores.py "$@"
