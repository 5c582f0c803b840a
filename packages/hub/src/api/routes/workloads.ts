import { Decision, parseWith, ValidationError, Workload, WorkloadPhase } from "@gantry/shared";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { HubError, notFound } from "../../errors.ts";
import type { WorkloadWithPlacements } from "../../store/index.ts";
import { readSource } from "../body.ts";
import type { RouteDeps } from "../deps.ts";
import { decodeContinue, encodeContinue, ListQuery, listMeta } from "../list.ts";
import { documentedBody, Problem, problemResponses, TenantNameParams, TenantParam } from "../openapi.ts";
import { templateIssues } from "../template-schemas.ts";
import { EventView, eventView, WorkloadView, workloadSummary, workloadView } from "../views.ts";
import { watchWorkloads } from "./watch.ts";

/** Submitted workloads are read by `readDocument` (JSON or YAML), not by the route layer. */
const workloadBody = documentedBody(Workload);

const WorkloadList = z.object({
  apiVersion: z.string(),
  kind: z.literal("List"),
  metadata: z.object({ continue: z.string().optional(), resourceVersion: z.string().optional() }),
  items: z.array(WorkloadView),
});

const ListWorkloadsQuery = ListQuery.extend({
  phase: WorkloadPhase.optional(),
  tenant: z.string().max(63).optional(),
  watch: z.enum(["true", "false", "1", "0"]).optional(),
  resourceVersion: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
});

/** `?dryRun=true`: decide on the live fleet and store nothing. */
const DryRunQuery = z.object({ dryRun: z.enum(["true", "false", "1", "0", "All"]).optional() });
const isDryRun = (c: Context) => ["true", "1", "All"].includes(c.req.query("dryRun") ?? "");

/** Fields the hub sets; accepted on input (so `get -o yaml` output applies as is) and ignored. */
const stripReadOnly = (doc: unknown): unknown => {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return doc;
  const { status: _status, warnings: _warnings, ...rest } = doc as Record<string, unknown>;
  const meta = rest.metadata;
  if (typeof meta === "object" && meta !== null && !Array.isArray(meta)) {
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...m } = meta as Record<string, unknown>;
    rest.metadata = m;
  }
  return rest;
};

/** The tenant a submitted document belongs to: the path's, which the document may repeat but not contradict. */
const withTenant = (doc: unknown, tenant: string | undefined): unknown => {
  if (tenant === undefined || typeof doc !== "object" || doc === null || Array.isArray(doc)) return doc;
  const d = doc as Record<string, unknown>;
  const meta = d.metadata;
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return doc;
  const m = meta as Record<string, unknown>;
  if (m.tenant !== undefined && m.tenant !== tenant) {
    throw new HubError(
      "validation_failed",
      `metadata.tenant ${JSON.stringify(m.tenant)} does not match the path's ${tenant}`,
      [{ field: "metadata.tenant", message: `must be ${tenant} (the tenant in the URL) or left out` }],
    );
  }
  return { ...d, metadata: { ...m, tenant } };
};

const warningHeader = (warnings: string[]) =>
  warnings.map((w) => `299 - "${w.replaceAll('"', "'").replace(/[^\x20-\x7e]/g, "?")}"`).join(", ");

/** Submit, list, watch, read, explain and delete workloads; names are unique within a tenant. */
export const workloadRoutes = (deps: RouteDeps) => {
  const app = new OpenAPIHono({ defaultHook: deps.defaultHook });
  const { store, scheduler, access } = deps;

  const find = async (c: Context, tenant: string, name: string, action: "workloads:read" = "workloads:read") => {
    access.require(c, action, tenant);
    const w = await store.workloads.get(tenant, name);
    if (!w) throw notFound("workload", `${tenant}/${name}`);
    return w;
  };

  const showEvents = async (c: Context, tenant: string, name: string) => {
    const w = await find(c, tenant, name);
    return c.json({ items: (await store.workloads.events(w.uid)).map(eventView) }, 200);
  };
  const showExplain = async (c: Context, tenant: string, name: string) => {
    const w = await find(c, tenant, name);
    const decision = w.decisionId ? ((await store.workloads.decision(w.decisionId)) ?? null) : null;
    const extra = (await deps.explainExtra?.(w)) ?? {};
    // What the current decision copies where before the workload starts, or copied before it ran (absent when every
    // cluster it uses had its data).
    const staging = w.placements
      .filter((p) => p.generation === w.generation && p.staging.length > 0)
      .map((p) => ({ cluster: p.cluster, items: p.staging, progress: p.status?.staging ?? null }));
    return c.json(
      {
        workload: name,
        tenant,
        phase: w.phase,
        message: w.message,
        decisionId: w.decisionId,
        decision,
        ...(staging.length > 0 ? { staging } : {}),
        ...(w.autoscaling ? { autoscaling: w.autoscaling } : {}),
        ...extra,
      },
      200,
    );
  };
  const showWorkload = async (c: Context, tenant: string, name: string) =>
    c.json(workloadView(await find(c, tenant, name)), 200);

  /** `/workloads/{name}`: the one workload of that name the caller can see; ambiguous across tenants is a 409. */
  const resolve = async (c: Context, name: string): Promise<{ tenant: string; name: string }> => {
    const rows = await store.workloads.findByName(name, access.visibleTenants(c));
    if (rows.length === 0) throw notFound("workload", name);
    if (rows.length > 1) {
      throw new HubError(
        "conflict",
        `workload ${name} exists in several tenants (${rows.map((r) => r.tenant).join(", ")}); use /tenants/{tenant}/workloads/${name} or -t`,
      );
    }
    return { tenant: rows[0]!.tenant, name };
  };

  const submit = async (c: Context, pathTenant: string | undefined) => {
    const doc = await readSource(c, "workload");
    const raw = withTenant(stripReadOnly(doc.value), pathTenant ?? access.defaultTenant(c));
    const workload = parseWith(Workload, raw, "workload", doc.locate);
    // The user's manifests are theirs, but one the cluster's API server would refuse is refused here, by path.
    const templateProblems = await templateIssues(workload.spec.template);
    if (templateProblems.length > 0) throw new ValidationError(templateProblems, "workload");
    access.require(c, "workloads:write", workload.metadata.tenant);
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new HubError("validation_failed", "Idempotency-Key must be 1–255 visible ASCII characters", [
        { field: "Idempotency-Key", message: "1–255 visible ASCII characters" },
      ]);
    }
    if (isDryRun(c)) return dryRun(c, workload);
    await deps.admit?.(workload);
    const warnings = (await deps.checkFleet?.(workload)) ?? [];
    const { tenant, name } = workload.metadata;
    const { row, created } = await store.workloads.create(workload, (deps.workClock ?? deps.clock).now(), {
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      audit: access.audit(c, "workloads:write", { kind: "workloads", name, tenant }, 201),
    });
    if (created) deps.kickScheduler();
    // A new workload has no placements yet: answer from the row just written (one query less per submit). A replayed
    // submission answers with what is stored now, placements included.
    const stored = created ? { ...row, placements: [] } : await store.workloads.getByUid(row.uid);
    if (!stored) throw notFound("workload", name);
    if (warnings.length > 0) c.header("Warning", warningHeader(warnings));
    return c.json({ ...workloadView(stored), ...(warnings.length > 0 ? { warnings } : {}) }, created ? 201 : 200);
  };

  /**
   * `?dryRun=true` (kubectl's server-side dry run): admission and the live fleet's decision, with its explanation,
   * and nothing stored — no workload, no reservation, no audit row, no scheduler kick.
   */
  const dryRun = async (c: Context, workload: Workload) => {
    await deps.admit?.(workload);
    const warnings = (await deps.checkFleet?.(workload)) ?? [];
    const decision = await scheduler.dryRun(workload);
    return c.json({ dryRun: true, workload, decision, warnings }, 200);
  };

  /** `PUT`: create, or change what the hub can change (see `store.workloads.apply`); a change it cannot take is 409. */
  const apply = async (c: Context, tenant: string, name: string) => {
    const doc = await readSource(c, "workload");
    const raw = withTenant(stripReadOnly(doc.value), tenant);
    const workload = parseWith(Workload, raw, "workload", doc.locate);
    const templateProblems = await templateIssues(workload.spec.template);
    if (templateProblems.length > 0) throw new ValidationError(templateProblems, "workload");
    if (workload.metadata.name !== name) {
      throw new HubError(
        "validation_failed",
        `metadata.name ${JSON.stringify(workload.metadata.name)} does not match the URL's ${JSON.stringify(name)}`,
        [{ field: "metadata.name", message: `must be ${name}` }],
      );
    }
    access.require(c, "workloads:write", tenant);
    if (isDryRun(c)) return dryRun(c, workload);
    await deps.admit?.(workload);
    const warnings = (await deps.checkFleet?.(workload)) ?? [];
    const { row, result } = await store.workloads.apply(workload, deps.clock.now(), {
      audit: access.audit(c, "workloads:write", { kind: "workloads", name, tenant }, 200, { operation: "apply" }),
    });
    if (result !== "unchanged") deps.kickScheduler();
    const stored = await store.workloads.getByUid(row.uid);
    if (!stored) throw notFound("workload", name);
    if (warnings.length > 0) c.header("Warning", warningHeader(warnings));
    c.header("Gantry-Apply-Result", result);
    return c.json(
      { ...workloadView(stored), ...(warnings.length > 0 ? { warnings } : {}) },
      result === "created" ? 201 : 200,
    );
  };

  const list = async (c: Context, tenant: string | undefined) => {
    const q = ListWorkloadsQuery.parse(c.req.query());
    if (tenant !== undefined) access.require(c, "workloads:read", tenant);
    const visible = access.visibleTenants(c);
    const only = tenant ?? q.tenant;
    const tenants = only !== undefined ? (visible === undefined || visible.includes(only) ? [only] : []) : visible;
    const where = deps.labelFilter?.(c.req.query("labelSelector"));
    if (q.watch === "true" || q.watch === "1") {
      return watchWorkloads(c, deps, {
        tenants,
        where,
        ...(q.resourceVersion !== undefined ? { from: Number(q.resourceVersion) } : {}),
        summary: q.view === "summary",
      });
    }
    const after = decodeContinue(q.continue, ["tenant", "name"] as const);
    const page = await store.workloads.list({
      ...(tenants !== undefined ? { tenants } : {}),
      ...(q.phase ? { phase: q.phase } : {}),
      ...(where ? { where } : {}),
      limit: q.limit,
      ...(after ? { after } : {}),
    });
    const render = q.view === "summary" ? workloadSummary : workloadView;
    return c.json(
      {
        apiVersion: "gantry.dev/v1alpha1",
        kind: "List" as const,
        metadata: listMeta(page.next ? encodeContinue({ ...page.next }) : undefined, {
          resourceVersion: String(await store.workloads.currentRv()),
        }),
        items: page.items.map((w: WorkloadWithPlacements) => render(w)),
      },
      200,
    );
  };

  const listQuery = ListWorkloadsQuery.omit({ tenant: true }).extend({
    labelSelector: z.string().max(4_096).optional(),
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/workloads",
      operationId: "submitWorkload",
      summary: "Submit a workload to a tenant (JSON or YAML); a retry of the same spec returns the stored one (200)",
      request: { params: TenantParam, query: DryRunQuery, body: workloadBody },
      responses: {
        200: {
          description: "Already accepted (same spec or Idempotency-Key)",
          content: { "application/json": { schema: WorkloadView } },
        },
        201: { description: "Accepted; placement follows", content: { "application/json": { schema: WorkloadView } } },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    // The handler returns through helpers the route typing cannot follow.
    (async (c: Context) => submit(c, c.req.param("tenant"))) as never,
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/workloads",
      operationId: "submitWorkloadToItsTenant",
      summary: "Submit a workload to the tenant its metadata names (default: the caller's tenant)",
      request: { query: DryRunQuery, body: workloadBody },
      responses: {
        200: { description: "Already accepted", content: { "application/json": { schema: WorkloadView } } },
        201: { description: "Accepted; placement follows", content: { "application/json": { schema: WorkloadView } } },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    (async (c: Context) => submit(c, undefined)) as never,
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/tenants/{tenant}/workloads/{name}",
      operationId: "applyWorkload",
      summary:
        "Create or change a workload (`gantry apply`): labels any time, the spec while it waits in the queue; a spec change to placed work is 409",
      request: { params: TenantNameParams, query: DryRunQuery, body: workloadBody },
      responses: {
        200: {
          description: "Unchanged or changed (header Gantry-Apply-Result says which)",
          content: { "application/json": { schema: WorkloadView } },
        },
        201: { description: "Created; placement follows", content: { "application/json": { schema: WorkloadView } } },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    (async (c: Context) => apply(c, c.req.param("tenant") ?? "", c.req.param("name") ?? "")) as never,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/workloads",
      operationId: "listTenantWorkloads",
      summary: "List a tenant's workloads (paged; `watch=true` streams changes as Server-Sent Events)",
      request: { params: TenantParam, query: listQuery },
      responses: {
        200: {
          description: "A page of workloads, or an event stream",
          content: { "application/json": { schema: WorkloadList } },
        },
        ...problemResponses(400, 401, 403, 429, 503),
      },
    }),
    (async (c: Context) => list(c, c.req.param("tenant"))) as never,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/workloads",
      operationId: "listWorkloads",
      summary: "List the workloads of every tenant the caller may see (paged, filterable; `watch=true` streams)",
      request: { query: listQuery.extend({ tenant: z.string().max(63).optional() }) },
      responses: {
        200: {
          description: "A page of workloads, or an event stream",
          content: { "application/json": { schema: WorkloadList } },
        },
        ...problemResponses(400, 401, 429, 503),
      },
    }),
    (async (c: Context) => list(c, undefined)) as never,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/workloads/{name}",
      operationId: "getWorkload",
      summary: "Get one workload",
      request: { params: TenantNameParams },
      responses: {
        200: { description: "The workload", content: { "application/json": { schema: WorkloadView } } },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { tenant, name } = c.req.valid("param");
      return showWorkload(c, tenant, name);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/workloads/{name}/events",
      operationId: "getWorkloadEvents",
      summary: "What happened to a workload: placed, applied, running, failed over, burst, drained back, held…",
      request: { params: TenantNameParams },
      responses: {
        200: {
          description: "Events, oldest first",
          content: { "application/json": { schema: z.object({ items: z.array(EventView) }) } },
        },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { tenant, name } = c.req.valid("param");
      return showEvents(c, tenant, name);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/workloads/{name}/explain",
      operationId: "explainWorkload",
      summary: "Why the workload runs where it runs (or waits): every cluster's verdict, reasons and cost",
      request: { params: TenantNameParams },
      responses: {
        200: {
          description: "The latest decision",
          content: {
            "application/json": {
              schema: z.looseObject({
                workload: z.string(),
                tenant: z.string(),
                phase: z.string(),
                message: z.string(),
                decisionId: z.string().nullable(),
                decision: Decision.nullable(),
              }),
            },
          },
        },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { tenant, name } = c.req.valid("param");
      return showExplain(c, tenant, name);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/workloads/{name}",
      operationId: "deleteWorkload",
      summary: "Delete a workload; its agents remove it from their clusters",
      request: { params: TenantNameParams },
      responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { tenant, name } = c.req.valid("param");
      access.require(c, "workloads:write", tenant);
      await store.workloads.delete(
        tenant,
        name,
        (deps.workClock ?? deps.clock).now(),
        access.audit(c, "workloads:write", { kind: "workloads", name, tenant }, 204),
      );
      deps.onDesiredStateChanged();
      deps.kickScheduler();
      return c.body(null, 204);
    },
  );

  // Shortcuts by name alone (the tenant resolved among those the caller can see), for one-tenant setups and the CLI.
  const NameOnly = z.object({ name: TenantNameParams.shape.name });
  for (const [suffix, operationId, summary, show] of [
    ["", "getWorkloadByName", "Get a workload by name (unique among the tenants the caller can see)", showWorkload],
    ["/explain", "explainWorkloadByName", "Explain a workload by name", showExplain],
    ["/events", "getWorkloadEventsByName", "A workload's events, by name", showEvents],
  ] as const) {
    app.openapi(
      createRoute({
        method: "get",
        path: `/workloads/{name}${suffix}`,
        operationId,
        summary,
        request: { params: NameOnly },
        responses: {
          200: {
            description: "As under /tenants/{tenant}/workloads/{name}",
            content: { "application/json": { schema: z.looseObject({}) } },
          },
          ...problemResponses(400, 401, 404, 409, 503),
        },
      }),
      (async (c: Context) => {
        const { tenant, name } = await resolve(c, c.req.param("name") ?? "");
        return show(c, tenant, name);
      }) as never,
    );
  }
  app.openapi(
    createRoute({
      method: "delete",
      path: "/workloads/{name}",
      operationId: "deleteWorkloadByName",
      summary: "Delete a workload by name (unique among the tenants the caller can see)",
      request: { params: NameOnly },
      responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404, 409, 503) },
    }),
    async (c) => {
      const { tenant, name } = await resolve(c, c.req.valid("param").name);
      access.require(c, "workloads:write", tenant);
      await store.workloads.delete(
        tenant,
        name,
        (deps.workClock ?? deps.clock).now(),
        access.audit(c, "workloads:write", { kind: "workloads", name, tenant }, 204),
      );
      deps.onDesiredStateChanged();
      deps.kickScheduler();
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/plan",
      operationId: "planWorkload",
      summary: "Dry run: what the engine would decide now on the live fleet. Stores nothing.",
      request: { body: workloadBody },
      responses: {
        200: { description: "The decision", content: { "application/json": { schema: Decision } } },
        ...problemResponses(400, 401, 413, 415, 503),
      },
    }),
    async (c) => {
      access.require(c, "fleet:read");
      const doc = await readSource(c, "workload");
      const workload = parseWith(Workload, stripReadOnly(doc.value), "workload", doc.locate);
      return c.json(await scheduler.dryRun(workload), 200);
    },
  );

  return app;
};

export { Problem };
