/**
 * The decision-quality instance, and an independent model of its rules (eligibility, price, node capacity) and of
 * its expected cost (compute, egress, staging, spot risk) that the MILP and the violation checks use. It
 * re-implements them from the contract and the documented cost model (README, "Placement in dollars") rather than
 * calling the engine, so an engine bug shows up as a violation or a cost gap instead of being copied into the
 * optimum.
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

/** The documented defaults (README), restated here rather than imported from the engine. */
const DEFAULT_GBPS = 10;
const DEFAULT_PREEMPTIONS = 0.05;
const DEFAULT_CHECKPOINT_MINUTES = 60;

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

/**
 * What the dollar model adds to a cluster: its data link and, in the cloud, how often spot nodes are preempted.
 * Drawn from a second stream, so tiers, prices, nodes and workloads are the instance the earlier figures used.
 */
const withNetworkAndRisk = (r: Rand, c: FleetClusterInput): FleetClusterInput => {
  const bandwidthGbps =
    c.tier === "cloud" ? pick(r, [10, 25, 50]) : c.tier === "onprem" ? pick(r, [10, 40]) : pick(r, [1, 2.5]);
  if (c.tier !== "cloud") return { ...c, bandwidthGbps };
  const spotPreemptionsPerHour = { "*": pick(r, [0.02, 0.05, 0.1, 0.2]), H100: pick(r, [0.05, 0.1, 0.3]) };
  return { ...c, bandwidthGbps, spotPreemptionsPerHour };
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
  const extra = prng(seed * 7919 + 1);
  const drawn = Array.from({ length: clusters }, (_, i) => qualityCluster(r, i));
  const fleet = Fleet.parse({
    clusters: drawn.map((c) => withNetworkAndRisk(extra, c)),
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
    const drawnW = qualityWorkload(r, list.length);
    const checkpoint = pick(extra, [undefined, 15, 30, 60, 120]);
    const w =
      checkpoint === undefined ? drawnW : { ...drawnW, spec: { ...drawnW.spec, checkpointMinutes: checkpoint } };
    if (runnable(w)) list.push(w);
  }
  return { fleet, workloads: list };
};

const matches = (pattern: string, value: string): boolean =>
  pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : pattern === value;

const hoursOf = (w: Workload): number => w.spec.durationHours ?? 1;

/** Preemptions per hour of one spot node of `model` in `c`. */
const preemptionRate = (c: FleetCluster, model: string): number =>
  c.spotPreemptionsPerHour?.[model] ?? c.spotPreemptionsPerHour?.["*"] ?? DEFAULT_PREEMPTIONS;

/**
 * Expected rework hours of a run under preemptions at `rate`, restarting each checkpoint interval: a run of H hours
 * is ⌊H/c⌋ intervals of c hours and one of the rest; an interval of x hours takes (e^{rate·x} − 1)/rate on average.
 */
const reworkHours = (w: Workload, rate: number): number => {
  if (rate <= 0) return 0;
  const hours = hoursOf(w);
  const c = Math.min((w.spec.checkpointMinutes ?? DEFAULT_CHECKPOINT_MINUTES) / 60, hours);
  let total = 0;
  for (let left = hours; left > 1e-9; left -= c) {
    const x = Math.min(c, left);
    total += Math.expm1(rate * x) / rate - x;
  }
  return total;
};

/** The rate at which the unit that rolls back together is interrupted: the gang, or one replica. */
const unitRate = (w: Workload, c: FleetCluster, model: string): number =>
  preemptionRate(c, model) * (w.spec.gang ? w.spec.replicas : 1);

/**
 * Price per GPU-hour of `model` in `c` under the workload's spot policy and price cap; undefined if not usable.
 * `allowed` takes the lower expected price (spot counting its rework) among those within the cap.
 */
export const priceFor = (w: Workload, c: FleetCluster, model: string): { price: number; spot: boolean } | undefined => {
  const od = c.pricing.gpuHour[model];
  const policy = w.spec.placement.spot;
  const sp = policy === "never" || c.spot === false ? undefined : c.pricing.spotGpuHour[model];
  const max = w.spec.placement.maxGpuHourPrice ?? Number.POSITIVE_INFINITY;
  const options: { price: number; spot: boolean }[] = [];
  if (sp !== undefined) options.push({ price: sp, spot: true });
  if (od !== undefined) options.push({ price: od, spot: false });
  const within = options.filter((o) => o.price <= max);
  if (within.length === 0) return undefined;
  if (within.length === 1) return within[0];
  if (policy === "preferred") return within.find((o) => o.spot);
  const expected = (o: { price: number; spot: boolean }) =>
    o.spot ? o.price * (1 + reworkHours(w, unitRate(w, c, model)) / hoursOf(w)) : o.price;
  return expected(within[0]!) < expected(within[1]!) ? within[0] : within[1];
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

/**
 * Egress and staging of the workload's data into `c`, with `gpuUsdPerHour` of GPUs waiting for it: each dataset
 * from the holder with the lowest egress + staging (transfer at the slower of the two links), from outside the
 * fleet at `c`'s own egress price and link when no cluster holds it.
 */
export const dataFor = (fleet: Fleet, w: Workload, c: FleetCluster, gpuUsdPerHour: number) => {
  let egress = 0;
  let staging = 0;
  const gbps = (x: FleetCluster) => x.bandwidthGbps ?? DEFAULT_GBPS;
  for (const name of w.spec.data) {
    const d = fleet.datasets.find((x) => x.name === name);
    if (d === undefined) continue;
    const holds = (x: FleetCluster) => d.locations.some((l) => matches(l, x.name) || matches(l, x.region));
    if (holds(c)) continue;
    const holders = fleet.clusters.filter(holds);
    const sources = holders.length > 0 ? holders : [c];
    let best = { egress: 0, staging: Number.POSITIVE_INFINITY };
    for (const s of sources) {
      const e = d.sizeGB * s.pricing.egressPerGB;
      const hours = (d.sizeGB * 8) / Math.min(gbps(s), gbps(c)) / 3600;
      if (e + hours * gpuUsdPerHour < best.egress + best.staging) best = { egress: e, staging: hours * gpuUsdPerHour };
    }
    egress += best.egress;
    staging += best.staging;
  }
  return { egress, staging };
};

/** The expected cost of running all of `w` on `model` in `c`: what the bill says, and what the run really costs. */
export const costsFor = (fleet: Fleet, w: Workload, c: FleetCluster, model: string) => {
  const s = w.spec;
  const p = priceFor(w, c, model);
  const price = p?.price ?? Number.NaN;
  const gpus = s.replicas * s.resources.gpu.count;
  const compute = gpus * price * hoursOf(w);
  const { egress, staging } = dataFor(fleet, w, c, gpus * price);
  const spotRisk = p?.spot === true ? reworkHours(w, unitRate(w, c, model)) * gpus * price : 0;
  return { billed: compute + egress, expected: compute + egress + staging + spotRisk };
};

/** Expected cost (compute + egress + staging + spot risk) of running all of `w` on `model` in `c`: the objective. */
export const costFor = (fleet: Fleet, w: Workload, c: FleetCluster, model: string): number =>
  costsFor(fleet, w, c, model).expected;
