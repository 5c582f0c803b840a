/**
 * `pnpm bench --only hub:metrics`: what one `GET /metrics` costs the hub's event loop with N registered clusters, each
 * with a capacity report (two GPU node groups and a CPU one), and how many bytes it answers. Beside it, in the same
 * run, the per-cluster families set on prom-client gauges as the hub did until 2026-12-04 (the same series), for the
 * ratio. The database-backed families are left out (a stub store answers nothing): they are read at most every 10 s.
 */
import { ClusterDescription, ClusterHealth, NodeGroup } from "@gantry/shared";
import { Gauge, Registry } from "prom-client";
import { fleetClusterOf } from "../../src/fleet/snapshot.ts";
import { createFleetView } from "../../src/fleet/view.ts";
import { gpusByModel, registerFleetMetrics } from "../../src/fleet-metrics.ts";
import { createMetrics } from "../../src/metrics.ts";
import { aClusterRow } from "../../src/store/testing/fixtures.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { median, percentile } from "../fleet/proc.ts";

export interface ScrapeRow {
  clusters: number;
  scrapes: number;
  bytes: number;
  medianMs: number;
  p99Ms: number;
  gaugesMedianMs: number;
  gaugesP99Ms: number;
}

const thresholds = { unknownAfterMs: 15_000, offlineAfterMs: 60_000 };

const fleetOf = (n: number, now: Date) => {
  const view = createFleetView({ clock: { now: () => now }, thresholds });
  for (let i = 0; i < n; i++) {
    const name = `c-${String(i).padStart(5, "0")}`;
    view.upsert(
      aClusterRow(
        ClusterDescription.parse({ name, tier: i % 3 === 0 ? "onprem" : "cloud", provider: "p", region: `r-${i % 7}` }),
        now,
      ),
    );
    view.heartbeat(name, {
      nodes: [
        NodeGroup.parse({ name: "h", count: 4, gpu: { model: "H100", count: 8, memoryGiB: 80 }, gpusUsed: i % 8 }),
        NodeGroup.parse({ name: "a", count: 2, gpu: { model: "A100", count: 4, memoryGiB: 40 } }),
        NodeGroup.parse({ name: "cpu", count: 3 }),
      ],
      accountedWorkloads: [],
      datasets: [],
    });
  }
  return view;
};

/** The former way: every per-cluster series set on a prom-client gauge at scrape time, five passes over the fleet. */
const gaugesRegistry = (view: ReturnType<typeof createFleetView>, now: Date) => {
  const registry = new Registry();
  const clusters = () =>
    view
      .list()
      .filter((e) => e.state === "registered")
      .map((e) => ({ entry: e, cluster: fleetClusterOf(e, now, thresholds) }));
  const gauge = (name: string, labelNames: string[], fill: (g: Gauge) => void) =>
    new Gauge({
      name,
      help: name,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(this);
      },
    });
  gauge("gantry_cluster_info", ["cluster", "tier", "provider", "region"], (g) => {
    for (const { cluster: c } of clusters())
      g.set({ cluster: c.name, tier: c.tier, provider: c.provider, region: c.region }, 1);
  });
  gauge("gantry_cluster_gpus", ["cluster", "model"], (g) => {
    for (const { cluster: c } of clusters())
      for (const [model, v] of gpusByModel(c)) g.set({ cluster: c.name, model }, v.total);
  });
  gauge("gantry_cluster_gpus_free", ["cluster", "model"], (g) => {
    for (const { cluster: c } of clusters())
      for (const [model, v] of gpusByModel(c)) g.set({ cluster: c.name, model }, v.free);
  });
  gauge("gantry_cluster_health", ["cluster", "state"], (g) => {
    for (const { cluster: c } of clusters())
      for (const state of ClusterHealth.options) g.set({ cluster: c.name, state }, c.health === state ? 1 : 0);
  });
  gauge("gantry_cluster_heartbeat_age_seconds", ["cluster"], (g) => {
    for (const { entry } of clusters())
      if (entry.lastSeenAt) g.set({ cluster: entry.name }, (now.getTime() - entry.lastSeenAt.getTime()) / 1000);
  });
  return registry;
};

const timed = async (f: () => Promise<string>, scrapes: number) => {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < scrapes + 2; i++) {
    const t = performance.now();
    const text = await f();
    // The first two warm the JIT; not counted.
    if (i >= 2) times.push(performance.now() - t);
    bytes = text.length;
  }
  return { times, bytes };
};

export const runScrapes = async (sizes: number[], scrapes: number): Promise<ScrapeRow[]> => {
  const rows: ScrapeRow[] = [];
  for (const n of sizes) {
    const now = new Date();
    const view = fleetOf(n, now);
    const metrics = createMetrics();
    const none = async () => [];
    registerFleetMetrics(metrics, {
      view,
      store: {
        costs: { totals: none, tenantSpend: async () => 0 },
        workloads: { countByPhase: async () => ({}), oldestPending: async () => undefined },
        budgets: { list: none },
      } as never,
      clock: { now: () => now },
      thresholds,
      logger: silentLogger(),
    });
    const gauges = gaugesRegistry(view, now);
    // Alternating, so both see the same machine.
    const text: number[] = [];
    const former: number[] = [];
    let bytes = 0;
    for (let round = 0; round < 4; round++) {
      const a = await timed(() => metrics.exposition(), Math.ceil(scrapes / 4));
      const b = await timed(() => gauges.metrics(), Math.ceil(scrapes / 4));
      text.push(...a.times);
      former.push(...b.times);
      bytes = a.bytes;
    }
    rows.push({
      clusters: n,
      scrapes: text.length,
      bytes,
      medianMs: median(text),
      p99Ms: percentile(text, 99),
      gaugesMedianMs: median(former),
      gaugesP99Ms: percentile(former, 99),
    });
  }
  return rows;
};
