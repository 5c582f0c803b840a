#!/usr/bin/env bash
# One command passes the tests: installs what is needed, then type-checks, lints and runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "› type-check"
pnpm --silent typecheck
echo "› lint"
pnpm --silent lint
echo "› tests (unit, then end-to-end against real nats-server, PostgreSQL and PGlite)"
mkdir -p .gantry
status=0
pnpm --silent test --reporter=default --reporter=json --outputFile.json=.gantry/vitest-report.json || status=$?
# A plain closing line any CI can read.
node -e 'const r=require("./.gantry/vitest-report.json");console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)' || true
echo "› fault suite (real processes: kill -9, SIGSTOP, partitions, database outages; figures in docs/reliability.md)"
pnpm --silent faults || status=$?
exit $status
