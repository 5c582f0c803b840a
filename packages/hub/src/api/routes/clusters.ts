import { Dataset } from "@gantry/shared";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { notFound } from "../../errors.ts";
import { fleetClusterOf } from "../../fleet/snapshot.ts";
import { readBody } from "../body.ts";
import type { ApiDeps } from "../deps.ts";
import { NameParam, problemResponses } from "../openapi.ts";
import { ClusterView, clusterView } from "../views.ts";

/** Clusters (as their agents report them) and datasets (as operators register them). */
export const fleetRoutes = (deps: ApiDeps) => {
  const app = new OpenAPIHono();
  const { store, clock, thresholds } = deps;

  app.openapi(
    createRoute({
      method: "get",
      path: "/clusters",
      summary: "List clusters with their latest capacity and health",
      responses: {
        200: {
          description: "Clusters",
          content: { "application/json": { schema: z.object({ items: z.array(ClusterView) }) } },
        },
      },
    }),
    async (c) => {
      const now = clock.now();
      const rows = await store.clusters.list();
      return c.json({ items: rows.map((r) => clusterView(r, fleetClusterOf(r, now, thresholds))) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/clusters/{name}",
      summary: "Get one cluster",
      request: { params: NameParam },
      responses: {
        200: { description: "The cluster", content: { "application/json": { schema: ClusterView } } },
        ...problemResponses(404),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const row = await store.clusters.get(name);
      if (!row) throw notFound("cluster", name);
      return c.json(clusterView(row, fleetClusterOf(row, clock.now(), thresholds)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/datasets",
      summary: "List datasets and where they live",
      responses: {
        200: {
          description: "Datasets",
          content: { "application/json": { schema: z.object({ items: z.array(Dataset) }) } },
        },
      },
    }),
    async (c) => c.json({ items: await store.datasets.list() }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/datasets/{name}",
      summary: "Create or replace a dataset (JSON or YAML)",
      request: {
        params: NameParam,
        body: {
          content: { "application/json": { schema: Dataset }, "application/yaml": { schema: Dataset } },
          required: false,
        },
      },
      responses: {
        200: { description: "Stored", content: { "application/json": { schema: Dataset } } },
        ...problemResponses(400, 415),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const dataset = await readBody(c, Dataset.extend({ name: z.string().default(name) }), "dataset");
      const stored = { ...dataset, name };
      await store.datasets.put(stored);
      void deps.scheduler.kick();
      return c.json(stored, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/datasets/{name}",
      summary: "Forget a dataset",
      request: { params: NameParam },
      responses: { 204: { description: "Deleted" }, ...problemResponses(404) },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      if (!(await store.datasets.delete(name))) throw notFound("dataset", name);
      return c.body(null, 204);
    },
  );

  return app;
};
