import { Budget, BurstPolicy } from "@gantry/shared";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { HubError, notFound } from "../../errors.ts";
import { readBody } from "../body.ts";
import type { RouteDeps } from "../deps.ts";
import { documentedBody, NameParam, problemResponses } from "../openapi.ts";

const CostRow = z.object({ key: z.string(), compute: z.number(), egress: z.number(), total: z.number() });

/** Operators' resources: burst policies, tenant budgets, and the spend report. */
export const policyRoutes = (deps: RouteDeps) => {
  const app = new OpenAPIHono({ defaultHook: deps.defaultHook });
  const { store, clock, access } = deps;
  /** Spend is billed in work time: its days and months are the work clock's. */
  const workClock = deps.workClock ?? clock;

  const named = <T extends { metadata: { name: string } }>(resource: T, name: string): T => {
    if (resource.metadata.name !== name) {
      throw new HubError(
        "validation_failed",
        `metadata.name ${JSON.stringify(resource.metadata.name)} does not match the URL's ${JSON.stringify(name)}`,
        [{ field: "metadata.name", message: `must be ${name}` }],
      );
    }
    return resource;
  };

  app.openapi(
    createRoute({
      method: "put",
      path: "/policies/{name}",
      operationId: "putPolicy",
      summary: "Create or replace a burst policy (JSON or YAML, kind BurstPolicy)",
      request: { params: NameParam, body: documentedBody(BurstPolicy) },
      responses: {
        200: { description: "Replaced", content: { "application/json": { schema: BurstPolicy } } },
        201: { description: "Created", content: { "application/json": { schema: BurstPolicy } } },
        ...problemResponses(400, 403, 415),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      access.require(c, "policies:write");
      const policy = named(await readBody(c, BurstPolicy, "policy"), name);
      const existed = (await store.policies.get(name)) !== undefined;
      const result = await store.policies.put(
        policy,
        clock.now(),
        access.audit(c, "policies:write", { kind: "policies", name }, existed ? 200 : 201),
      );
      deps.kickScheduler();
      return c.json(policy, result === "created" ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/policies",
      operationId: "listPolicies",
      summary: "List burst policies",
      responses: {
        200: {
          description: "Policies",
          content: { "application/json": { schema: z.object({ items: z.array(BurstPolicy) }) } },
        },
        ...problemResponses(403),
      },
    }),
    async (c) => {
      access.require(c, "policies:read");
      return c.json({ items: await store.policies.list() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/policies/{name}",
      operationId: "getPolicy",
      summary: "Get a burst policy",
      request: { params: NameParam },
      responses: {
        200: { description: "The policy", content: { "application/json": { schema: BurstPolicy } } },
        ...problemResponses(400, 403, 404),
      },
    }),
    async (c) => {
      access.require(c, "policies:read");
      const { name } = c.req.valid("param");
      const p = await store.policies.get(name);
      if (!p) throw notFound("policy", name);
      return c.json(p, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/policies/{name}",
      operationId: "deletePolicy",
      summary: "Delete a burst policy (placed work stays where it is)",
      request: { params: NameParam },
      responses: { 204: { description: "Deleted" }, ...problemResponses(404) },
    }),
    async (c) => {
      access.require(c, "policies:write");
      const { name } = c.req.valid("param");
      if (!(await store.policies.delete(name, access.audit(c, "policies:write", { kind: "policies", name }, 204)))) {
        throw notFound("policy", name);
      }
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/budgets/{name}",
      operationId: "putBudget",
      summary: "Set a tenant's budget and fair-share weight (kind Budget; metadata.name is the tenant)",
      request: { params: NameParam, body: documentedBody(Budget) },
      responses: {
        200: { description: "Stored", content: { "application/json": { schema: Budget } } },
        ...problemResponses(400, 403, 415),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      access.require(c, "budgets:write");
      const budget = named(await readBody(c, Budget, "budget"), name);
      await store.budgets.put(
        budget,
        clock.now(),
        access.audit(c, "budgets:write", { kind: "budgets", name, tenant: name }, 200),
      );
      deps.kickScheduler();
      return c.json(budget, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/budgets",
      operationId: "listBudgets",
      summary: "List tenants' budgets with today's and this month's spend",
      responses: {
        200: {
          description: "Budgets",
          content: {
            "application/json": {
              schema: z.object({
                items: z.array(
                  Budget.and(z.object({ status: z.object({ spentToday: z.number(), spentThisMonth: z.number() }) })),
                ),
              }),
            },
          },
        },
        ...problemResponses(403),
      },
    }),
    async (c) => {
      const now = workClock.now();
      const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const visible = access.visibleTenants(c);
      access.require(c, "budgets:read", visible?.[0]);
      const budgets = (await store.budgets.list()).filter((b) => !visible || visible.includes(b.metadata.name));
      const items = await Promise.all(
        budgets.map(async (b) => ({
          ...b,
          status: {
            spentToday: await store.costs.tenantSpend(b.metadata.name, today),
            spentThisMonth: await store.costs.tenantSpend(b.metadata.name, month),
          },
        })),
      );
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/budgets/{name}",
      operationId: "deleteBudget",
      summary: "Remove a tenant's budget",
      request: { params: NameParam },
      responses: { 204: { description: "Deleted" }, ...problemResponses(404) },
    }),
    async (c) => {
      access.require(c, "budgets:write");
      const { name } = c.req.valid("param");
      const audit = access.audit(c, "budgets:write", { kind: "budgets", name, tenant: name }, 204);
      if (!(await store.budgets.delete(name, audit))) throw notFound("budget", name);
      deps.kickScheduler();
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/costs",
      operationId: "getCosts",
      summary: "Spend by tenant, cluster, pool or workload in [from, to) (default: today, UTC)",
      request: {
        query: z.object({
          groupBy: z.enum(["tenant", "cluster", "pool", "workload"]).default("tenant"),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
        }),
      },
      responses: {
        200: {
          description: "Spend",
          content: {
            "application/json": {
              schema: z.object({
                groupBy: z.string(),
                from: z.string(),
                to: z.string(),
                total: z.number(),
                items: z.array(CostRow),
              }),
            },
          },
        },
        ...problemResponses(400, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const now = workClock.now();
      const from = q.from
        ? new Date(q.from)
        : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      const to = q.to ? new Date(q.to) : new Date(now.getTime() + 1);
      if (from >= to)
        throw new HubError("validation_failed", "from must be before to", [
          { field: "from", message: "must be before to" },
        ]);
      // A member sees its own tenant's spend; operators and admins see everyone's.
      const visible = access.visibleTenants(c);
      access.require(c, "costs:read", visible?.[0]);
      const items = await store.costs.report(q.groupBy, from, to, visible);
      return c.json(
        {
          groupBy: q.groupBy,
          from: from.toISOString(),
          to: to.toISOString(),
          total: items.reduce((n, r) => n + r.total, 0),
          items,
        },
        200,
      );
    },
  );

  return app;
};
