#!/usr/bin/env bash
# What a killed backend costs the survivors in replicated mode (session changes right after a SIGKILL), with
# and without the dead-peer watch, in alternating rounds. Builds StickyLb in Release, runs
# bench/replicated-kill.py, writes bench/replicated-kill-results.md.
#   bench/replicated-kill.sh [--rounds 3] [--seconds 10] [--users 30]
set -euo pipefail
cd "$(dirname "$0")/.."
# Help before building or starting anything.
case " $* " in *" --help "*|*" -h "*) exec python3 bench/replicated-kill.py --help ;; esac

dotnet build src/Proxy -c Release -nologo -v q
exec python3 bench/replicated-kill.py "$@"
