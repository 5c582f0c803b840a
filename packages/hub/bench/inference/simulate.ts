/**
 * One replay of the day: every tick (a heartbeat, 5 s of simulated time) each cluster's agent steps the load model
 * and reports a `ServingSignal`; the hub runs one autoscaling pass on the signals and the fleet; its targets are
 * applied at once (new replicas serve after their cluster's cold start) and its endpoint weights route the next
 * tick's traffic. Spot replicas are reclaimed at random (seeded). Everything is in-process and deterministic.
 */
import { performance } from "node:perf_hooks";
import { load } from "@gantry/agent";
import type { AutoscalingSpec } from "@gantry/shared";
import {
  type AutoscalerState,
  autoscale,
  type CapacityKind,
  type EndpointWeights,
  initialAutoscalerState,
  rttMs,
  type ServingCluster,
  type SignalSample,
} from "../../src/autoscaler/index.ts";
import { RTT, type Scenario, type SimCluster, SPOT_MEAN_LIFETIME_SECONDS } from "./scenario.ts";

export interface RunOptions {
  label: string;
  fleet: SimCluster[];
  scenario: Scenario;
  autoscaling: AutoscalingSpec;
  seed: number;
  tickSeconds: number;
  /** Simulated seconds measured (a day), after `warmupSeconds` not counted. */
  durationSeconds: number;
  warmupSeconds: number;
}

export interface RegionSlo {
  minutes: number;
  met: number;
  attainment: number;
}

export interface RunResult {
  label: string;
  costUsd: number;
  replicaHours: number;
  peakReplicas: number;
  /** Most replicas each cluster held at once. */
  peakByCluster: Record<string, number>;
  slo: Record<string, RegionSlo>;
  /** Share of all requests over the SLO. */
  slowShare: number;
  /** Seconds from the spike's start to the first replica a panicking pass placed, plus that pass's wall time. */
  reactionSeconds: number | undefined;
  reactionPassMs: number | undefined;
  /** The first explanations of that pass. */
  spikeExplanations: string[];
  /** The first scale-in explanations after the surge. */
  scaleInExplanations: string[];
  /** A (cluster, capacity) count raised and then lowered within one stable window. */
  oscillations: number;
  oscillationLog: string[];
  /** Measured minutes a region missed its SLO, with what the fleet looked like. */
  missedMinutes: string[];
  preemptions: number;
  passes: number;
  passMedianMs: number;
  passP99Ms: number;
  /** Share of replica-hours on each capacity kind. */
  hoursByKind: Record<CapacityKind, number>;
}

/** mulberry32: a small seeded PRNG, so preemptions are the same in every run with one seed. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

interface Replica {
  readyAt: number;
  /** Set when the provider has given notice: the replica serves until then, and the autoscaler replaces it. */
  reclaimAt?: number;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

/** Replay the scenario's trace on `fleet` with the autoscaler in the loop. */
export const simulate = (o: RunOptions): RunResult => {
  const { scenario, autoscaling: spec, tickSeconds: dt } = o;
  const slo = scenario.serving.latencySloMs;
  const random = prng(o.seed);
  const running = new Map<string, Replica[]>(); // key cluster/kind
  const key = (c: string, k: CapacityKind) => `${c}/${k}`;
  for (const c of o.fleet) for (const off of c.offers) running.set(key(c.name, off.kind), []);
  const loadState = new Map<string, load.ServiceLoadState>(o.fleet.map((c) => [c.name, load.initialServiceLoad]));
  let weights: EndpointWeights = {};
  let state: AutoscalerState = initialAutoscalerState(0);
  let samples: SignalSample[] = [];
  const lastRaise = new Map<string, number>();
  const spikeAt = scenario.trace.kind === "diurnal" ? scenario.trace.spikes[0]?.atSeconds : undefined;
  const r: RunResult = {
    label: o.label,
    costUsd: 0,
    replicaHours: 0,
    peakReplicas: 0,
    peakByCluster: {},
    slo: {},
    slowShare: 0,
    reactionSeconds: undefined,
    reactionPassMs: undefined,
    spikeExplanations: [],
    scaleInExplanations: [],
    oscillations: 0,
    oscillationLog: [],
    missedMinutes: [],
    preemptions: 0,
    passes: 0,
    passMedianMs: 0,
    passP99Ms: 0,
    hoursByKind: { owned: 0, onDemand: 0, spot: 0 },
  };
  const passMs: number[] = [];
  let minute = -1;
  let minuteSlow: Record<string, number> = {};
  let minuteTotal: Record<string, number> = {};
  let slowAll = 0;
  let totalAll = 0;
  const closeMinute = () => {
    for (const region of Object.keys(RTT)) {
      r.slo[region] ??= { minutes: 0, met: 0, attainment: 0 };
      const s = r.slo[region];
      s.minutes += 1;
      const total = minuteTotal[region] ?? 0;
      // p95 under target ⇔ at most 5 % of the minute's requests slower than it; an idle minute is met.
      if (total === 0 || (minuteSlow[region] ?? 0) / total <= 0.05) s.met += 1;
      else
        r.missedMinutes.push(
          `${region} minute ${minute}: ${((100 * (minuteSlow[region] ?? 0)) / total).toFixed(1)}% slow`,
        );
    }
    minuteSlow = {};
    minuteTotal = {};
  };
  const end = o.warmupSeconds + o.durationSeconds;
  for (let t = 0; t < end; t += dt) {
    const measured = t >= o.warmupSeconds;
    // Spot reclaims: each spot replica independently, at the mean lifetime's rate, after the provider's notice.
    for (const c of o.fleet) {
      const spot = running.get(key(c.name, "spot"));
      if (!spot) continue;
      for (const x of spot) {
        if (x.reclaimAt === undefined && random() < dt / SPOT_MEAN_LIFETIME_SECONDS) {
          x.reclaimAt = t + (c.spotNoticeSeconds ?? 0);
          if (measured) r.preemptions += 1;
        }
      }
      running.set(
        key(c.name, "spot"),
        spot.filter((x) => x.reclaimAt === undefined || x.reclaimAt > t),
      );
    }
    const demand = load.demandAt(scenario.trace, t);
    if (measured && Math.floor((t - o.warmupSeconds) / 60) !== minute) {
      if (minute >= 0) closeMinute();
      minute = Math.floor((t - o.warmupSeconds) / 60);
    }
    const routedShare: Record<string, number> = {};
    for (const c of o.fleet) {
      const replicas = c.offers.flatMap((off) => running.get(key(c.name, off.kind)) ?? []);
      const ready = replicas.filter((x) => x.readyAt <= t).length;
      const arrivals = load.arrivalsFor(demand, weights, c.name);
      const step = load.stepServiceLoad(loadState.get(c.name)!, {
        atSeconds: t,
        arrivals,
        readyReplicas: ready,
        model: { ...scenario.model, coldStartSeconds: c.coldStartSeconds },
      });
      loadState.set(c.name, step.state);
      for (const [region, x] of Object.entries(arrivals)) {
        routedShare[region] = (routedShare[region] ?? 0) + x;
        const budget = (slo - (rttMs(RTT, region, c.region) ?? Number.POSITIVE_INFINITY)) / 1000;
        const slow = x * load.shareSlowerThan(step.latency, budget);
        if (measured) {
          minuteSlow[region] = (minuteSlow[region] ?? 0) + slow;
          minuteTotal[region] = (minuteTotal[region] ?? 0) + x;
          slowAll += slow;
          totalAll += x;
        }
      }
      if (replicas.length > 0 || Object.keys(arrivals).length > 0) {
        const id = {
          tenant: scenario.workload.metadata.tenant,
          workload: scenario.workload.metadata.name,
          generation: 1,
          replicas: replicas.length,
          readyReplicas: ready,
          modelLoadSeconds: c.coldStartSeconds,
        };
        samples.push({ cluster: c.name, atSeconds: t, signal: load.servingSignalOf(id, step.figures, dt) });
      }
    }
    // Demand no weight routes (before the first plan, or to a cluster that is gone) is lost: all of it slow.
    for (const [region, x] of Object.entries(demand)) {
      const lost = Math.max(0, x - (routedShare[region] ?? 0));
      if (measured && lost > 1e-9) {
        minuteSlow[region] = (minuteSlow[region] ?? 0) + lost;
        minuteTotal[region] = (minuteTotal[region] ?? 0) + lost;
        slowAll += lost;
        totalAll += lost;
      }
    }
    samples = samples.filter((s) => s.atSeconds > t - spec.stableWindowSeconds);
    // The agent reports replicas under notice as going: the autoscaler replaces them while they still serve.
    const live = (c: string, k: CapacityKind) => running.get(key(c, k))!.filter((x) => x.reclaimAt === undefined);
    const clusters: ServingCluster[] = o.fleet.map((c) => {
      const offers = c.offers.map((off) => {
        const all = running.get(key(c.name, off.kind))!.length;
        const n = live(c.name, off.kind).length;
        return { kind: off.kind, pricePerReplicaHour: off.pricePerReplicaHour, current: n, free: off.capacity - all };
      });
      const ready = c.offers.flatMap((off) => live(c.name, off.kind)).filter((x) => x.readyAt <= t).length;
      return {
        name: c.name,
        region: c.region,
        tier: c.tier,
        offers,
        readyReplicas: ready,
        coldStartSeconds: c.coldStartSeconds,
      };
    });
    const started = performance.now();
    const result = autoscale({
      autoscaling: spec,
      serving: scenario.serving,
      atSeconds: t,
      samples,
      clusters,
      rtt: RTT,
      state,
    });
    const took = performance.now() - started;
    if (!result.ok) throw new Error(`${o.label}: ${result.message}`);
    const plan = result.plan;
    if (measured) {
      passMs.push(took);
      r.passes += 1;
    }
    state = plan.state;
    weights = plan.weights;
    for (const target of plan.targets) {
      const k = key(target.cluster, target.kind);
      const all = running.get(k)!;
      const going = all.filter((x) => x.reclaimAt !== undefined);
      const list = all.filter((x) => x.reclaimAt === undefined);
      const cold = o.fleet.find((c) => c.name === target.cluster)!.coldStartSeconds;
      if (target.replicas > list.length) {
        for (let i = list.length; i < target.replicas; i++) list.push({ readyAt: t + cold });
        lastRaise.set(k, t);
      } else if (target.replicas < list.length) {
        if (measured && t - (lastRaise.get(k) ?? Number.NEGATIVE_INFINITY) < spec.stableWindowSeconds) {
          r.oscillations += 1;
          r.oscillationLog.push(`${t}s ${k}: ${list.length} → ${target.replicas}, raised at ${lastRaise.get(k)}s`);
        }
        // Loading replicas go first: they serve nobody yet.
        list.sort((a, b) => a.readyAt - b.readyAt);
        list.length = target.replicas;
      }
      running.set(k, [...list, ...going]);
    }
    if (
      spikeAt !== undefined &&
      r.reactionSeconds === undefined &&
      t >= spikeAt &&
      plan.desired.panicking &&
      plan.changes.some((c) => c.to > c.from)
    ) {
      r.reactionSeconds = t - spikeAt + took / 1000;
      r.reactionPassMs = took;
      r.spikeExplanations = plan.changes.filter((c) => c.to > c.from).map((c) => c.explanation);
    } else if (r.reactionSeconds !== undefined && r.scaleInExplanations.length < 4) {
      r.scaleInExplanations.push(...plan.changes.filter((c) => c.to < c.from).map((c) => `${t} s: ${c.explanation}`));
    }
    if (measured) {
      let total = 0;
      for (const c of o.fleet) {
        let inCluster = 0;
        for (const off of c.offers) {
          const n = running.get(key(c.name, off.kind))!.length;
          inCluster += n;
          r.costUsd += (n * off.pricePerReplicaHour * dt) / 3600;
          r.hoursByKind[off.kind] += (n * dt) / 3600;
        }
        total += inCluster;
        r.peakByCluster[c.name] = Math.max(r.peakByCluster[c.name] ?? 0, inCluster);
      }
      r.replicaHours += (total * dt) / 3600;
      r.peakReplicas = Math.max(r.peakReplicas, total);
    }
  }
  closeMinute();
  for (const s of Object.values(r.slo)) s.attainment = s.met / s.minutes;
  r.slowShare = totalAll > 0 ? slowAll / totalAll : 0;
  r.passMedianMs = quantile(passMs, 0.5);
  r.passP99Ms = quantile(passMs, 0.99);
  return r;
};
