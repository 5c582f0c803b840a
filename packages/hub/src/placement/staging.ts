/**
 * The staging plan of a decision: for each cluster it places replicas on, the data it lacks and how it should come
 * in — the link the engine priced (its `bestCopy`), and for a sharded dataset read by a split workload, only the
 * shards those replicas read. Pure: the same snapshot and decision give the same plan.
 */
import { type Dataset, type Decision, type StagingItem, shardsFor, type Workload } from "@gantry/shared";
import { bestCopy, gbFor } from "./charges/data.ts";
import { compileRequest } from "./request.ts";
import type { FleetSnapshot } from "./snapshot.ts";

export const stagingPlan = (
  snap: FleetSnapshot,
  datasets: readonly Dataset[],
  workload: Workload,
  decision: Decision,
): Map<string, StagingItem[]> => {
  const out = new Map<string, StagingItem[]>();
  if (!decision.feasible || workload.spec.data.length === 0) return out;
  const req = compileRequest(snap, workload);
  const meta = new Map(datasets.map((d) => [d.name, d]));
  const split = decision.assignments.length > 1 && !req.gang;
  let offset = 0;
  for (const a of decision.assignments) {
    const index = snap.indexByName.get(a.cluster);
    const items: StagingItem[] = [];
    if (index !== undefined) {
      const held = a.replicas * req.gpus * a.pricePerGpuHour;
      for (const d of req.data) {
        if (d.holds[index] === 1) continue;
        const m = meta.get(d.name);
        const sharded = d.shards !== undefined && split;
        const gb = sharded ? gbFor(d, req, a.replicas) : d.sizeGB;
        const copy = bestCopy(snap, index, d, held, gb);
        items.push({
          dataset: d.name,
          sizeGB: Math.round(gb * 1000) / 1000,
          gbps: copy.gbps,
          ...(sharded && d.shards !== undefined
            ? { shards: shardsFor(d.shards, req.replicas, offset, a.replicas) }
            : {}),
          ...(m?.source ? { source: m.source } : {}),
          ...(m?.mover ? { mover: m.mover } : {}),
        });
      }
    }
    if (items.length > 0) out.set(a.cluster, items);
    offset += a.replicas;
  }
  return out;
};
