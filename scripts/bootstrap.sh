#!/usr/bin/env bash
# Installs what Gantry needs on a fresh Debian/Ubuntu machine: pnpm (pinned), nats-server, the workspace's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.8
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "Gantry needs Node.js 20 or newer (found: $(node -v 2>/dev/null || echo none))." >&2
  exit 1
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v)" != "$PNPM_VERSION" ]; then
  echo "› installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_UPDATED=""
apt_install() {
  [ -n "$APT_UPDATED" ] || { $SUDO apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v nats-server >/dev/null 2>&1; then
  echo "› installing nats-server from the OS packages"
  apt_install nats-server
fi

# /metrics is linted with promtool in the tests (Debian ships it in the prometheus package).
if ! command -v promtool >/dev/null 2>&1; then
  echo "› installing promtool from the OS packages (metrics lint)"
  apt_install --no-install-recommends prometheus
fi

# The console's browser tests drive Debian's Chromium with playwright-core (no browser download).
if [ ! -x "${GANTRY_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "› installing chromium from the OS packages (console tests)"
  apt_install chromium
fi

echo "› installing packages"
pnpm install --frozen-lockfile --reporter=silent

echo "› building the gantry command (esbuild bundle in packages/*/dist)"
pnpm --silent build
