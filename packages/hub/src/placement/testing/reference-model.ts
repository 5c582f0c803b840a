/**
 * An independent oracle for placement decisions, written from the documented rules and the raw fleet, apart from
 * the engine: no snapshot, no compiled request, no `reservationsFor`, no shared taint helper. It books each
 * decision's own assignments (replicas per node × the workload's per-replica GPUs, CPU and memory) against what each
 * node had free, so a reservation that under-counts shows up as a node booked twice, and it judges every constraint
 * again (health, tier, region, GPU model and memory, price cap, spot, taints with Kubernetes' semantics) and the
 * billed cost. Deliberately plain: loops over the fleet as parsed.
 */
import type { Decision, Fleet, FleetCluster, NodeGroup, Taint, Toleration, Workload } from "@gantry/shared";
import { referenceRank } from "./reference.ts";

/** What a node had free before any decision, and what it is. */
export interface RefNode {
  cluster: string;
  group: NodeGroup;
  gpus: number;
  cpu: number;
  memoryGiB: number;
}

const nodeName = (g: NodeGroup, i: number): string => (g.count === 1 ? g.name : `${g.name}-${i}`);

/** Every node of the fleet by `cluster/node`, with what it has free (nothing when not ready or cordoned). */
export const referenceNodes = (fleet: Fleet): Map<string, RefNode> => {
  const out = new Map<string, RefNode>();
  for (const c of fleet.clusters)
    for (const g of c.nodes)
      for (let i = 0; i < g.count; i++) {
        const usable = g.ready && g.schedulable;
        out.set(`${c.name}/${nodeName(g, i)}`, {
          cluster: c.name,
          group: g,
          gpus: usable ? Math.max(0, (g.gpu?.count ?? 0) - g.gpusUsed) : 0,
          cpu: usable ? Math.max(0, g.cpu - g.cpuUsed) : 0,
          memoryGiB: usable ? Math.max(0, g.memoryGiB - g.memoryUsedGiB) : 0,
        });
      }
  return out;
};

/**
 * Kubernetes' `ToleratesTaint`, restated from its documentation: an effect, when given, must match; an empty key
 * (only with `Exists`) matches every key; `Exists` ignores the value and `Equal` (the default) compares it, a
 * missing value being the empty string.
 */
export const refTolerates = (t: Toleration, taint: Taint): boolean => {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  if ((t.key ?? "") === "") return t.operator === "Exists";
  if (t.key !== taint.key) return false;
  if (t.operator === "Exists") return true;
  return (t.value ?? "") === taint.value;
};

/** The `NoSchedule`/`NoExecute` taints of `taints` that none of `tolerations` tolerates (`PreferNoSchedule` never bars). */
export const refUntolerated = (tolerations: readonly Toleration[], taints: readonly Taint[]): Taint[] => {
  const out: Taint[] = [];
  for (const taint of taints) {
    if (taint.effect === "PreferNoSchedule") continue;
    let tolerated = false;
    for (const t of tolerations) if (refTolerates(t, taint)) tolerated = true;
    if (!tolerated) out.push(taint);
  }
  return out;
};

const glob = (pattern: string, s: string): boolean =>
  new RegExp(`^${pattern.replace(/[.]/g, "\\.").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(s);

/** Why `c` may never hold `w` whatever its capacity, or undefined: the cluster-level constraints. */
export const refClusterBar = (w: Workload, c: FleetCluster): string | undefined => {
  const p = w.spec.placement;
  if (c.health !== "ready") return `${c.name} is ${c.health}`;
  if (p.tiers.length > 0 && !p.tiers.includes(c.tier)) return `${c.name}: tier ${c.tier} not allowed`;
  if (p.regions.length > 0 && !p.regions.some((r) => glob(r, c.region))) return `${c.name}: region ${c.region}`;
  const [taint] = refUntolerated(p.tolerations, c.taints);
  if (taint !== undefined) return `${c.name}: untolerated taint ${taint.key}:${taint.effect}`;
  return undefined;
};

/** Whether a node of group `g` may hold a replica of `w` on `model` (undefined model: a GPU-less workload). */
const nodeServes = (w: Workload, g: NodeGroup, model: string | undefined): boolean => {
  const gpu = w.spec.resources.gpu;
  if (!g.ready || !g.schedulable) return false;
  if (gpu.count === 0) return true;
  if (g.gpu === undefined || g.gpu.model !== model) return false;
  if (gpu.models.length > 0 && !gpu.models.includes(g.gpu.model)) return false;
  return g.gpu.memoryGiB >= gpu.minMemoryGiB;
};

const cents = (x: number): number => Math.round(x * 100) / 100;

/**
 * Books decisions one after another against the fleet's free capacity, from the decisions themselves. `book` returns
 * every broken rule as a sentence (empty when the decision is sound), so a property test can show them all.
 */
export class ReferenceModel {
  readonly free: Map<string, RefNode>;

  constructor(readonly fleet: Fleet) {
    this.free = referenceNodes(fleet);
  }

  book(w: Workload, d: Decision): string[] {
    const out: string[] = [];
    const s = w.spec;
    const gpu = s.resources.gpu;
    if (!d.feasible) {
      if (d.assignments.length > 0) out.push("an infeasible decision has assignments");
      return out;
    }
    const total = d.assignments.reduce((n, a) => n + a.replicas, 0);
    if (total !== s.replicas) out.push(`assigns ${total} replicas of ${s.replicas}`);
    if (s.gang && d.assignments.length !== 1) out.push(`splits a gang over ${d.assignments.length} clusters`);
    let perHour = 0;
    let compute = 0;
    for (const a of d.assignments) {
      const c = this.fleet.clusters.find((x) => x.name === a.cluster);
      if (c === undefined) {
        out.push(`assigns to unknown cluster ${a.cluster}`);
        continue;
      }
      const bar = refClusterBar(w, c);
      if (bar !== undefined) out.push(bar);
      const model = gpu.count > 0 ? a.gpuModel : undefined;
      if (gpu.count > 0) {
        const od = model === undefined ? undefined : c.pricing.gpuHour[model];
        const sp = model === undefined || c.spot === false ? undefined : c.pricing.spotGpuHour[model];
        const listed = a.spot ? sp : od;
        if (listed === undefined || listed !== a.pricePerGpuHour)
          out.push(`${c.name}: price ${a.pricePerGpuHour} is not the listed ${a.spot ? "spot" : "on-demand"} price`);
        if (a.spot && s.placement.spot === "never") out.push(`${c.name}: spot for a never-spot workload`);
        const cap = s.placement.maxGpuHourPrice;
        if (cap !== undefined && a.pricePerGpuHour > cap) out.push(`${c.name}: ${a.pricePerGpuHour} above cap ${cap}`);
      }
      const onNodes = a.nodes.reduce((n, x) => n + x.replicas, 0);
      if (onNodes !== a.replicas) out.push(`${c.name}: ${onNodes} replicas on nodes, ${a.replicas} assigned`);
      for (const n of a.nodes) {
        const key = `${c.name}/${n.node}`;
        const node = this.free.get(key);
        if (node === undefined) {
          out.push(`no node ${key}`);
          continue;
        }
        if (!nodeServes(w, node.group, model)) out.push(`${key} cannot serve ${model ?? "a GPU-less replica"}`);
        node.gpus -= n.replicas * gpu.count;
        node.cpu -= n.replicas * s.resources.cpu;
        node.memoryGiB -= n.replicas * s.resources.memoryGiB;
        if (node.gpus < 0 || node.cpu < 0 || node.memoryGiB < 0)
          out.push(`${key} over-committed: ${node.gpus} GPUs, ${node.cpu} CPU, ${node.memoryGiB} GiB left`);
      }
      const hours = s.durationHours ?? 1;
      perHour += cents(a.replicas * gpu.count * a.pricePerGpuHour);
      compute += a.replicas * gpu.count * a.pricePerGpuHour * hours;
    }
    // Billed cost: GPUs × price per GPU-hour, each assignment to the cent (the engine sums cents, so allow one each).
    const slack = 0.01 * (d.assignments.length + 1);
    if (Math.abs(d.estimatedCost.perHour - perHour) > slack)
      out.push(`billed ${d.estimatedCost.perHour}/h, reference ${perHour}/h`);
    if (Math.abs(d.estimatedCost.compute - compute) > slack)
      out.push(`billed compute ${d.estimatedCost.compute}, reference ${compute}`);
    if (d.assignments.length === 1) {
      const a = d.assignments[0]!;
      const c = this.fleet.clusters.find((x) => x.name === a.cluster);
      if (c !== undefined) {
        const offer = { model: gpu.count > 0 ? a.gpuModel : undefined, price: a.pricePerGpuHour, spot: a.spot };
        const ref = referenceRank(this.fleet, w, c, offer, a.replicas);
        if (Math.abs(d.estimatedCost.egress - ref.egress) > slack)
          out.push(`billed egress ${d.estimatedCost.egress}, reference ${ref.egress}`);
      }
    }
    return out;
  }
}
