import type { ClusterHealth } from "@gantry/shared";

export interface HealthThresholds {
  /** No heartbeat for this long: `unknown` (the engine stops placing there). */
  unknownAfterMs: number;
  /** No heartbeat for this long: `offline`. */
  offlineAfterMs: number;
}

/** A cluster's health from the age of its last heartbeat. Never heard from: unknown. */
export const healthOf = (lastSeenAt: Date | null, now: Date, t: HealthThresholds): ClusterHealth => {
  if (!lastSeenAt) return "unknown";
  const age = now.getTime() - lastSeenAt.getTime();
  if (age <= t.unknownAfterMs) return "ready";
  if (age <= t.offlineAfterMs) return "unknown";
  return "offline";
};
