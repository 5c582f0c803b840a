import { issuesOf, textIssue, ValidationError } from "@gantry/shared";
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HubError } from "../errors.ts";
import { principalAccess } from "./access.ts";
import { authMiddleware } from "./auth/index.ts";
import { serveDashboard } from "./dashboard/serve.ts";
import type { ApiDeps, DefaultHook, RouteDeps } from "./deps.ts";
import { problemHeaders, problemOf, respondProblem } from "./problem.ts";
import { auditRoutes } from "./routes/audit.ts";
import { fleetRoutes } from "./routes/clusters.ts";
import { logsRoutes } from "./routes/logs.ts";
import { policyRoutes } from "./routes/policies.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { versionRoutes } from "./routes/version.ts";
import { workloadRoutes } from "./routes/workloads.ts";
import { labelMatcher, workloadLabelFilter } from "./selectors.ts";

/** The security scheme every operation requires (the auth middleware enforces it). */
const BEARER = "bearerAuth";

/** The hub's HTTP API: thin routes over the scheduler and the store, errors mapped in one place. */
export const createApi = (deps: ApiDeps) => {
  const defaultHook: DefaultHook = (result, c) => {
    if (!result.success) return respondProblem(c, problemOf(new ValidationError(issuesOf(result.error), "request")));
  };
  const routeDeps: RouteDeps = {
    labelFilter: workloadLabelFilter,
    labelMatcher,
    ...deps,
    defaultHook,
    access: deps.access ?? principalAccess(deps.clock),
  };
  const app = new OpenAPIHono({ defaultHook });

  app.onError((error, c) => {
    const problem = problemOf(error);
    if (problem.status >= 500 && problem.code === "internal") {
      deps.logger.error(
        { err: error, path: c.req.path, method: c.req.method, requestId: c.get("requestId") },
        "request failed",
      );
    }
    return respondProblem(c, problem, problemHeaders(error));
  });
  app.notFound((c) =>
    respondProblem(c, {
      type: "about:blank",
      title: "Not found",
      status: 404,
      code: "not_found",
      detail: `no route ${c.req.method} ${c.req.path}`,
    }),
  );
  // Bodies are read whole: bound them before they are read (a 50 MB body must not reach the parser).
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: deps.config.bodyLimitBytes,
      onError: () => {
        throw new HubError("payload_too_large", `the request body is larger than ${deps.config.bodyLimitBytes} bytes`);
      },
    }),
  );

  // Clients show ages against the hub's work clock (simulated in `gantry up`), not their own.
  app.use("*", async (c, next) => {
    await next();
    const work = deps.workClock;
    c.header("Gantry-Work-Time", (work ?? deps.clock).now().toISOString());
    c.header("Gantry-Seconds-Per-Hour", String(work?.secondsPerHour ?? 3_600));
  });
  // Before every route: a request id, the audit of refused calls, authentication and the rate limit.
  for (const m of authMiddleware(deps)) app.use("*", m);

  // A query parameter reaches PostgreSQL as text, which cannot hold a NUL (`%00`) or a lone surrogate: refused here,
  // naming the parameter, for every route at once (a list's `tenant` or the audit's `subject` answered 500).
  app.use("/api/*", async (c, next) => {
    const issues = [...new URL(c.req.url).searchParams].flatMap(([name, value]) => {
      const why = textIssue(name) ?? textIssue(value);
      return why ? [{ field: name, message: why }] : [];
    });
    if (issues.length > 0) throw new ValidationError(issues, "request");
    await next();
  });

  // The operator's console: static files over the public API (it holds no data; the API asks for the token).
  serveDashboard(app);
  app.get("/metrics", async (c) => {
    if (!deps.metrics) return c.text("metrics are off", 404);
    return c.text(await deps.metrics.exposition(), 200, { "content-type": deps.metrics.registry.contentType });
  });
  // Liveness: the process answers. Readiness: the database and NATS answer too.
  app.get("/healthz", (c) =>
    c.json({
      status: "ok",
      database: deps.databaseKind,
      workClock: {
        now: (deps.workClock ?? deps.clock).now().toISOString(),
        secondsPerHour: deps.workClock?.secondsPerHour ?? 3_600,
      },
    }),
  );
  app.get("/readyz", async (c) => {
    try {
      await deps.ready?.();
      return c.json({ status: "ready", database: deps.databaseKind, leader: deps.leader?.() ?? true });
    } catch (error) {
      return c.json({ status: "unready", reason: error instanceof Error ? error.message : String(error) }, 503);
    }
  });

  const api = new OpenAPIHono({ defaultHook });
  // Before the workload routes: their `/workloads/{name}` must not be asked about `/workloads/{name}/logs`.
  api.route("/", logsRoutes(routeDeps));
  api.route("/", workloadRoutes(routeDeps));
  api.route("/", fleetRoutes(routeDeps));
  api.route("/", policyRoutes(routeDeps));
  api.route("/", tokenRoutes(routeDeps));
  api.route("/", auditRoutes(routeDeps));
  api.openAPIRegistry.registerComponent("securitySchemes", BEARER, {
    type: "http",
    scheme: "bearer",
    description:
      "A Gantry API token (`gtk_…`: `gantry token create`, or the admin token `gantry up` writes), or a JWT from the " +
      "configured OIDC issuer",
  });
  api.route("/", versionRoutes(routeDeps));
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Gantry hub API",
      version: "v1",
      description:
        "Place AI workloads across GPU clusters by GPU availability, data locality and price, and explain every " +
        "decision in dollars. Errors are application/problem+json with a stable `code`; lists page with `limit` " +
        "and `continue`; `GET /workloads?watch=true` streams changes as Server-Sent Events.",
    },
    // Relative to where this document is served (the hub's own /api/v1), so it is right behind any proxy.
    servers: [{ url: "/api/v1", description: "This hub" }],
    security: [{ [BEARER]: [] }],
  });
  app.route("/api/v1", api);
  return app;
};
