# syntax=docker/dockerfile:1
# Gantry agent image: the per-cluster agent (Kubernetes driver). Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t gantry-agent .
# The agent runs as one esbuild bundle (packages/agent/build.mjs): no tsx and none of the hub's code, which
# keeps its resident set under the 150 MB target for a 5,000-node cluster (docs/benchmarks.md).
# @kubernetes/client-node stays outside the bundle, so the runtime stage installs the agent's production
# dependencies only.

FROM node:20-slim AS build
WORKDIR /app
# corepack cannot fetch pnpm from every registry; npm can.
RUN npm install -g pnpm@10.34.8
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY packages/agent/package.json packages/agent/
COPY packages/hub/package.json packages/hub/
COPY test/package.json test/
RUN pnpm install --frozen-lockfile --filter "@gantry/agent..."
COPY packages/shared/src packages/shared/src
COPY packages/agent/src packages/agent/src
COPY packages/agent/build.mjs packages/agent/
RUN pnpm --filter @gantry/agent build

FROM node:20-slim AS deps
WORKDIR /app
RUN npm install -g pnpm@10.34.8
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY packages/agent/package.json packages/agent/
COPY packages/hub/package.json packages/hub/
COPY test/package.json test/
RUN pnpm install --frozen-lockfile --prod --filter "@gantry/agent"

FROM node:20-slim AS runtime
ENV NODE_ENV=production
# The young-generation size the memory benchmark ran with: fewer pages held between scavenges.
ENV NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
RUN groupadd --gid 10001 gantry && useradd --uid 10001 --gid gantry --no-create-home --shell /usr/sbin/nologin gantry
COPY --from=deps /app /app
COPY --from=build /app/packages/agent/dist packages/agent/dist
USER 10001:10001
ENTRYPOINT ["node", "packages/agent/dist/gantry-agent.mjs"]
CMD ["agent", "--driver", "kubernetes", "--describe", "/etc/gantry/cluster.yaml"]
