import type {
  AutoscalingStatus,
  ClusterReplicas,
  Decision,
  ScalingDecision,
  ServingSignal,
  Tier,
  Workload,
} from "@gantry/shared";
import {
  type AutoscalePlan,
  type AutoscalerState,
  autoscale,
  type CapacityKind,
  initialAutoscalerState,
  type RttTable,
  type ServingCluster,
  type SignalSample,
} from "../autoscaler/index.ts";
import type { FleetView } from "../fleet/view.ts";
import type { Metrics } from "../metrics.ts";
import { planOn } from "../placement/index.ts";
import type { PlacementRow, ScaleTarget, Store } from "../store/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { Scheduler } from "./scheduler.ts";

/**
 * The autoscaling step: on the leader, every few seconds, each running service with `spec.autoscaling` gets one
 * pass of the pure autoscaler (`autoscaler/`) on its agents' recent signals and the clusters the placement engine
 * finds feasible for it (their prices and free room, asked for maxReplicas), and the plan is applied as placement changes
 * in one transaction per service: counts resized in place, clusters added or left, endpoint weights, the status
 * and one event per change, explained.
 */
export interface AutoscalingDeps {
  store: Store;
  view: FleetView;
  clock: Clock;
  logger: Logger;
  scheduler: Scheduler;
  epoch: () => number | undefined;
  onDesiredStateChanged: () => void;
  metrics?: Metrics;
  /** Round trips (ms) from user regions to cluster regions. */
  rtt: RttTable;
}

/** Samples older than this are dropped whatever the service's stable window (at most an hour, see the spec). */
const KEEP_SECONDS = 3_600;
/** Decisions kept in `status.autoscaling.decisions`. */
const KEEP_DECISIONS = 20;

const keyOf = (tenant: string, name: string) => `${tenant}/${name}`;

/** The offer a cluster makes for a service: owned where the hardware is the operator's, else what the engine chose. */
const kindOf = (tier: Tier, spot: boolean): CapacityKind =>
  tier === "onprem" || tier === "edge" ? "owned" : spot ? "spot" : "onDemand";

/** The clusters a service may run in, as the autoscaler sees them: the engine's feasible verdicts plus where it runs. */
export const servingClusters = (
  decision: Decision,
  tiers: ReadonlyMap<string, { tier: Tier; region: string }>,
  placements: readonly PlacementRow[],
  ready: ReadonlyMap<string, number>,
  gpus: number,
  modelLoad: ReadonlyMap<string, number>,
): ServingCluster[] => {
  const out: ServingCluster[] = [];
  for (const v of decision.clusters) {
    const at = tiers.get(v.cluster);
    const here = placements.find((p) => p.cluster === v.cluster);
    const feasible = v.verdict !== "filtered" && v.pricePerGpuHour !== undefined;
    if (!at || (!feasible && !here)) continue;
    const spot = here ? here.spot : v.spot === true;
    const price = (here ? here.pricePerGpuHour : (v.pricePerGpuHour ?? 0)) * gpus;
    const load = modelLoad.get(v.cluster);
    out.push({
      name: v.cluster,
      region: at.region,
      tier: at.tier,
      offers: [
        {
          kind: kindOf(at.tier, spot),
          pricePerReplicaHour: price,
          current: here?.replicas ?? 0,
          free: feasible ? (v.fitReplicas ?? 0) : 0,
        },
      ],
      readyReplicas: Math.min(ready.get(v.cluster) ?? 0, here?.replicas ?? 0),
      ...(load !== undefined ? { coldStartSeconds: load } : {}),
    });
  }
  return out;
};

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** `status.autoscaling` from a plan: what the API, `gantry describe` and the dashboard show. */
export const statusOf = (
  plan: AutoscalePlan,
  spec: NonNullable<Workload["spec"]["autoscaling"]>,
  clusters: readonly ServingCluster[],
  decisions: ScalingDecision[],
  at: Date,
): AutoscalingStatus => {
  const replicas: ClusterReplicas[] = plan.targets.map((t) => ({
    cluster: t.cluster,
    kind: t.kind,
    desired: t.replicas,
    current: t.current,
    ready: clusters.find((c) => c.name === t.cluster)?.readyReplicas ?? 0,
    pricePerReplicaHour: round(t.pricePerReplicaHour, 4),
  }));
  return {
    updatedAt: at.toISOString(),
    metric: spec.metric,
    metricValue: round(plan.observation.stable),
    target: spec.target,
    mode: plan.desired.mode,
    reason: plan.desired.reason,
    desiredReplicas: plan.targets.reduce((n, t) => n + t.replicas, 0),
    readyReplicas: replicas.reduce((n, r) => n + r.ready, 0),
    requestsPerSecond: round(plan.observation.requestsPerSecond),
    demand: Object.fromEntries(Object.entries(plan.demand).map(([r, x]) => [r, round(x)])),
    predictedP95Ms: Object.fromEntries(
      Object.entries(plan.predictedP95Ms).map(([r, x]) => [r, Number.isFinite(x) ? round(x, 1) : -1]),
    ),
    costPerHour: round(plan.costPerHour, 4),
    clusters: replicas,
    weights: Object.fromEntries(
      Object.entries(plan.weights).map(([r, w]) => [
        r,
        Object.fromEntries(Object.entries(w).map(([c, x]) => [c, round(x, 4)])),
      ]),
    ),
    decisions,
  };
};

/** Per cluster, the share of each user region's traffic the plan sends there. */
const routingOf = (plan: AutoscalePlan, cluster: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [region, w] of Object.entries(plan.weights)) {
    const share = w[cluster] ?? 0;
    if (share > 0) out[region] = round(share, 4);
  }
  return out;
};

export const createAutoscaling = (deps: AutoscalingDeps) => {
  const { store, clock, logger, scheduler, metrics } = deps;
  const samples = new Map<string, SignalSample[]>();
  const states = new Map<string, AutoscalerState>();
  const seconds = () => clock.now().getTime() / 1000;
  let ticking = false;

  /** One agent's signals (from the bus), stamped with the hub's time of receipt. */
  const record = (cluster: string, signals: readonly ServingSignal[]) => {
    const at = seconds();
    for (const signal of signals) {
      const key = keyOf(signal.tenant, signal.workload);
      const list = (samples.get(key) ?? []).filter((s) => s.atSeconds > at - KEEP_SECONDS);
      list.push({ cluster, atSeconds: at, signal });
      samples.set(key, list);
    }
  };

  const passFor = async (uid: string, epoch: number): Promise<boolean> => {
    const w = await store.workloads.getByUid(uid);
    const spec = w?.manifest.spec;
    const autoscaling = spec?.autoscaling;
    if (!w || !spec || !autoscaling || !spec.serving || w.phase !== "Running") return false;
    const key = keyOf(w.tenant, w.name);
    const active = w.placements.filter((p) => p.active && p.generation === w.generation);
    // Drain-back or failover in progress: the older placements still serve; let that finish first.
    if (w.placements.some((p) => p.active && p.generation < w.generation)) return false;
    const now = seconds();
    const list = (samples.get(key) ?? []).filter((s) => s.atSeconds > now - autoscaling.stableWindowSeconds * 2);
    const ready = new Map<string, number>();
    const modelLoad = new Map<string, number>();
    for (const s of list) {
      ready.set(s.cluster, s.signal.readyReplicas);
      if (s.signal.modelLoadSeconds !== undefined) modelLoad.set(s.cluster, s.signal.modelLoadSeconds);
    }
    const { fleet, compiled } = await scheduler.snapshot();
    // Asked for maxReplicas, each verdict's fitReplicas is the room that cluster has now (capped at max).
    const asked: Workload = { ...w.manifest, spec: { ...spec, replicas: autoscaling.maxReplicas } };
    const decision = planOn(compiled, fleet.reservations, asked);
    const tiers = new Map(fleet.clusters.map((c) => [c.name, { tier: c.tier, region: c.region ?? c.name }]));
    const clusters = servingClusters(decision, tiers, active, ready, spec.resources.gpu.count, modelLoad);
    const current = active.reduce((n, p) => n + p.replicas, 0);
    const state = states.get(key) ?? initialAutoscalerState(now, current);
    const result = autoscale({
      autoscaling,
      serving: spec.serving,
      atSeconds: now,
      samples: list,
      clusters,
      rtt: deps.rtt,
      state,
    });
    if (!result.ok) {
      logger.warn({ workload: w.name, tenant: w.tenant, code: result.code }, result.message);
      return false;
    }
    const plan = result.plan;
    states.set(key, plan.state);
    const at = clock.now();
    // Never scale a service to nothing by accident: a plan with no replicas keeps one unless the spec allows zero.
    const total = plan.targets.reduce((n, t) => n + t.replicas, 0);
    if (total === 0 && autoscaling.scaleToZeroAfterSeconds === undefined) return false;
    const decisions: ScalingDecision[] = plan.changes.map((c) => ({ at: at.toISOString(), ...c }));
    const previous = w.autoscaling?.decisions ?? [];
    const status = statusOf(plan, autoscaling, clusters, [...decisions, ...previous].slice(0, KEEP_DECISIONS), at);
    const byName = new Map(active.map((p) => [p.cluster, p]));
    const verdicts = new Map(decision.clusters.map((v) => [v.cluster, v]));
    const targets: ScaleTarget[] = [];
    for (const t of plan.targets) {
      const here = byName.get(t.cluster);
      const v = verdicts.get(t.cluster);
      const gpuModel = here?.gpuModel ?? v?.gpuModel;
      targets.push({
        cluster: t.cluster,
        replicas: t.replicas,
        spot: t.kind === "spot",
        ...(gpuModel ? { gpuModel } : {}),
        pricePerGpuHour: here?.pricePerGpuHour ?? v?.pricePerGpuHour ?? 0,
        routing: routingOf(plan, t.cluster),
      });
    }
    const touched = await store.placing.scale(
      uid,
      {
        targets,
        status,
        events: plan.changes.map((c) => ({
          reason: c.to > c.from ? ("ScaledOut" as const) : ("ScaledIn" as const),
          message: c.explanation,
        })),
        at,
      },
      epoch,
    );
    for (const c of status.clusters) {
      metrics?.serviceDesired.set({ tenant: w.tenant, workload: w.name, cluster: c.cluster }, c.desired);
      metrics?.serviceReady.set({ tenant: w.tenant, workload: w.name, cluster: c.cluster }, c.ready);
    }
    for (const c of plan.changes) metrics?.scalingDecisions.inc({ direction: c.to > c.from ? "out" : "in" });
    if (plan.changes.length > 0) {
      logger.info(
        { workload: w.name, tenant: w.tenant, changes: plan.changes.map((c) => `${c.cluster} ${c.from}→${c.to}`) },
        "scaled",
      );
    }
    return (touched?.length ?? 0) > 0;
  };

  return {
    record,
    /** One autoscaling round over every running autoscaled service; nothing on a replica that does not lead. */
    async tick(): Promise<void> {
      const epoch = deps.epoch();
      // A slow round (a busy database) must not pile up behind itself.
      if (epoch === undefined || ticking) return;
      ticking = true;
      try {
        await round_(epoch);
      } finally {
        ticking = false;
      }
    },
    /** Known to this replica's bus handler; used by tests. */
    samplesOf: (tenant: string, name: string) => samples.get(keyOf(tenant, name)) ?? [],
  };

  async function round_(epoch: number): Promise<void> {
    {
      const changed = await scheduler.exclusive(async () => {
        let any = false;
        for (const w of await store.workloads.runningServices()) {
          if (!w.autoscaled) continue;
          if (await passFor(w.uid, epoch)) any = true;
        }
        return any;
      });
      if (changed) deps.onDesiredStateChanged();
      // Services gone: forget their samples and state.
      const running = new Set((await store.workloads.runningServices()).map((w) => keyOf(w.tenant, w.name)));
      for (const k of [...samples.keys(), ...states.keys()]) {
        if (!running.has(k)) {
          samples.delete(k);
          states.delete(k);
        }
      }
    }
  }
};
export type Autoscaling = ReturnType<typeof createAutoscaling>;
