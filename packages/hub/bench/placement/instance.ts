/**
 * The decision-quality instance, and an independent model of its rules (eligibility, price, egress, node capacity)
 * that the MILP and the violation checks use. It re-implements the rules from the contract rather than calling the
 * engine, so an engine bug shows up as a violation or a cost gap instead of being copied into the optimum.
 */
import { Fleet, type FleetCluster, type FleetClusterInput, type Workload } from "@gantry/shared";
import { int, pick, prng, type Rand, workload } from "./generate.ts";

/** Every node has 8 GPUs and starts empty; workloads ask 1, 2, 4 or 8 GPUs per replica. */
export const GPUS_PER_NODE = 8;

export interface QualityInstance {
  fleet: Fleet;
  workloads: Workload[];
}

const PRICES = { H100: 6.9, A100: 4.1, L4: 0.85 } as const;
type QModel = keyof typeof PRICES;
const cents = (n: number) => Math.round(n * 100) / 100;

const qualityCluster = (r: Rand, i: number): FleetClusterInput => {
  const tier = r() < 0.5 ? "cloud" : r() < 0.6 ? "onprem" : "edge";
  const models: QModel[] = tier === "edge" ? ["L4"] : tier === "onprem" ? ["H100", "A100"] : ["H100", "A100", "L4"];
  const chosen = models.filter(() => r() < 0.6);
  if (chosen.length === 0) chosen.push(pick(r, models));
  const gpuHour: Record<string, number> = {};
  const spotGpuHour: Record<string, number> = {};
  for (const m of chosen) {
    const f = tier === "onprem" ? 0.3 + 0.2 * r() : tier === "edge" ? 0.6 + 0.3 * r() : 0.8 + 0.5 * r();
    gpuHour[m] = cents(PRICES[m] * f);
    if (tier === "cloud") spotGpuHour[m] = cents(PRICES[m] * f * (0.3 + 0.3 * r()));
  }
  return {
    name: `${tier}-${i}`,
    tier,
    region: pick(r, ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]),
    spot: tier === "cloud",
    taints: r() < 0.15 ? [{ key: "dedicated", value: "ml", effect: "NoSchedule" }] : [],
    pricing: { gpuHour, spotGpuHour, egressPerGB: tier === "cloud" ? cents(0.05 + 0.07 * r()) : 0.02 },
    nodes: chosen.map((m) => ({
      name: m.toLowerCase(),
      count: int(r, 2, 5),
      gpu: { model: m, count: GPUS_PER_NODE, memoryGiB: m === "L4" ? 24 : 80 },
      cpu: 128,
      memoryGiB: 1024,
    })),
  };
};

const qualityWorkload = (r: Rand, i: number): Workload => {
  const gpus = pick(r, [1, 2, 4, 8]);
  const replicas = pick(r, [1, 1, 2, 3]);
  const models = pick(r, [[], [], ["H100"], ["A100", "H100"], ["L4"], ["A100"]]);
  return workload(`w${i}`, {
    replicas,
    gang: replicas > 1,
    durationHours: int(r, 1, 12),
    // CPU and memory scale with GPUs and never exceed a node's share, so GPUs are the binding resource.
    resources: { gpu: { count: gpus, models }, cpu: 8 * gpus, memoryGiB: 64 * gpus },
    data: r() < 0.3 ? [pick(r, ["logs", "images", "corpus"])] : [],
    placement: {
      tiers: pick(r, [[], [], [], ["onprem", "cloud"], ["cloud"]]),
      regions: r() < 0.2 ? ["eu-*"] : [],
      spot: pick(r, ["never", "never", "allowed", "allowed", "preferred"]),
      maxGpuHourPrice: r() < 0.2 ? cents(1 + 4 * r()) : undefined,
      tolerations: r() < 0.2 ? [{ key: "dedicated", operator: "Exists" as const }] : [],
    },
  });
};

/** 50 clusters and 200 workloads, seeded; demand is well under capacity so the optimum places every workload. */
export const qualityInstance = (seed = 7, clusters = 50, workloads = 200): QualityInstance => {
  const r = prng(seed);
  const fleet = Fleet.parse({
    clusters: Array.from({ length: clusters }, (_, i) => qualityCluster(r, i)),
    datasets: [
      { name: "logs", sizeGB: 400, locations: ["eu-*"] },
      { name: "images", sizeGB: 1500, locations: ["us-east-1", "onprem-3"] },
      { name: "corpus", sizeGB: 6000, locations: ["us-west-2"] },
    ],
  });
  // A workload no cluster could ever run says nothing about placement quality: draw again (still seeded).
  const runnable = (w: Workload) =>
    fleet.clusters.some((c) => c.nodes.some((g) => g.gpu !== undefined && eligible(w, c, g.gpu.model)));
  const list: Workload[] = [];
  while (list.length < workloads) {
    const w = qualityWorkload(r, list.length);
    if (runnable(w)) list.push(w);
  }
  return { fleet, workloads: list };
};

const matches = (pattern: string, value: string): boolean =>
  pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : pattern === value;

/** Price per GPU-hour of `model` in `c` under the workload's spot policy and price cap; undefined if not usable. */
export const priceFor = (w: Workload, c: FleetCluster, model: string): { price: number; spot: boolean } | undefined => {
  const od = c.pricing.gpuHour[model];
  const policy = w.spec.placement.spot;
  const sp = policy === "never" || c.spot === false ? undefined : c.pricing.spotGpuHour[model];
  let chosen: { price: number; spot: boolean } | undefined;
  if (sp !== undefined && (od === undefined || policy === "preferred" || sp < od)) chosen = { price: sp, spot: true };
  else if (od !== undefined) chosen = { price: od, spot: false };
  const max = w.spec.placement.maxGpuHourPrice;
  return chosen === undefined || (max !== undefined && chosen.price > max) ? undefined : chosen;
};

/** Whether `w` may run on `model` in `c` by every rule except capacity. */
export const eligible = (w: Workload, c: FleetCluster, model: string): boolean => {
  const p = w.spec.placement;
  const gpu = w.spec.resources.gpu;
  if (c.health !== "ready") return false;
  if (p.tiers.length > 0 && !p.tiers.includes(c.tier)) return false;
  if (p.regions.length > 0 && !p.regions.some((g) => matches(g, c.region))) return false;
  for (const t of c.taints) {
    if (t.effect !== "PreferNoSchedule" && !p.tolerations.some((x) => x.key === t.key)) return false;
  }
  if (gpu.models.length > 0 && !gpu.models.includes(model)) return false;
  const group = c.nodes.find((g) => g.gpu?.model === model);
  if (group?.gpu === undefined || group.gpu.memoryGiB < gpu.minMemoryGiB) return false;
  return priceFor(w, c, model) !== undefined;
};

/** USD to copy the workload's data into `c`, by the contract's rule (cheapest source, else `c`'s own price). */
export const egressFor = (fleet: Fleet, w: Workload, c: FleetCluster): number => {
  let usd = 0;
  for (const name of w.spec.data) {
    const d = fleet.datasets.find((x) => x.name === name);
    if (d === undefined) continue;
    const holds = (x: FleetCluster) => d.locations.some((l) => matches(l, x.name) || matches(l, x.region));
    if (holds(c)) continue;
    const sources = fleet.clusters.filter(holds).map((x) => x.pricing.egressPerGB);
    usd += d.sizeGB * (sources.length > 0 ? Math.min(...sources) : c.pricing.egressPerGB);
  }
  return usd;
};

/** Total cost of running all of `w` on `model` in `c`. */
export const costFor = (fleet: Fleet, w: Workload, c: FleetCluster, model: string): number => {
  const s = w.spec;
  const price = priceFor(w, c, model)?.price ?? Number.NaN;
  return s.replicas * s.resources.gpu.count * price * (s.durationHours ?? 1) + egressFor(fleet, w, c);
};
