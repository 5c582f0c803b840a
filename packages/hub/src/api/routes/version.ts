import { API_VERSION, PROTOCOL_VERSION } from "@gantry/shared";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { HUB_VERSION } from "../../version.ts";
import type { RouteDeps } from "../deps.ts";
import { problemResponses } from "../openapi.ts";

export const VersionView = z.object({
  /** Marks the answer as a Gantry hub's (clients check it before trusting the rest). */
  gantry: z.literal("hub"),
  version: z.string(),
  apiVersion: z.string(),
  protocolVersion: z.number(),
  database: z.string(),
});

/**
 * `GET /version`: which hub this is. Any token may ask (as `kubectl version` needs credentials for the server's): what
 * runs where is an attacker's first question, so it is not public like the probes.
 */
export const versionRoutes = (deps: RouteDeps) => {
  const app = new OpenAPIHono({ defaultHook: deps.defaultHook });
  app.openapi(
    createRoute({
      method: "get",
      path: "/version",
      operationId: "getVersion",
      summary: "The hub's version, API version and agent protocol version (any role)",
      responses: {
        200: { description: "Versions", content: { "application/json": { schema: VersionView } } },
        ...problemResponses(401, 429),
      },
    }),
    (c) =>
      c.json(
        {
          gantry: "hub" as const,
          version: HUB_VERSION,
          apiVersion: API_VERSION,
          protocolVersion: PROTOCOL_VERSION,
          database: deps.databaseKind,
        },
        200,
      ),
  );
  return app;
};
