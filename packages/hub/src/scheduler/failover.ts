import type { Workload } from "@gantry/shared";

/** An active placement as failover needs it. */
export interface ActivePlacement {
  uid: string;
  tenant: string;
  workload: string;
  cluster: string;
  workloadPhase: string;
  manifest: Workload;
}

export interface FailoverSettings {
  now: Date;
  /** When the hub last heard the cluster (hub clock); null when never. */
  lastHeard: (cluster: string) => Date | null;
  /** Since when this hub has been listening: silence before that is not the cluster's. */
  listeningSince: Date;
  /** How long an agent may run `stop` workloads without a lease; the hub waits this plus `stopGraceMs` at least. */
  fenceAfterMs: number;
  /** Time an agent needs to actually stop what it fences. */
  stopGraceMs: number;
  /** Operator default when a workload sets no `spec.failover.afterSeconds`. */
  defaultAfterMs: number;
}

export interface FailoverAction {
  uid: string;
  tenant: string;
  workload: string;
  lost: string[];
  /** `requeue`: placed again (services, restartable jobs); `fail`: a job that must not run twice. */
  action: "requeue" | "fail";
  message: string;
}

/** How long a workload's cluster must be silent before it moves: never sooner than a fenced agent surely stopped. */
export const failoverAfterMs = (
  w: Workload,
  s: Pick<FailoverSettings, "fenceAfterMs" | "stopGraceMs" | "defaultAfterMs">,
) => Math.max((w.spec.failover?.afterSeconds ?? s.defaultAfterMs / 1000) * 1000, s.fenceAfterMs + s.stopGraceMs);

/**
 * Which workloads to move off clusters that went silent, and how. Pure: placements and timings in, actions out.
 * Silence counts from the later of the cluster's last heartbeat and when this hub started listening, so a hub that
 * was itself down (or just became leader) never mistakes its own deafness for lost clusters.
 */
export const failoverActions = (placements: readonly ActivePlacement[], s: FailoverSettings): FailoverAction[] => {
  const byUid = new Map<string, ActivePlacement[]>();
  for (const p of placements) {
    if (p.workloadPhase !== "Placed" && p.workloadPhase !== "Running" && p.workloadPhase !== "Staging") continue;
    const list = byUid.get(p.uid);
    if (list) list.push(p);
    else byUid.set(p.uid, [p]);
  }
  const out: FailoverAction[] = [];
  for (const [uid, ps] of byUid) {
    const first = ps[0]!;
    const spec = first.manifest.spec;
    const after = failoverAfterMs(first.manifest, s);
    const lost = ps
      .filter((p) => {
        const heard = s.lastHeard(p.cluster);
        const since = Math.max(heard?.getTime() ?? 0, s.listeningSince.getTime());
        return s.now.getTime() - since >= after;
      })
      .map((p) => p.cluster);
    if (lost.length === 0) continue;
    const silent = `${lost.join(", ")} silent for over ${Math.round(after / 1000)} s`;
    if (spec.type === "job" && !spec.restartable) {
      out.push({
        uid,
        tenant: first.tenant,
        workload: first.workload,
        lost,
        action: "fail",
        message: `cluster_lost: ${silent}; the job is not restartable, so it is not run again elsewhere`,
      });
    } else {
      out.push({
        uid,
        tenant: first.tenant,
        workload: first.workload,
        lost,
        action: "requeue",
        message:
          spec.type === "service"
            ? `failing over: ${silent}; re-placing its replicas there (the others keep serving)`
            : `failing over: ${silent}; restartable, so it is placed again (its agent stopped it after ${Math.round(s.fenceAfterMs / 1000)} s without the hub)`,
      });
    }
  }
  return out;
};
