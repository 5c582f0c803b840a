import { createConfig, lintFromString } from "@redocly/openapi-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HubConfig } from "../config.ts";
import { createFleetView } from "../fleet/view.ts";
import { createScheduler } from "../scheduler/scheduler.ts";
import { createStore, type OpenDatabase, openDatabase } from "../store/index.ts";
import { systemClock } from "../util/clock.ts";
import { createLogger } from "../util/logger.ts";
import { createApi } from "./app.ts";

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  servers?: { url: string }[];
  security?: Record<string, string[]>[];
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
  paths: Record<string, Record<string, Operation>>;
}

describe("the OpenAPI document", () => {
  let database: OpenDatabase;
  let doc: Document;
  let source = "";

  beforeAll(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    const store = createStore(database.db);
    const logger = createLogger("test");
    const thresholds = { unknownAfterMs: 15_000, offlineAfterMs: 60_000 };
    const view = createFleetView({ clock: systemClock, thresholds });
    const scheduler = createScheduler({
      store,
      view,
      clock: systemClock,
      logger,
      epoch: () => undefined,
      onFenced: () => undefined,
      onDesiredStateChanged: () => undefined,
    });
    const app = createApi({
      store,
      view,
      scheduler,
      clock: systemClock,
      logger,
      thresholds,
      config: HubConfig.parse({}),
      databaseKind: "pglite",
      onDesiredStateChanged: () => undefined,
      kickScheduler: () => undefined,
    });
    // Public: a client generator needs no token to read it (it holds no data).
    const r = await app.request("/api/v1/openapi.json");
    expect(r.status).toBe(200);
    source = await r.text();
    doc = JSON.parse(source) as Document;
  }, 120_000);
  afterAll(() => database?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ path, method, op })),
    );

  it("is clean under Redocly's recommended rules: 0 errors, 0 warnings", async () => {
    const problems = await lintFromString({
      source,
      absoluteRef: "openapi.json",
      // The project states no license, and the document must not invent one.
      config: await createConfig({ extends: ["recommended"], rules: { "info-license": "off" } }),
    });
    const listed = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ""}`);
    expect(listed).toEqual([]);
  });

  it("names every operation uniquely, so generated clients get stable method names", () => {
    const ids = operations().map(
      ({ path, method, op }) => op.operationId ?? `${method.toUpperCase()} ${path} has none`,
    );
    expect(ids.filter((id) => / has none$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("declares bearer authentication for every operation, and where the API lives", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.servers?.[0]?.url).toBe("/api/v1");
    for (const { path, method, op } of operations()) {
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      expect(op.responses["401"], `${method} ${path} documents 401`).toBeDefined();
    }
  });
});
