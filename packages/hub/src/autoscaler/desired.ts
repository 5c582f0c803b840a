import type { AutoscalingSpec } from "@gantry/shared";
import type { Observation } from "./observe.ts";

/**
 * How many replicas a service wants, Knative KPA style: follow the stable-window average, jump on the panic
 * window, never scale down while panicking, hold every recommendation for one stable window (so a replica added
 * is not removed within it), bounded by min/max, zero after an idle spell when the spec allows it.
 */

/** What the decision carries from one pass to the next; plain data, so the hub can store it. */
export interface ScaleState {
  /** Recommendations of the passes within the last stable window, oldest first. */
  recent: { atSeconds: number; replicas: number }[];
  /** Last time the panic-window demand was over the threshold; panic lasts one stable window past it. */
  panicSince?: number;
  /** Last time a request arrived or was in flight. */
  lastActiveAt: number;
  /** The previous decision. */
  replicas: number;
}

/** The state of a service created (or first seen) at `atSeconds`: active now, no history. */
export const initialScaleState = (atSeconds: number, replicas = 0): ScaleState => ({
  recent: [],
  lastActiveAt: atSeconds,
  replicas,
});

export type ScaleMode = "stable" | "panic" | "held" | "idle";

export interface DesiredReplicas {
  replicas: number;
  /** This pass's recommendation before the hold. */
  recommended: number;
  mode: ScaleMode;
  panicking: boolean;
  /** One sentence: the figures behind the number. */
  reason: string;
  state: ScaleState;
}

/** Replicas for `value` at `target` each; tolerates float noise just above a whole number. */
const replicasFor = (value: number, target: number): number => Math.max(0, Math.ceil(value / target - 1e-9));

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));

/** Decide one service's replica count at `atSeconds` from its observation and the previous state. */
export const desiredReplicas = (
  spec: AutoscalingSpec,
  observation: Observation,
  state: ScaleState,
  atSeconds: number,
): DesiredReplicas => {
  const { target, stableWindowSeconds: stableW, panicWindowSeconds: panicW } = spec;
  const ready = observation.readyReplicas;
  const latency = observation.metric === "p95LatencyMs";
  // A latency target is not additive: scale the ready replicas by how far the observed p95 is from it.
  const want = (v: number) => (latency ? replicasFor(Math.max(ready, 1) * v, target) : replicasFor(v, target));
  const stableWant = want(observation.stable);
  const panicWant = want(observation.panic);
  const capacity = latency ? target : ready * target;
  const over = observation.panic > 0 && (capacity === 0 || observation.panic >= spec.panicThreshold * capacity);

  const panicSince = over ? atSeconds : state.panicSince;
  const panicking = panicSince !== undefined && atSeconds - panicSince < stableW;
  const lastActiveAt = observation.active ? atSeconds : state.lastActiveAt;
  const idleFor = atSeconds - lastActiveAt;
  const toZero = spec.scaleToZeroAfterSeconds !== undefined && idleFor >= spec.scaleToZeroAfterSeconds;
  const floor = toZero ? 0 : spec.minReplicas;

  const raw = panicking ? Math.max(panicWant, stableWant, state.replicas) : stableWant;
  const recommended = Math.min(Math.max(raw, floor), spec.maxReplicas);
  const recent = [
    ...state.recent.filter((r) => r.atSeconds > atSeconds - stableW),
    { atSeconds, replicas: recommended },
  ];
  const held = Math.min(Math.max(...recent.map((r) => r.replicas)), spec.maxReplicas);

  const m = observation.metric;
  let mode: ScaleMode;
  let reason: string;
  if (panicking) {
    mode = "panic";
    reason = over
      ? `panic: ${m} ${fmt(observation.panic)} over the last ${panicW} s is ≥ ${spec.panicThreshold}× what ${ready} ready replicas handle at ${target} each; ${panicWant} wanted at once`
      : `panic (${fmt(atSeconds - panicSince!)} s since demand was ≥ ${spec.panicThreshold}× capacity): never scale down while panicking`;
  } else if (held > recommended) {
    mode = "held";
    reason = `held at ${held}: that many were wanted within the last ${stableW} s; ${recommended} would do now (${m} ${fmt(observation.stable)} at ${target} each)`;
  } else if (toZero && recommended === 0) {
    mode = "idle";
    reason = `idle ${fmt(idleFor)} s ≥ scaleToZeroAfterSeconds ${spec.scaleToZeroAfterSeconds}: scale to zero`;
  } else {
    mode = "stable";
    reason = `${m} ${fmt(observation.stable)} averaged over ${stableW} s at ${target} per replica: ${stableWant}`;
    if (recommended !== stableWant) reason += `, bounded to ${recommended} (min ${floor}, max ${spec.maxReplicas})`;
  }
  const next: ScaleState = {
    recent,
    lastActiveAt,
    replicas: held,
    ...(panicSince === undefined ? {} : { panicSince }),
  };
  return { replicas: held, recommended, mode, panicking, reason, state: next };
};
