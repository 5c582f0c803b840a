import { ClusterDescription, ClusterHealth, Dataset, DatasetCopy, Tier } from "@gantry/shared";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { HubError, notFound } from "../../errors.ts";
import { fleetClusterOf } from "../../fleet/snapshot.ts";
import { assertState, type ClusterRegistration } from "../../store/index.ts";
import { parseAt, readBody, readSource } from "../body.ts";
import type { RouteDeps } from "../deps.ts";
import { decodeContinue, encodeContinue, ListQuery, listMeta } from "../list.ts";
import { documentedBody, NameParam, problemResponses } from "../openapi.ts";
import { ClusterView, clusterView } from "../views.ts";

/**
 * What an operator registers: the cluster's name, and any description fields that should win over the agent's. The
 * description's defaults are dropped here: a field left out must stay unset, so the agent's report fills it in.
 */
export const ClusterRegistrationRequest = z.strictObject({
  ...Object.fromEntries(
    Object.entries(ClusterDescription.shape).map(([key, field]) => [
      key,
      (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field).optional(),
    ]),
  ),
  name: ClusterDescription.shape.name,
}) as unknown as z.ZodType<{ name: string } & ClusterRegistration>;

const ClusterList = z.object({
  apiVersion: z.string(),
  kind: z.literal("List"),
  metadata: z.object({ continue: z.string().optional() }),
  items: z.array(ClusterView),
});

const RegisteredCluster = z.object({
  cluster: ClusterView,
  /** The agent's NATS credentials (`.creds` file text), shown once; absent when the bus has no authentication. */
  credentials: z.string().optional(),
  publicKey: z.string().optional(),
});

const DEFAULT_GRACE_SECONDS = 600;

/** Clusters (registered by operators, reported by their agents) and datasets (registered by operators). */
export const fleetRoutes = (deps: RouteDeps) => {
  const app = new OpenAPIHono({ defaultHook: deps.defaultHook });
  const { store, view, clock, thresholds, access } = deps;

  const show = (name: string, summary = false) => {
    const e = view.get(name);
    if (!e) throw notFound("cluster", name);
    return clusterView(e, fleetClusterOf(e, clock.now(), thresholds), summary);
  };

  const issue = async (c: Context, name: string, why: string) => {
    if (!deps.credentials) return {};
    const { publicKey, creds } = await deps.credentials.issue(name);
    await store.clusters.addCredential(
      name,
      publicKey,
      clock.now(),
      access.audit(c, "clusters:write", { kind: "clusters", name }, 200, { credentials: why, publicKey }),
    );
    return { credentials: creds, publicKey };
  };

  const register = async (c: Context, name: string, registration: ClusterRegistration, status: number) => {
    access.require(c, "clusters:write");
    const row = await store.clusters.register(
      name,
      registration,
      clock.now(),
      access.audit(c, "clusters:write", { kind: "clusters", name }, status),
    );
    view.upsert(row);
    const creds = await issue(c, name, "issued");
    deps.onDesiredStateChanged();
    deps.kickScheduler();
    return { cluster: show(name), ...creds };
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/clusters",
      operationId: "listClusters",
      summary: "List clusters with their latest capacity and health (paged, filterable)",
      request: {
        query: ListQuery.extend({
          tier: Tier.optional(),
          health: ClusterHealth.optional(),
          state: z.enum(["registered", "pending", "revoked"]).optional(),
          region: z.string().max(63).optional(),
          labelSelector: z.string().max(4_096).optional(),
        }),
      },
      responses: {
        200: { description: "A page of clusters", content: { "application/json": { schema: ClusterList } } },
        ...problemResponses(400, 401, 429),
      },
    }),
    async (c) => {
      access.require(c, "fleet:read");
      const q = c.req.valid("query");
      const after = decodeContinue(q.continue, ["name"] as const)?.name;
      const matches = deps.labelMatcher?.(q.labelSelector);
      const now = clock.now();
      const items: ReturnType<typeof clusterView>[] = [];
      let next: string | undefined;
      for (const e of view.list()) {
        if (after !== undefined && e.name <= after) continue;
        if (q.state && e.state !== q.state) continue;
        if (q.tier && e.description.tier !== q.tier) continue;
        if (q.region && e.description.region !== q.region) continue;
        if (matches && !matches(e.description.labels)) continue;
        const cluster = fleetClusterOf(e, now, thresholds);
        if (q.health && cluster.health !== q.health) continue;
        if (items.length === q.limit) {
          next = encodeContinue({ name: items.at(-1)!.name as string });
          break;
        }
        items.push(clusterView(e, cluster, q.view === "summary"));
      }
      return c.json({ apiVersion: "gantry.dev/v1alpha1", kind: "List" as const, metadata: listMeta(next), items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/clusters/{name}",
      operationId: "getCluster",
      summary: "Get one cluster",
      request: { params: NameParam },
      responses: {
        200: { description: "The cluster", content: { "application/json": { schema: ClusterView } } },
        ...problemResponses(400, 401, 404),
      },
    }),
    async (c) => {
      access.require(c, "fleet:read");
      return c.json(show(c.req.valid("param").name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/clusters",
      operationId: "registerCluster",
      summary: "Register a cluster (operator): it gets work; returns its agent's NATS credentials once",
      request: {
        body: documentedBody(ClusterRegistrationRequest),
      },
      responses: {
        201: { description: "Registered", content: { "application/json": { schema: RegisteredCluster } } },
        ...problemResponses(400, 401, 403, 409, 415, 503),
      },
    }),
    async (c) => {
      const doc = parseAt(ClusterRegistrationRequest, await readSource(c, "cluster"), "cluster");
      const { name, ...registration } = doc;
      const existing = view.get(name);
      if (existing?.state === "registered") {
        throw new HubError(
          "conflict",
          `cluster ${name} is already registered; rotate or revoke its credentials instead`,
        );
      }
      return c.json(await register(c, name, registration, 201), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/clusters/{name}/approve",
      operationId: "approveCluster",
      summary: "Approve a pending cluster (an agent said hello without a registration): it gets work",
      request: { params: NameParam },
      responses: {
        200: { description: "Registered", content: { "application/json": { schema: RegisteredCluster } } },
        ...problemResponses(400, 401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      assertState(await store.clusters.get(name), name, ["pending"]);
      return c.json(await register(c, name, {}, 200), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/clusters/{name}/revoke",
      operationId: "revokeCluster",
      summary: "Revoke a cluster: its agent is cut off the bus within seconds and it gets no work",
      request: { params: NameParam },
      responses: {
        200: { description: "Revoked", content: { "application/json": { schema: ClusterView } } },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      access.require(c, "clusters:write");
      const { name } = c.req.valid("param");
      const keys = (await store.clusters.credentials(name)).filter((k) => !k.revokedAt).map((k) => k.publicKey);
      view.upsert(
        await store.clusters.revoke(
          name,
          clock.now(),
          access.audit(c, "clusters:write", { kind: "clusters", name }, 200),
        ),
      );
      deps.onDesiredStateChanged();
      if (keys.length > 0) await deps.credentials?.revoke(keys);
      deps.kickScheduler();
      return c.json(show(name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/clusters/{name}/rotate",
      operationId: "rotateClusterCredentials",
      summary: "Issue new credentials; the old ones keep working for `graceSeconds` (default 600), then are revoked",
      request: {
        params: NameParam,
        query: z.object({ graceSeconds: z.coerce.number().int().min(0).max(604_800).optional() }),
      },
      responses: {
        200: { description: "New credentials", content: { "application/json": { schema: RegisteredCluster } } },
        ...problemResponses(400, 401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      access.require(c, "clusters:write");
      const { name } = c.req.valid("param");
      assertState(await store.clusters.get(name), name, ["registered"]);
      if (!deps.credentials) {
        throw new HubError("conflict", "this hub's bus has no authentication: there are no credentials to rotate");
      }
      const grace = c.req.valid("query").graceSeconds ?? DEFAULT_GRACE_SECONDS;
      const creds = await issue(c, name, `rotated; the old keys work for ${grace} s more`);
      const notAfter = new Date(clock.now().getTime() + grace * 1000);
      const old = await store.clusters.expireCredentials(name, creds.publicKey ?? "", notAfter);
      if (grace === 0 && old.length > 0) {
        await deps.credentials.revoke(old);
        await store.clusters.markRevoked(old, clock.now());
      }
      return c.json({ cluster: show(name), ...creds }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/clusters/{name}",
      operationId: "removeCluster",
      summary: "Forget a cluster that holds no active placements (revoke it first)",
      request: { params: NameParam },
      responses: { 204: { description: "Removed" }, ...problemResponses(400, 401, 403, 404, 409, 503) },
    }),
    async (c) => {
      access.require(c, "clusters:write");
      const { name } = c.req.valid("param");
      const active = (await store.workloads.desiredState(name)).placements.length;
      if (active > 0) throw new HubError("conflict", `cluster ${name} still holds ${active} active placement(s)`);
      await store.clusters.remove(name, access.audit(c, "clusters:write", { kind: "clusters", name }, 204));
      view.remove(name);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/datasets",
      operationId: "listDatasets",
      summary: "List datasets and where they live",
      responses: {
        200: {
          description: "Datasets",
          content: {
            "application/json": {
              schema: z.object({
                items: z.array(
                  Dataset.extend({
                    copies: z.array(DatasetCopy.extend({ cluster: z.string() })).openapi({
                      description: "Copies agents hold (staging or ready); ready whole copies are cached locations",
                    }),
                  }),
                ),
              }),
            },
          },
        },
        ...problemResponses(401),
      },
    }),
    async (c) => {
      access.require(c, "fleet:read");
      const copies = view.datasetCopies();
      // Last use is the agent's clock: in the hub's, then in work time, like every workload time the API returns.
      const workClock = deps.workClock;
      const inWorkTime = (c: DatasetCopy & { cluster: string }) => {
        const hub = view.toHubTime(c.cluster, c.lastUsedAt);
        if (!hub) return c;
        return { ...c, lastUsedAt: (workClock ? workClock.fromReal(new Date(hub)) : new Date(hub)).toISOString() };
      };
      const items = (await store.datasets.list()).map((d) => ({
        ...d,
        copies: (copies.get(d.name) ?? []).map(inWorkTime),
      }));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/datasets/{name}",
      operationId: "putDataset",
      summary: "Create or replace a dataset (JSON or YAML)",
      request: {
        params: NameParam,
        body: documentedBody(Dataset),
      },
      responses: {
        200: { description: "Stored", content: { "application/json": { schema: Dataset } } },
        ...problemResponses(400, 401, 403, 413, 415),
      },
    }),
    async (c) => {
      access.require(c, "datasets:write");
      const { name } = c.req.valid("param");
      const dataset = await readBody(c, Dataset.extend({ name: z.string().max(253).default(name) }), "dataset");
      if (dataset.name !== name) {
        throw new HubError("validation_failed", `name ${dataset.name} does not match the URL's ${name}`, [
          { field: "name", message: `must be ${name}` },
        ]);
      }
      await store.datasets.put(dataset, access.audit(c, "datasets:write", { kind: "datasets", name }, 200));
      deps.kickScheduler();
      return c.json(dataset, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/datasets/{name}",
      operationId: "deleteDataset",
      summary: "Forget a dataset",
      request: { params: NameParam },
      responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      access.require(c, "datasets:write");
      const { name } = c.req.valid("param");
      if (!(await store.datasets.delete(name, access.audit(c, "datasets:write", { kind: "datasets", name }, 204)))) {
        throw notFound("dataset", name);
      }
      return c.body(null, 204);
    },
  );

  return app;
};
