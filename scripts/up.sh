#!/usr/bin/env bash
# One command runs Gantry: NATS, the hub with its embedded database, a simulated fleet, the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# See docs/benchmarks.md: a larger young generation keeps GC pauses out of placement decisions.
NODE_OPTIONS="${NODE_OPTIONS:-} --max-semi-space-size=64" exec node packages/hub/bin/gantry.mjs up "$@"
