import { execFile } from "node:child_process";
import { ClusterDescription, ClusterHealth, NodeGroup } from "@gantry/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleetView } from "./fleet/view.ts";
import { clusterFamilies, registerFleetMetrics } from "./fleet-metrics.ts";
import { createMetrics } from "./metrics.ts";
import { costLedger } from "./store/schema.ts";
import { aClusterRow, aWorkload, KINDS, openTestStore, T0, type TestStore } from "./store/testing/fixtures.ts";
import { createLogger } from "./util/logger.ts";

const thresholds = { unknownAfterMs: 30_000, offlineAfterMs: 120_000 };

/** One sample line of the text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reading of the Prometheus text format (0.0.4): every sample belongs to a family announced by HELP and TYPE
 * before it, label values are quoted and escaped, values are numbers. Throws naming the first bad line.
 */
const parseExposition = (text: string): { types: Map<string, string>; samples: Sample[] } => {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(?:,|$)/gy;
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "HELP") helps.add(meta[2]!);
      else if (["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3]!))
        types.set(meta[2]!, meta[3]!);
      else throw new Error(`line ${i + 1}: unknown type ${meta[3]}`);
      continue;
    }
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const [, name, rawLabels = "", rawValue] = m as unknown as [string, string, string | undefined, string];
    const family = [...types.keys()].find(
      (f) => name === f || (/^_(bucket|sum|count|total|created)$/.test(name.slice(f.length)) && name.startsWith(f)),
    );
    if (!family || !helps.has(family)) throw new Error(`line ${i + 1}: ${name} has no HELP and TYPE before it`);
    const labels: Record<string, string> = {};
    labelPair.lastIndex = 0;
    let consumed = 0;
    for (let p = labelPair.exec(rawLabels); p; p = labelPair.exec(rawLabels)) {
      labels[p[1]!] = p[2]!;
      consumed = labelPair.lastIndex;
    }
    if (consumed !== rawLabels.length) throw new Error(`line ${i + 1}: bad labels: ${rawLabels}`);
    const value = Number(rawValue.replace(/^\+Inf$/, "Infinity").replace(/^-Inf$/, "-Infinity"));
    // Prometheus reads values with Go's ParseFloat, which takes NaN in any case (prom-client writes "Nan").
    if (Number.isNaN(value) && !/^nan$/i.test(rawValue)) throw new Error(`line ${i + 1}: bad value ${rawValue}`);
    samples.push({ name, labels, value });
  }
  return { types, samples };
};

/** `promtool check metrics` on the text: its lint findings (empty when clean). */
const promtool = (text: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile("promtool", ["check", "metrics"], (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") reject(error);
      else resolve(`${stdout}${stderr}`.trim());
    });
    child.stdin?.end(text);
  });

const hasPromtool = async () =>
  new Promise<boolean>((resolve) => execFile("promtool", ["--version"], (error) => resolve(!error)));

describe.each(KINDS)("fleet metrics on %s", (kind) => {
  let t: TestStore;
  let now = T0.getTime();
  const clock = { now: () => new Date(now) };
  const metrics = createMetrics();
  const view = createFleetView({ clock, thresholds });

  beforeAll(async () => {
    t = await openTestStore(kind);
    const description = (name: string) =>
      ClusterDescription.parse({ name, tier: "onprem", provider: "self", region: "eu-1" });
    for (const name of ["dc1", "dc2"]) {
      view.upsert(aClusterRow(description(name)));
    }
    view.heartbeat("dc1", {
      nodes: [
        NodeGroup.parse({ name: "h", count: 2, gpu: { model: "H100", count: 8, memoryGiB: 80 }, gpusUsed: 3 }),
        NodeGroup.parse({ name: "a", count: 1, gpu: { model: "A100", count: 4, memoryGiB: 40 }, schedulable: false }),
        NodeGroup.parse({ name: "cpu", count: 3 }),
      ],
      accountedWorkloads: [],
      datasets: [],
    });
    const ledger = (tenant: string, cluster: string, pool: string | null, kind: "compute" | "egress", usd: number) => ({
      workload: "w",
      tenant,
      cluster,
      pool,
      kind,
      usd,
      startAt: T0,
      endAt: T0,
    });
    await t.database.db
      .insert(costLedger)
      .values([
        ledger("vision", "dc1", "onprem", "compute", 1.5),
        ledger("vision", "dc1", "onprem", "compute", 2.25),
        ledger("vision", "dc1", "onprem", "egress", 0.5),
        ledger("nlp", "dc2", null, "compute", 4),
      ]);
    await t.store.budgets.put(
      {
        apiVersion: "gantry.dev/v1alpha1",
        kind: "Budget",
        metadata: { name: "vision" },
        spec: { perDay: 5, weight: 1 },
      },
      T0,
    );
    await t.store.workloads.create(aWorkload("queued-1"), T0);
    await t.store.workloads.create(aWorkload("queued-2"), T0);
    registerFleetMetrics(metrics, { view, store: t.store, clock, thresholds, logger: createLogger("test") });
    now += 45_000;
    // A fresh database (migrations) on a loaded machine takes a while.
  }, 120_000);
  afterAll(() => t?.close());

  const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  it("reports capacity and free GPUs by model, health per state and heartbeat age per cluster", async () => {
    const { types, samples } = parseExposition(await metrics.exposition());
    expect(types.get("gantry_cluster_gpus")).toBe("gauge");
    expect(value(samples, "gantry_cluster_gpus", { cluster: "dc1", model: "H100" })).toBe(16);
    expect(value(samples, "gantry_cluster_gpus_free", { cluster: "dc1", model: "H100" })).toBe(10);
    // Unschedulable nodes count in the total, not in what is free.
    expect(value(samples, "gantry_cluster_gpus", { cluster: "dc1", model: "A100" })).toBe(4);
    expect(value(samples, "gantry_cluster_gpus_free", { cluster: "dc1", model: "A100" })).toBe(0);
    // 45 s since its heartbeat: past "unknown" (30 s), not yet offline.
    expect(value(samples, "gantry_cluster_heartbeat_age_seconds", { cluster: "dc1" })).toBe(45);
    expect(value(samples, "gantry_cluster_health", { cluster: "dc1", state: "unknown" })).toBe(1);
    expect(value(samples, "gantry_cluster_health", { cluster: "dc1", state: "ready" })).toBe(0);
    // Never heard: no age, and the health the hub gives a silent cluster.
    expect(value(samples, "gantry_cluster_heartbeat_age_seconds", { cluster: "dc2" })).toBeUndefined();
    expect(samples.filter((s) => s.name === "gantry_cluster_health" && s.labels.cluster === "dc2")).toHaveLength(3);
    expect(value(samples, "gantry_cluster_info", { cluster: "dc1", tier: "onprem", region: "eu-1" })).toBe(1);
  });

  it("counts spend by tenant, cluster, pool and kind, and workloads by phase", async () => {
    const { types, samples } = parseExposition(await metrics.exposition());
    expect(types.get("gantry_spend_usd_total")).toBe("counter");
    expect(
      value(samples, "gantry_spend_usd_total", { tenant: "vision", cluster: "dc1", pool: "onprem", kind: "compute" }),
    ).toBe(3.75);
    expect(value(samples, "gantry_spend_usd_total", { tenant: "vision", kind: "egress" })).toBe(0.5);
    expect(value(samples, "gantry_spend_usd_total", { tenant: "nlp", cluster: "dc2", pool: "" })).toBe(4);
    expect(value(samples, "gantry_workloads", { phase: "Pending" })).toBe(2);
    expect(value(samples, "gantry_workloads", { phase: "Running" })).toBe(0);
    expect(value(samples, "gantry_queue_oldest_wait_seconds", {})).toBe(45);
  });

  it("reports budgets' limits and what their tenants spent this day and month (the 90 % alert's inputs)", async () => {
    const { samples } = parseExposition(await metrics.exposition());
    expect(value(samples, "gantry_budget_limit_usd", { tenant: "vision", period: "day" })).toBe(5);
    // No monthly limit set: no series, so an alert on spent / limit cannot divide by a made-up number.
    expect(value(samples, "gantry_budget_limit_usd", { tenant: "vision", period: "month" })).toBeUndefined();
    expect(value(samples, "gantry_budget_spent_usd", { tenant: "vision", period: "day" })).toBe(4.25);
    expect(value(samples, "gantry_budget_spent_usd", { tenant: "nlp", period: "day" })).toBeUndefined();
  });

  it("passes promtool's lint where promtool is installed, and the strict parser everywhere", async () => {
    const text = await metrics.exposition();
    expect(() => parseExposition(text)).not.toThrow();
    if (await hasPromtool()) expect(await promtool(text)).toBe("");
    // A broken exposition is caught by the parser (it is not a parser that accepts anything).
    expect(() => parseExposition(`${text}gantry_undeclared 1\n`)).toThrow(/no HELP and TYPE/);
    expect(() => parseExposition('# HELP x y\n# TYPE x gauge\nx{a="b} 1\n')).toThrow(/bad labels|not a sample/);
  });
});

describe("the per-cluster families, rendered by hand", () => {
  const entry = (name: string, region: string, state: "registered" | "revoked" = "registered") => ({
    name,
    state,
    registration: {},
    description: { ...ClusterDescription.parse({ name, tier: "edge", provider: "self" }), region },
    reported: null,
    agentId: "a",
    driver: "simulated",
    agentVersion: "1",
    capacity: {
      nodes: [
        NodeGroup.parse({ name: "g", count: 2, gpu: { model: 'L4 "mini"', count: 4, memoryGiB: 24 }, gpusUsed: 1 }),
      ],
      accountedWorkloads: [],
      datasets: [],
    },
    lastSeenAt: new Date(T0.getTime() - 2_500),
    revision: 0,
    createdAt: T0,
    registeredAt: T0,
    revokedAt: null,
  });

  it("escapes label values as the text format says, and leaves out clusters that are not registered", () => {
    const text = clusterFamilies(
      [entry("edge-1", 'paris "nord"\\2\nb'), entry("gone", "x", "revoked")] as never,
      T0,
      thresholds,
    );
    const { types, samples } = parseExposition(text);
    expect(types.get("gantry_cluster_health")).toBe("gauge");
    const info = samples.filter((s) => s.name === "gantry_cluster_info");
    // The parser keeps escapes as written: \" \\ and \n, each exactly once.
    expect(info).toEqual([
      {
        name: "gantry_cluster_info",
        labels: { cluster: "edge-1", tier: "edge", provider: "self", region: 'paris \\"nord\\"\\\\2\\nb' },
        value: 1,
      },
    ]);
    expect(samples.find((s) => s.name === "gantry_cluster_gpus_free")).toEqual({
      name: "gantry_cluster_gpus_free",
      labels: { cluster: "edge-1", model: 'L4 \\"mini\\"' },
      value: 6,
    });
    expect(samples.find((s) => s.name === "gantry_cluster_heartbeat_age_seconds")?.value).toBe(2.5);
    expect(samples.filter((s) => s.labels.cluster === "gone")).toEqual([]);
    expect(samples.filter((s) => s.name === "gantry_cluster_health").map((s) => [s.labels.state, s.value])).toEqual(
      ClusterHealth.options.map((state) => [state, state === "ready" ? 1 : 0]),
    );
  });
});
