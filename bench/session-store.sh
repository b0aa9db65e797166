#!/usr/bin/env bash
# Session load+commit latency: memory mode, redis mode (RedisCache on StackExchange.Redis) and redis-benchmark's
# own figures for the same commands on the same redis-server. Writes bench/session-store-results.md.
#   bench/session-store.sh [--iterations 5000] [--rounds 5]
set -euo pipefail
cd "$(dirname "$0")/.."
# Help before installing, building or starting anything.
case " $* " in *" --help "*|*" -h "*) exec dotnet run -c Release --project bench/SessionStoreBench -- --help ;; esac

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  echo "installing redis-server and redis-tools (apt)"
  ${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get update -qq
  ${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get install -y -qq redis-server redis-tools
fi

port=$(( 20000 + RANDOM % 20000 ))
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null' EXIT
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

version=$(redis-server --version | awk '{print $1, $3}')
dotnet run -c Release --project bench/SessionStoreBench -- \
  --redis "127.0.0.1:$port" --server-version "$version" --out bench/session-store-results.md "$@"
