# syntax=docker/dockerfile:1
# Gantry hub image: the hub (API, scheduler, store) and the `gantry` CLI. Build from the repository root:
#   docker build -f deploy/docker/hub.Dockerfile -t gantry-hub .
# The image runs the esbuild bundle (packages/hub/build.mjs, `pnpm build`): no tsx, no TypeScript sources, half the
# idle memory and a faster start (docs/benchmarks.md). PGlite stays outside the bundle (it loads its wasm beside its
# module), so the runtime stage installs the hub's production dependencies.

FROM node:20-slim AS build
WORKDIR /app
# corepack cannot fetch pnpm from every registry; npm can.
RUN npm install -g pnpm@10.34.8
# Manifests first, so the dependency layer is cached until a package.json or the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY packages/agent/package.json packages/agent/
COPY packages/hub/package.json packages/hub/
COPY test/package.json test/
RUN pnpm install --frozen-lockfile --filter "@gantry/hub..."
COPY packages/shared/src packages/shared/src
COPY packages/agent/src packages/agent/src
COPY packages/hub/src packages/hub/src
COPY packages/hub/build.mjs packages/hub/
RUN pnpm --filter @gantry/hub build

FROM node:20-slim AS deps
WORKDIR /app
RUN npm install -g pnpm@10.34.8
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY packages/agent/package.json packages/agent/
COPY packages/hub/package.json packages/hub/
COPY test/package.json test/
RUN pnpm install --frozen-lockfile --prod --filter "@gantry/hub"

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --gid 10001 gantry && useradd --uid 10001 --gid gantry --no-create-home --shell /usr/sbin/nologin gantry
COPY --from=deps /app /app
COPY --from=build /app/packages/hub/dist packages/hub/dist
USER 10001:10001
ENTRYPOINT ["node", "packages/hub/dist/gantry.mjs"]
CMD ["hub"]
