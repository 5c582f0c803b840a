#!/usr/bin/env bash
# One command runs Gantry: NATS, the hub with its embedded database, a simulated fleet, the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec pnpm --silent gantry up "$@"
