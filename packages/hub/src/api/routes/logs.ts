import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { stream } from "hono/streaming";
import { z } from "zod";
import { HubError, notFound } from "../../errors.ts";
import type { WorkloadWithPlacements } from "../../store/index.ts";
import type { RouteDeps } from "../deps.ts";
import { problemResponses, TenantNameParams } from "../openapi.ts";

const LogsQuery = z.object({
  replica: z.coerce.number().int().min(0).max(100_000).optional(),
  follow: z.enum(["true", "false", "1", "0"]).optional(),
  tailLines: z.coerce.number().int().min(1).max(100_000).optional(),
});

/**
 * Which cluster runs replica `n` of a workload, and which of its replicas there that is: replicas are numbered
 * across the placements in cluster order (the active ones; once it is done, those of its last generation).
 */
export const replicaAt = (
  w: Pick<WorkloadWithPlacements, "placements" | "name">,
  n: number,
): { cluster: string; replica: number } => {
  const active = w.placements.filter((p) => p.active);
  const latest = Math.max(0, ...w.placements.map((p) => p.generation));
  const candidates = (active.length > 0 ? active : w.placements.filter((p) => p.generation === latest)).sort((a, b) =>
    a.cluster.localeCompare(b.cluster),
  );
  if (candidates.length === 0) {
    throw new HubError("conflict", `workload ${w.name} has no placement yet, so no replica has logs`);
  }
  let left = n;
  for (const p of candidates) {
    if (left < p.replicas) return { cluster: p.cluster, replica: left };
    left -= p.replicas;
  }
  const total = candidates.reduce((a, p) => a + p.replicas, 0);
  throw new HubError(
    "validation_failed",
    `workload ${w.name} has ${total} replica(s): --replica must be below ${total}`,
    [{ field: "replica", message: `must be 0…${total - 1}` }],
  );
};

/** `GET …/workloads/{name}/logs`: a replica's lines from its cluster's agent, as text; `follow=true` streams on. */
export const logsRoutes = (deps: RouteDeps) => {
  const app = new OpenAPIHono({ defaultHook: deps.defaultHook });
  const { store, access } = deps;

  const show = async (c: Context, w: WorkloadWithPlacements) => {
    const logs = deps.logs;
    if (!logs) throw new HubError("unavailable", "this hub has no bus to ask agents for logs");
    const q = LogsQuery.parse(c.req.query());
    const { cluster, replica } = replicaAt(w, q.replica ?? 0);
    const follow = q.follow === "true" || q.follow === "1";
    const abort = new AbortController();
    const lines = logs.stream(
      cluster,
      { uid: w.uid, replica, follow, ...(q.tailLines !== undefined ? { tailLines: q.tailLines } : {}) },
      abort.signal,
    );
    // The first chunk before the status line: an agent that does not answer is a 503, not an empty 200.
    const first = await lines.next();
    c.header("content-type", "text/plain; charset=utf-8");
    c.header("Gantry-Cluster", cluster);
    c.header("Gantry-Replica", String(replica));
    return stream(c, async (s) => {
      s.onAbort(() => abort.abort());
      const write = (chunk: string[]) => s.write(chunk.map((l) => `${l}\n`).join(""));
      if (!first.done) await write(first.value);
      try {
        for await (const chunk of lines) await write(chunk);
      } catch (e) {
        await s.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    });
  };

  const byTenant = async (c: Context, tenant: string, name: string) => {
    access.require(c, "workloads:read", tenant);
    const w = await store.workloads.get(tenant, name);
    if (!w) throw notFound("workload", `${tenant}/${name}`);
    return show(c, w);
  };

  const text = { "text/plain": { schema: z.string() } };
  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/workloads/{name}/logs",
      operationId: "getWorkloadLogs",
      summary: "A replica's logs, read by its cluster's agent (text; `follow=true` keeps streaming)",
      request: { params: TenantNameParams, query: LogsQuery },
      responses: {
        200: { description: "Log lines", content: text },
        ...problemResponses(400, 401, 403, 404, 409, 503),
      },
    }),
    (async (c: Context) => byTenant(c, c.req.param("tenant") ?? "", c.req.param("name") ?? "")) as never,
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/workloads/{name}/logs",
      operationId: "getWorkloadLogsByName",
      summary: "A workload's logs, by name (unique among the tenants the caller can see)",
      request: { params: z.object({ name: TenantNameParams.shape.name }), query: LogsQuery },
      responses: {
        200: { description: "Log lines", content: text },
        ...problemResponses(400, 401, 403, 404, 409, 503),
      },
    }),
    (async (c: Context) => {
      const name = c.req.param("name") ?? "";
      const rows = await store.workloads.findByName(name, access.visibleTenants(c));
      if (rows.length === 0) throw notFound("workload", name);
      if (rows.length > 1) {
        throw new HubError(
          "conflict",
          `workload ${name} exists in several tenants (${rows.map((r) => r.tenant).join(", ")}); use -t`,
        );
      }
      return byTenant(c, rows[0]!.tenant, name);
    }) as never,
  );
  return app;
};
