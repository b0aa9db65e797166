#!/usr/bin/env bash
# A chaos run (bench/chaos.py): users change their carts while backends are SIGKILLed one at a time and the
# embedded store once; every acknowledged change is checked at the end. Builds the gateway in Release and
# writes bench/chaos-results.md.
#   bench/chaos.sh [--seconds 60] [--users 30] [--kill-every 7] [--down 3] [--modes redis,replicated]
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in *" --help "*|*" -h "*) exec python3 bench/chaos.py --help ;; esac
dotnet build src/Proxy -c Release -nologo -v q
exec python3 bench/chaos.py "$@"
