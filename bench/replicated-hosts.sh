#!/usr/bin/env bash
# Replicated mode across hosts (network namespaces): what a backend killed or stalled on another host costs the
# survivors' session changes, with and without the dead-peer watch. Needs root and iproute2. Builds StickyLb in
# Release, runs bench/replicated-hosts.py, adds its results to bench/replicated-hosts-results.md.
#   bench/replicated-hosts.sh [--rounds 3] [--seconds 10] [--scenarios kill,stop] [--variants watch,akka-only]
#                             [--stop-seconds 6] [--hog 0] [--users 30]
set -euo pipefail
cd "$(dirname "$0")/.."
# Help before building or starting anything.
case " $* " in *" --help "*|*" -h "*) exec python3 bench/replicated-hosts.py --help ;; esac
if ! command -v ip >/dev/null && [ ! -x /usr/sbin/ip ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2
fi
export PATH="$PATH:/usr/sbin:/sbin"
dotnet build src/Proxy -c Release -nologo -v q
exec python3 bench/replicated-hosts.py "$@"
