#!/usr/bin/env bash
# Session load+commit latency: memory mode, redis mode (RedisCache on StackExchange.Redis) and redis-benchmark's
# own figures for the same commands on the same redis-server; beside it, the same redis-server with the embedded
# store's append-only file (appendfsync everysec) and Garnet without and with its AOF (the embedded store's
# settings), when the tool manifest restores. Writes bench/session-store-results.md.
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

data=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT
wait_ready() { for _ in $(seq 1 300); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no store on $1" >&2; exit 1; }

port=$(( 20000 + RANDOM % 10000 ))
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null &
pids+=($!)
aof_port=$(( port + 1 ))
mkdir -p "$data/redis"
redis-server --port "$aof_port" --bind 127.0.0.1 --dir "$data/redis" --save '' --appendonly yes --appendfsync everysec --daemonize no >/dev/null &
pids+=($!)
stores=(--store "redis-server, append-only file (appendfsync everysec)=127.0.0.1:$aof_port")
wait_ready "$port"; wait_ready "$aof_port"

# Garnet as the embedded store runs it (src/Proxy/Store/EmbeddedStoreServer.cs), without and with its AOF.
if dotnet tool restore >/dev/null 2>&1; then
  garnet_port=$(( port + 2 )); garnet_aof_port=$(( port + 3 ))
  mkdir -p "$data/garnet"
  dotnet garnet-server --port "$garnet_port" --bind 127.0.0.1 -m 256m >/dev/null 2>&1 &
  pids+=($!)
  dotnet garnet-server --port "$garnet_aof_port" --bind 127.0.0.1 -m 256m --aof --aof-commit-freq 1000 \
    --checkpointdir "$data/garnet" --checkpoint-freq 60 --device-type RandomAccess --recover >/dev/null 2>&1 &
  pids+=($!)
  wait_ready "$garnet_port"; wait_ready "$garnet_aof_port"
  stores+=(--store "garnet=127.0.0.1:$garnet_port" --store "garnet, AOF (commit every 1000 ms)=127.0.0.1:$garnet_aof_port")
fi

version=$(redis-server --version | awk '{print $1, $3}')
dotnet run -c Release --project bench/SessionStoreBench -- \
  --redis "127.0.0.1:$port" --server-version "$version" --out bench/session-store-results.md "${stores[@]}" "$@"
