import { type ClusterDescription, ClusterHealth, type FleetCluster, WorkloadPhase } from "@gantry/shared";
import { Counter, Gauge, type Registry } from "prom-client";
import { type HealthThresholds, healthOf } from "./fleet/health.ts";
import type { ClusterEntry, FleetView } from "./fleet/view.ts";
import type { Store } from "./store/index.ts";
import type { Clock } from "./util/clock.ts";
import type { Logger } from "./util/logger.ts";

/** A scrape reads the ledger and the workload table at most this often; scrapers in between get the last answer. */
const DATABASE_TTL_MS = 10_000;

/** GPUs on ready, schedulable nodes and in all, per GPU model: what `gantry_cluster_gpus*` report. */
export const gpusByModel = (cluster: Pick<FleetCluster, "nodes">): Map<string, { total: number; free: number }> => {
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

const SPECIAL = /[\\\n"]/;
const escapeHelp = (s: string) => s.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
/** Most label values need no escape; testing first spares three string copies per value. */
const escapeLabel = (s: string) => (SPECIAL.test(s) ? escapeHelp(s).replaceAll('"', '\\"') : s);
const family = (name: string, help: string, samples: string[]) =>
  `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} gauge\n${samples.join("")}`;

/** A description's escaped name and its info line, kept while the description object is (it is replaced on change). */
const described = new WeakMap<ClusterDescription, { name: string; info: string }>();
const describedAs = (d: ClusterDescription) => {
  let v = described.get(d);
  if (!v) {
    const name = escapeLabel(d.name);
    const info = `gantry_cluster_info{cluster="${name}",tier="${escapeLabel(d.tier)}",provider="${escapeLabel(d.provider)}",region="${escapeLabel(d.region)}"} 1\n`;
    v = { name, info };
    described.set(d, v);
  }
  return v;
};

/**
 * The per-cluster families as Prometheus text, in one pass over the fleet view. At 10,000 clusters these are ~70,000
 * series (4.9 MB); set on prom-client gauges at every scrape (each label set hashed and stored, five passes over the
 * fleet) they took 350–700 ms of the event loop per scrape, which every API request and heartbeat ack waited behind.
 */
export const clusterFamilies = (entries: readonly ClusterEntry[], now: Date, thresholds: HealthThresholds): string => {
  const info: string[] = [];
  const gpus: string[] = [];
  const free: string[] = [];
  const health: string[] = [];
  const age: string[] = [];
  for (const e of entries) {
    if (e.state !== "registered") continue;
    // What `fleetClusterOf` would say, without copying the description for every cluster at every scrape.
    const current = e.capacity ? healthOf(e.lastSeenAt, now, thresholds) : "unknown";
    const { name, info: line } = describedAs(e.description);
    info.push(line);
    for (const [model, g] of gpusByModel({ nodes: e.capacity?.nodes ?? [] })) {
      const labels = `{cluster="${name}",model="${escapeLabel(model)}"}`;
      gpus.push(`gantry_cluster_gpus${labels} ${g.total}\n`);
      free.push(`gantry_cluster_gpus_free${labels} ${g.free}\n`);
    }
    for (const state of ClusterHealth.options)
      health.push(`gantry_cluster_health{cluster="${name}",state="${state}"} ${current === state ? 1 : 0}\n`);
    if (e.lastSeenAt)
      age.push(
        `gantry_cluster_heartbeat_age_seconds{cluster="${name}"} ${Math.max(0, (now.getTime() - e.lastSeenAt.getTime()) / 1000)}\n`,
      );
  }
  return [
    family("gantry_cluster_info", "A registered cluster (always 1), labelled with its tier, provider and region", info),
    family("gantry_cluster_gpus", "GPUs on a cluster's nodes, by GPU model (its agent's latest report)", gpus),
    family("gantry_cluster_gpus_free", "GPUs free on a cluster's ready, schedulable nodes, by GPU model", free),
    family(
      "gantry_cluster_health",
      "A cluster's health as the hub computes it: 1 for its current state, 0 for the others",
      health,
    ),
    family(
      "gantry_cluster_heartbeat_age_seconds",
      "Seconds since the hub last heard a cluster's agent (absent for a cluster never heard)",
      age,
    ),
  ].join("\n");
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
  metrics: { registry: Registry; addText: (render: () => string) => void },
  deps: {
    view: FleetView;
    store: Pick<Store, "costs" | "workloads" | "budgets">;
    clock: Clock;
    thresholds: HealthThresholds;
    logger: Logger;
  },
) => {
  const { view, clock, thresholds } = deps;
  const registry = metrics.registry;
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

  metrics.addText(() => clusterFamilies(view.list(), clock.now(), thresholds));
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
