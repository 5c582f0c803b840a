import { API_VERSION, Workload } from "@gantry/shared";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubConfig } from "../../config.ts";
import { notFound } from "../../errors.ts";
import { createFleetView } from "../../fleet/view.ts";
import { createScheduler } from "../../scheduler/scheduler.ts";
import { createStore, type OpenDatabase, openDatabase, recordAudit, type Store } from "../../store/index.ts";
import { workloads } from "../../store/schema.ts";
import { silentLogger } from "../../util/logger.ts";
import { createApi } from "../app.ts";
import type { ApiDeps } from "../deps.ts";
import { AuthConfig, auditEntry, authorize, createRateLimiter, principalOf, tenantScope } from "./index.ts";
import { issueToken } from "./issue.ts";
import { startTestIssuer, type TestIssuer } from "./testing/issuer.ts";

/** A clock the test moves by hand (the rate limiter's refill depends on it). */
const fakeClock = () => {
  let t = Date.parse("2026-04-01T09:00:00Z");
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
};

const aWorkload = (name: string, tenant: string) =>
  Workload.parse({
    apiVersion: API_VERSION,
    kind: "Workload",
    metadata: { name, tenant },
    spec: { type: "job", replicas: 1, resources: { gpu: { count: 1 } } },
  });

/**
 * The shape the lead's tenant-scoped routes take: authorize against the path's tenant, then make the change
 * and its audit row in one store transaction.
 */
const demoRoutes = (database: OpenDatabase, deps: ApiDeps) => {
  const app = new OpenAPIHono();
  const params = z.object({
    tenant: z.string().openapi({ param: { name: "tenant", in: "path" } }),
    name: z.string().openapi({ param: { name: "name", in: "path" } }),
  });
  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/workloads",
      request: { params: params.pick({ tenant: true }) },
      responses: { 200: { description: "ok" } },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      authorize(principalOf(c), "workloads:read", { tenant });
      const rows = await database.db
        .select({ name: workloads.name })
        .from(workloads)
        .where(eq(workloads.tenant, tenant));
      return c.json({ items: rows.map((r) => r.name) }, 200);
    },
  );
  app.openapi(
    createRoute({ method: "get", path: "/workloads-visible", responses: { 200: { description: "ok" } } }),
    async (c) => {
      const p = principalOf(c);
      const scope = tenantScope(p);
      authorize(p, "workloads:read", scope === "all" ? undefined : { tenant: scope });
      const rows = await database.db.select({ name: workloads.name, tenant: workloads.tenant }).from(workloads);
      return c.json(
        {
          items: rows
            .filter((r) => scope === "all" || r.tenant === scope)
            .map((r) => r.name)
            .sort(),
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/workloads/{name}",
      request: { params },
      responses: { 204: { description: "gone" } },
    }),
    async (c) => {
      const { tenant, name } = c.req.valid("param");
      authorize(principalOf(c), "workloads:write", { tenant });
      await database.db.transaction(async (tx) => {
        const gone = await tx
          .delete(workloads)
          .where(and(eq(workloads.name, name), eq(workloads.tenant, tenant)))
          .returning({ name: workloads.name });
        if (gone.length === 0) throw notFound("workload", name);
        await recordAudit(
          tx,
          auditEntry(c, deps.clock.now(), {
            action: "workloads:write",
            object: { kind: "workloads", name, tenant },
            status: 204,
          }),
        );
      });
      return c.body(null, 204);
    },
  );
  return app;
};

describe("the hub API with authentication", () => {
  let database: OpenDatabase;
  let store: Store;
  let issuer: TestIssuer;
  const clock = fakeClock();
  let app: ReturnType<typeof createApi>;
  let admin: string;

  const call = (path: string, token?: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    if (init.json !== undefined) headers.set("content-type", "application/json");
    return app.request(path, {
      ...init,
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  };
  const mint = async (by: string, body: unknown) => {
    const r = await call("/api/v1/tokens", by, { method: "POST", json: body });
    return {
      status: r.status,
      body: (await r.json()) as { id: string; token: string; code?: string; detail?: string },
    };
  };
  const auditRows = async (query = "") => {
    const r = await call(`/api/v1/audit?limit=1000${query}`, admin);
    expect(r.status).toBe(200);
    return (
      (await r.json()) as {
        items: {
          subject: string;
          action: string;
          outcome: string;
          status: number;
          requestId: string | null;
          object: { kind: string; name: string | null; tenant: string | null } | null;
        }[];
      }
    ).items;
  };

  /** The API's dependencies around a store, as the hub wires them (no bus: nothing here talks to agents). */
  const baseDeps = (store: Store): Omit<ApiDeps, "auth"> => {
    const logger = silentLogger();
    const thresholds = { unknownAfterMs: 15_000, offlineAfterMs: 60_000 };
    const view = createFleetView({ clock, thresholds });
    const scheduler = createScheduler({
      store,
      view,
      clock,
      logger,
      epoch: () => undefined,
      onFenced: () => undefined,
      onDesiredStateChanged: () => undefined,
    });
    return {
      store,
      view,
      clock,
      logger,
      thresholds,
      config: HubConfig.parse({}),
      databaseKind: "pglite",
      onDesiredStateChanged: () => undefined,
      kickScheduler: () => undefined,
      scheduler,
    };
  };

  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    store = createStore(database.db);
    issuer = await startTestIssuer();
    const deps: ApiDeps = {
      ...baseDeps(store),
      auth: {
        config: AuthConfig.parse({
          oidc: { issuer: issuer.url, audience: "gantry" },
          rateLimit: { roles: { viewer: { perSecond: 1, burst: 3 }, admin: { perSecond: 1_000, burst: 10_000 } } },
        }),
        limiter: createRateLimiter(clock),
      },
    };
    app = createApi(deps);
    app.route("/api/v1", demoRoutes(database, deps));
    admin = (
      await issueToken(store.tokens, { name: "root", role: "admin", tenant: null, createdBy: "test", at: clock.now() })
    ).token;
    for (const [name, tenant] of [
      ["a-1", "a"],
      ["a-2", "a"],
      ["b-1", "b"],
    ] as const) {
      await store.workloads.create(aWorkload(name, tenant), clock.now());
    }
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await issuer?.close();
  });

  it("answers 401 problem+json with a Bearer challenge and the request id when no token is sent", async () => {
    const r = await call("/api/v1/clusters");
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="gantry"');
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    const body = (await r.json()) as { code: string; requestId: string };
    expect(body.code).toBe("unauthenticated");
    expect(body.requestId).toBe(r.headers.get("x-request-id"));
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ["a malformed header", "Token abc"],
    ["an unknown token", `Bearer gtk_${"A".repeat(43)}`],
    ["neither a token nor a JWT", "Bearer hunter2"],
  ])("refuses %s with 401", async (_what, header) => {
    const r = await call("/api/v1/clusters", undefined, { headers: { authorization: header } });
    expect(r.status).toBe(401);
  });

  it("leaves the probes, the metrics scrape and the dashboard page open", async () => {
    expect((await call("/healthz")).status).toBe(200);
    expect((await call("/metrics")).status).not.toBe(401);
    expect((await call("/")).status).toBe(200);
    expect((await call("/healthz", undefined, { method: "DELETE" })).status).toBe(401);
  });

  it("lets an admin read and mint", async () => {
    expect((await call("/api/v1/clusters", admin)).status).toBe(200);
    const op = await mint(admin, { name: "ops", role: "operator" });
    expect(op.status).toBe(201);
    expect(op.body.token).toMatch(/^gtk_/);
    expect(op.body.id).toMatch(/^tok_/);
  });

  it("lets an operator mint below admin but never an admin token", async () => {
    const op = (await mint(admin, { name: "ops-2", role: "operator" })).body.token;
    const refused = await mint(op, { name: "escalate", role: "admin" });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: "forbidden",
      detail: "an operator cannot create an admin token (needs admin)",
    });
    expect((await mint(op, { name: "vision-dev", role: "member", tenant: "vision" })).status).toBe(201);
    const list = await call("/api/v1/tokens", op);
    const names = ((await list.json()) as { items: { name: string }[] }).items.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["root", "ops-2", "vision-dev"]));
    expect(names).not.toContain("escalate");
  });

  it("never shows a secret or its hash in the list", async () => {
    const created = await mint(admin, { name: "secretive", role: "viewer" });
    const text = await (await call("/api/v1/tokens", admin)).text();
    expect(text).not.toContain(created.body.token);
    expect(text).not.toMatch(/"hash"/);
  });

  it("refuses a revoked token on the very next request", async () => {
    const v = await mint(admin, { name: "short-lived", role: "viewer" });
    expect((await call("/api/v1/clusters", v.body.token)).status).toBe(200);
    expect((await call(`/api/v1/tokens/${v.body.id}`, admin, { method: "DELETE" })).status).toBe(204);
    const after = await call("/api/v1/clusters", v.body.token);
    expect(after.status).toBe(401);
    expect(((await after.json()) as { detail: string }).detail).toBe("the token is unknown or has been revoked");
    expect((await call(`/api/v1/tokens/${v.body.id}`, admin, { method: "DELETE" })).status).toBe(404);
  });

  it("names the field when a token request is wrong", async () => {
    const r = await mint(admin, { name: "m", role: "member" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "validation_failed", errors: [{ field: "tenant" }] });
    expect((await mint(admin, { name: "x", role: "viewer", scopes: ["all"] })).status).toBe(400);
    expect((await mint(admin, { name: "Bad Name", role: "viewer" })).status).toBe(400);
    expect((await mint(admin, { name: "op", role: "operator", tenant: "a" })).status).toBe(400);
  });

  it("scopes a member to its tenant: reads and deletes its own, is refused the other's", async () => {
    const member = (await mint(admin, { name: "a-dev", role: "member", tenant: "a" })).body.token;
    const own = await call("/api/v1/tenants/a/workloads", member);
    const names = async (r: Response) =>
      ((await r.json()) as { items: { metadata: { name: string } }[] }).items.map((w) => w.metadata.name).sort();
    expect(await names(own)).toEqual(["a-1", "a-2"]);
    expect((await call("/api/v1/tenants/b/workloads", member)).status).toBe(403);
    // The cross-tenant list shows only what the member may see, and a name lookup never finds another tenant's.
    expect(await names(await call("/api/v1/workloads", member))).toEqual(["a-1", "a-2"]);
    expect((await call("/api/v1/workloads/b-1", member)).status).toBe(404);
    const visible = await call("/api/v1/workloads-visible", member);
    expect(((await visible.json()) as { items: string[] }).items).toEqual(["a-1", "a-2"]);

    const refused = await call("/api/v1/tenants/b/workloads/b-1", member, { method: "DELETE" });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toBe(
      "a member of tenant a cannot submit, change or delete workloads of tenant b",
    );
    expect(await store.workloads.get("b", "b-1")).toBeDefined();

    const done = await call("/api/v1/tenants/a/workloads/a-1", member, { method: "DELETE" });
    expect(done.status).toBe(204);
    expect(await store.workloads.get("a", "a-1")).toBeUndefined();

    const rows = await auditRows("&subject=token:a-dev");
    expect(rows.map((r) => [r.action, r.outcome, r.status, r.object?.tenant, r.object?.name])).toEqual([
      ["workloads:write", "success", 204, "a", "a-1"],
      ["workloads:write", "denied", 403, "b", "b-1"],
    ]);
    expect(rows[0]?.requestId).toBe(done.headers.get("x-request-id"));
  });

  it("audits a successful mint with its request id, and refused calls, anonymous ones too", async () => {
    const ok = await call("/api/v1/tokens", admin, {
      method: "POST",
      json: { name: "audited", role: "viewer" },
      headers: { "x-request-id": "req-ok-1" },
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("x-request-id")).toBe("req-ok-1");
    const anon = await call("/api/v1/tokens", undefined, {
      method: "POST",
      json: { name: "x", role: "admin" },
      headers: { "x-request-id": "req-anon-1" },
    });
    expect(anon.status).toBe(401);

    const rows = await auditRows();
    const success = rows.find((r) => r.requestId === "req-ok-1");
    expect(success).toMatchObject({ subject: "token:root", action: "tokens:write", outcome: "success", status: 201 });
    const refused = rows.find((r) => r.requestId === "req-anon-1");
    expect(refused).toMatchObject({
      subject: "anonymous",
      action: "POST /api/v1/tokens",
      outcome: "denied",
      status: 401,
    });
    // Reads are not audited; the operator's refused escalation is.
    expect(rows.some((r) => r.action.startsWith("GET "))).toBe(false);
    expect(rows.some((r) => r.subject === "token:ops-2" && r.status === 403)).toBe(true);
  });

  it("filters the audit log and pages it; only admins and operators may read it", async () => {
    const denied = await auditRows("&outcome=denied");
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((r) => r.outcome === "denied")).toBe(true);
    const first = await call("/api/v1/audit?limit=2", admin);
    const page = (await first.json()) as { items: { id: number }[]; continue: string };
    const second = (await (await call(`/api/v1/audit?limit=2&continue=${page.continue}`, admin)).json()) as {
      items: { id: number }[];
    };
    expect(second.items[0]!.id).toBeLessThan(page.items[1]!.id);
    expect((await call("/api/v1/audit?continue=garbage", admin)).status).toBe(400);
    expect((await call("/api/v1/audit?limit=5000", admin)).status).toBe(400);
    expect((await call("/api/v1/audit?outcome=maybe", admin)).status).toBe(400);
    const viewer = (await mint(admin, { name: "peeker", role: "viewer" })).body.token;
    expect((await call("/api/v1/audit", viewer)).status).toBe(403);
  });

  it("answers 429 with Retry-After once a caller's bucket is empty, other callers unaffected", async () => {
    const viewer = (await mint(admin, { name: "eager", role: "viewer" })).body.token;
    for (let i = 0; i < 3; i++) expect((await call("/api/v1/clusters", viewer)).status).toBe(200);
    const limited = await call("/api/v1/clusters", viewer);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(await limited.json()).toMatchObject({ code: "rate_limited", details: { retryAfterSeconds: 1 } });
    expect((await call("/api/v1/clusters", admin)).status).toBe(200);
    clock.advance(1_000);
    expect((await call("/api/v1/clusters", viewer)).status).toBe(200);
  });

  it("audits one row per run of 429s on a mutating call, not one per retry", async () => {
    const viewer = (await mint(admin, { name: "hammer", role: "viewer" })).body.token;
    clock.advance(10_000);
    for (let i = 0; i < 10; i++) await call("/api/v1/tokens/tok_x", viewer, { method: "DELETE" });
    const rows = (await auditRows("&subject=token:hammer")).map((r) => r.status);
    expect(rows.filter((s) => s === 429)).toHaveLength(1);
    expect(rows.filter((s) => s === 403)).toHaveLength(3);
  });

  it("replaces a request id that is not sane", async () => {
    const r = await call("/api/v1/clusters", admin, { headers: { "x-request-id": "bad id\twith spaces" } });
    expect(r.headers.get("x-request-id")).not.toContain(" ");
    expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("accepts an OIDC token from the configured issuer, with the role its claims grant", async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const jwt = await issuer.sign({
      iss: issuer.url,
      aud: "gantry",
      sub: "bob",
      exp: now + 300,
      gantry_role: "member",
      gantry_tenant: "b",
    });
    const own = await call("/api/v1/tenants/b/workloads", jwt);
    expect(own.status).toBe(200);
    expect(
      ((await own.json()) as { items: { metadata: { name: string } }[] }).items.map((w) => w.metadata.name),
    ).toEqual(["b-1"]);
    expect((await call("/api/v1/tenants/a/workloads", jwt)).status).toBe(403);
    const stale = await issuer.sign({
      iss: issuer.url,
      aud: "gantry",
      sub: "bob",
      exp: now - 300,
      gantry_role: "member",
      gantry_tenant: "b",
    });
    expect((await call("/api/v1/clusters", stale)).status).toBe(401);
  });

  it("requires a token for /metrics when configured to", async () => {
    const strict = createApi({
      ...baseDeps(store),
      auth: { config: AuthConfig.parse({ metricsRequireToken: true }) },
    });
    expect((await strict.request("/metrics")).status).toBe(401);
    expect((await strict.request("/healthz")).status).toBe(200);
    expect((await strict.request("/metrics", { headers: { authorization: `Bearer ${admin}` } })).status).not.toBe(401);
  });
});
