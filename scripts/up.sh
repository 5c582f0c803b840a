#!/usr/bin/env bash
# One command runs Gantry: NATS, the hub with its embedded database, a simulated fleet, the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# V8's default young generation here: the hub's deployments raise it (--max-semi-space-size=64) to keep GC pauses
# out of decisions on large fleets, but on this four-cluster fleet it only costs memory (876–895 MiB with it,
# ~390 MiB without; docs/benchmarks.md, Start-up).
exec node packages/hub/bin/gantry.mjs up "$@"
