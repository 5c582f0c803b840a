import { Decision, Workload, WorkloadPhase } from "@gantry/shared";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { notFound } from "../../errors.ts";
import { readBody } from "../body.ts";
import type { ApiDeps } from "../deps.ts";
import { NameParam, Problem, problemResponses } from "../openapi.ts";
import { WorkloadView, workloadView } from "../views.ts";

const bodyContent = {
  "application/json": { schema: Workload },
  "application/yaml": { schema: Workload },
};

/** Submit, read, explain and delete workloads. */
export const workloadRoutes = (deps: ApiDeps) => {
  const app = new OpenAPIHono();
  const { store, scheduler } = deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/workloads",
      summary: "Submit a workload (JSON or YAML)",
      request: { body: { content: bodyContent, required: false } },
      responses: {
        201: {
          description: "Accepted; placed now or queued",
          content: { "application/json": { schema: WorkloadView } },
        },
        ...problemResponses(400, 409, 415, 422),
      },
    }),
    async (c) => {
      const workload = await readBody(c, Workload, "workload");
      await deps.admit?.(workload);
      await scheduler.submit(workload);
      const stored = await store.workloads.get(workload.metadata.name);
      if (!stored) throw notFound("workload", workload.metadata.name);
      return c.json(workloadView(stored), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/workloads",
      summary: "List workloads with status and placement",
      request: { query: z.object({ tenant: z.string().optional(), phase: WorkloadPhase.optional() }) },
      responses: {
        200: {
          description: "Workloads",
          content: { "application/json": { schema: z.object({ items: z.array(WorkloadView) }) } },
        },
        ...problemResponses(400),
      },
    }),
    async (c) => {
      const { tenant, phase } = c.req.valid("query");
      const rows = await store.workloads.list({ ...(tenant ? { tenant } : {}), ...(phase ? { phase } : {}) });
      return c.json({ items: rows.map(workloadView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/workloads/{name}",
      summary: "Get one workload",
      request: { params: NameParam },
      responses: {
        200: { description: "The workload", content: { "application/json": { schema: WorkloadView } } },
        ...problemResponses(404),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const w = await store.workloads.get(name);
      if (!w) throw notFound("workload", name);
      return c.json(workloadView(w), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/workloads/{name}/explain",
      summary: "Why the workload runs where it runs (or waits): every cluster's verdict, reasons, scores, cost",
      request: { params: NameParam },
      responses: {
        200: {
          description: "The latest decision",
          content: {
            "application/json": {
              schema: z.object({
                workload: z.string(),
                phase: z.string(),
                message: z.string(),
                decisionId: z.string().nullable(),
                decision: Decision.nullable(),
              }),
            },
          },
        },
        ...problemResponses(404),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const w = await store.workloads.get(name);
      if (!w) throw notFound("workload", name);
      const decision = w.decisionId ? ((await store.workloads.decision(w.decisionId)) ?? null) : null;
      const extra = (await deps.explainExtra?.(w)) ?? {};
      return c.json(
        { workload: name, phase: w.phase, message: w.message, decisionId: w.decisionId, decision, ...extra },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/workloads/{name}",
      summary: "Delete a workload; its agents remove it from their clusters",
      request: { params: NameParam },
      responses: { 204: { description: "Deleted" }, ...problemResponses(404) },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      await store.workloads.delete(name);
      deps.onDesiredStateChanged();
      void scheduler.kick();
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/plan",
      summary: "Dry run: what the engine would decide now. Changes nothing.",
      request: { body: { content: bodyContent, required: false } },
      responses: {
        200: { description: "The decision", content: { "application/json": { schema: Decision } } },
        ...problemResponses(400, 415),
      },
    }),
    async (c) => {
      const workload = await readBody(c, Workload, "workload");
      return c.json(await scheduler.dryRun(workload), 200);
    },
  );

  return app;
};

export { Problem };
