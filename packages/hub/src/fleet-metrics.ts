import { ClusterHealth, type FleetCluster, WorkloadPhase } from "@gantry/shared";
import { Counter, Gauge, type Registry } from "prom-client";
import type { HealthThresholds } from "./fleet/health.ts";
import { fleetClusterOf } from "./fleet/snapshot.ts";
import type { FleetView } from "./fleet/view.ts";
import type { Store } from "./store/index.ts";
import type { Clock } from "./util/clock.ts";
import type { Logger } from "./util/logger.ts";

/** A scrape reads the ledger and the workload table at most this often; scrapers in between get the last answer. */
const DATABASE_TTL_MS = 10_000;

/** GPUs on ready, schedulable nodes and in all, per GPU model: what `gantry_cluster_gpus*` report. */
export const gpusByModel = (cluster: FleetCluster): Map<string, { total: number; free: number }> => {
  const out = new Map<string, { total: number; free: number }>();
  for (const n of cluster.nodes) {
    if (!n.gpu) continue;
    const m = out.get(n.gpu.model) ?? { total: 0, free: 0 };
    m.total += n.gpu.count * n.count;
    if (n.ready && n.schedulable) m.free += Math.max(0, n.gpu.count - n.gpusUsed) * n.count;
    out.set(n.gpu.model, m);
  }
  return out;
};

/** Reads `load` again only when the last answer is older than the TTL; concurrent scrapes share one read. */
const cached = <T>(clock: Clock, load: () => Promise<T>) => {
  let last: { at: number; value: Promise<T> } | undefined;
  return (): Promise<T> => {
    const now = clock.now().getTime();
    if (!last || now - last.at >= DATABASE_TTL_MS) {
      const value = load();
      last = { at: now, value };
      // A failed read is not kept: the next scrape tries again.
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
};

/**
 * The fleet's state as Prometheus series, computed at scrape time: capacity and free GPUs by model, health (one gauge
 * per state, 1 for the current one), heartbeat age and a cluster info series from the hub's in-memory view; spend
 * counters by tenant, cluster, pool and kind from the cost ledger (it only grows) and workloads by phase from the
 * database, both read at most every 10 s. A database that does not answer leaves those series out of that scrape
 * (and logs why) rather than failing the whole scrape.
 */
export const registerFleetMetrics = (
  registry: Registry,
  deps: {
    view: FleetView;
    store: Pick<Store, "costs" | "workloads" | "budgets">;
    clock: Clock;
    thresholds: HealthThresholds;
    logger: Logger;
  },
) => {
  const { view, clock, thresholds } = deps;
  const clusters = () => {
    const now = clock.now();
    return view
      .list()
      .filter((e) => e.state === "registered")
      .map((e) => ({ entry: e, cluster: fleetClusterOf(e, now, thresholds), now }));
  };
  const spend = cached(clock, () => deps.store.costs.totals());
  const phases = cached(clock, () => deps.store.workloads.countByPhase());
  const oldestPending = cached(clock, () => deps.store.workloads.oldestPending());
  const budgets = cached(clock, async () => {
    const now = clock.now();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    return Promise.all(
      (await deps.store.budgets.list()).map(async (b) => ({
        tenant: b.metadata.name,
        limits: { day: b.spec.perDay, month: b.spec.perMonth },
        spent: {
          day: await deps.store.costs.tenantSpend(b.metadata.name, day),
          month: await deps.store.costs.tenantSpend(b.metadata.name, month),
        },
      })),
    );
  });
  const fromDatabase = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      deps.logger.warn({ err: error, series: what }, "metrics: could not read the database; series left out");
      return undefined;
    }
  };

  new Gauge({
    name: "gantry_cluster_info",
    help: "A registered cluster (always 1), labelled with its tier, provider and region",
    labelNames: ["cluster", "tier", "provider", "region"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster } of clusters()) {
        this.set({ cluster: cluster.name, tier: cluster.tier, provider: cluster.provider, region: cluster.region }, 1);
      }
    },
  });
  new Gauge({
    name: "gantry_cluster_gpus",
    help: "GPUs on a cluster's nodes, by GPU model (its agent's latest report)",
    labelNames: ["cluster", "model"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster } of clusters()) {
        for (const [model, g] of gpusByModel(cluster)) this.set({ cluster: cluster.name, model }, g.total);
      }
    },
  });
  new Gauge({
    name: "gantry_cluster_gpus_free",
    help: "GPUs free on a cluster's ready, schedulable nodes, by GPU model",
    labelNames: ["cluster", "model"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster } of clusters()) {
        for (const [model, g] of gpusByModel(cluster)) this.set({ cluster: cluster.name, model }, g.free);
      }
    },
  });
  new Gauge({
    name: "gantry_cluster_health",
    help: "A cluster's health as the hub computes it: 1 for its current state, 0 for the others",
    labelNames: ["cluster", "state"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster } of clusters()) {
        for (const state of ClusterHealth.options)
          this.set({ cluster: cluster.name, state }, cluster.health === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "gantry_cluster_heartbeat_age_seconds",
    help: "Seconds since the hub last heard a cluster's agent (absent for a cluster never heard)",
    labelNames: ["cluster"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { entry, now } of clusters()) {
        if (!entry.lastSeenAt) continue;
        this.set({ cluster: entry.name }, Math.max(0, (now.getTime() - entry.lastSeenAt.getTime()) / 1000));
      }
    },
  });
  new Counter({
    name: "gantry_spend_usd_total",
    help: "USD spent per the cost ledger, by tenant, cluster, pool (empty when none) and kind (compute, egress)",
    labelNames: ["tenant", "cluster", "pool", "kind"] as const,
    registers: [registry],
    async collect() {
      const rows = await fromDatabase("gantry_spend_usd_total", spend);
      this.reset();
      for (const r of rows ?? []) this.inc({ tenant: r.tenant, cluster: r.cluster, pool: r.pool, kind: r.kind }, r.usd);
    },
  });
  new Gauge({
    name: "gantry_queue_oldest_wait_seconds",
    help: "How long the longest-waiting pending workload has waited (0 when nothing waits)",
    registers: [registry],
    async collect() {
      const read = await fromDatabase("gantry_queue_oldest_wait_seconds", async () => ({ at: await oldestPending() }));
      this.reset();
      if (!read) return;
      this.set(read.at ? Math.max(0, (clock.now().getTime() - read.at.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: "gantry_budget_limit_usd",
    help: "A tenant's budget for the current UTC day or month (absent when it sets none)",
    labelNames: ["tenant", "period"] as const,
    registers: [registry],
    async collect() {
      const rows = await fromDatabase("gantry_budget_limit_usd", budgets);
      this.reset();
      for (const r of rows ?? []) {
        for (const period of ["day", "month"] as const) {
          const limit = r.limits[period];
          if (limit !== undefined) this.set({ tenant: r.tenant, period }, limit);
        }
      }
    },
  });
  new Gauge({
    name: "gantry_budget_spent_usd",
    help: "What a tenant with a budget has spent in the current UTC day or month",
    labelNames: ["tenant", "period"] as const,
    registers: [registry],
    async collect() {
      const rows = await fromDatabase("gantry_budget_spent_usd", budgets);
      this.reset();
      for (const r of rows ?? [])
        for (const period of ["day", "month"] as const) this.set({ tenant: r.tenant, period }, r.spent[period]);
    },
  });
  new Gauge({
    name: "gantry_workloads",
    help: "Workloads by phase (the queue is phase Pending)",
    labelNames: ["phase"] as const,
    registers: [registry],
    async collect() {
      const counts = await fromDatabase("gantry_workloads", phases);
      this.reset();
      if (!counts) return;
      for (const phase of WorkloadPhase.options) this.set({ phase }, counts[phase] ?? 0);
    },
  });
};
