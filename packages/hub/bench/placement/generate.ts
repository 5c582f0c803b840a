/** Seeded generators for benchmark fleets and workloads: the same seed gives the same instance on every machine. */
import {
  API_VERSION,
  Fleet,
  type FleetClusterInput,
  type NodeGroupInput,
  Workload,
  type WorkloadSpecInput,
} from "@gantry/shared";

/** mulberry32: tiny, fast, good enough to shuffle benchmark instances. */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export type Rand = ReturnType<typeof prng>;
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
export const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const cents = (n: number): number => Math.round(n * 100) / 100;

export const REGIONS = [
  "eu-west-1",
  "eu-central-1",
  "eu-north-1",
  "us-east-1",
  "us-east-2",
  "us-west-2",
  "ap-south-1",
  "ap-northeast-1",
] as const;

/** List price per GPU-hour by model, and memory. */
export const GPU_MODELS = {
  H100: { price: 6.9, memoryGiB: 80 },
  A100: { price: 4.1, memoryGiB: 80 },
  L4: { price: 0.85, memoryGiB: 24 },
  T4: { price: 0.4, memoryGiB: 16 },
} as const;
export type Model = keyof typeof GPU_MODELS;
const MODELS = Object.keys(GPU_MODELS) as Model[];

const tierOf = (r: Rand): "cloud" | "onprem" | "edge" => {
  const x = r();
  return x < 0.6 ? "cloud" : x < 0.85 ? "onprem" : "edge";
};

/** A mixed fleet: 60% cloud (spot, dearer), 25% on-prem (cheap, amortised), 15% edge (small GPUs). */
export const generateFleet = (clusters: number, seed: number): Fleet => {
  const r = prng(seed);
  const out: FleetClusterInput[] = [];
  for (let i = 0; i < clusters; i++) {
    const tier = tierOf(r);
    const models = tier === "edge" ? (["L4", "T4"] as Model[]) : MODELS.slice(0, 3);
    const groups: NodeGroupInput[] = [];
    const gpuHour: Record<string, number> = {};
    const spotGpuHour: Record<string, number> = {};
    const nGroups = int(r, 1, 4);
    for (let g = 0; g < nGroups; g++) {
      const model = pick(r, models);
      const perNode = tier === "edge" ? pick(r, [1, 2]) : pick(r, [4, 8, 8]);
      groups.push({
        name: `${model.toLowerCase()}-${g}`,
        count: tier === "edge" ? int(r, 1, 4) : int(r, 1, 16),
        gpu: { model, count: perNode, memoryGiB: GPU_MODELS[model].memoryGiB },
        gpusUsed: r() < 0.5 ? 0 : int(r, 0, perNode),
        cpu: 16 * perNode,
        memoryGiB: 128 * perNode,
        ready: r() > 0.02,
      });
      const factor = tier === "onprem" ? 0.3 + r() * 0.2 : tier === "edge" ? 0.6 + r() * 0.3 : 0.8 + r() * 0.5;
      gpuHour[model] = cents(GPU_MODELS[model].price * factor);
      if (tier === "cloud") spotGpuHour[model] = cents(GPU_MODELS[model].price * factor * (0.3 + r() * 0.2));
    }
    out.push({
      name: `${tier}-${i}`,
      tier,
      region: pick(r, REGIONS),
      spot: tier === "cloud",
      health: r() < 0.03 ? "offline" : "ready",
      taints: r() < 0.1 ? [{ key: "gantry.dev/dedicated", value: "team-a", effect: "NoSchedule" }] : [],
      pricing: { gpuHour, spotGpuHour, egressPerGB: tier === "cloud" ? cents(0.05 + r() * 0.07) : 0.01 },
      nodes: groups,
    });
  }
  return Fleet.parse({
    clusters: out,
    datasets: [
      { name: "corpus", sizeGB: 8000, locations: ["us-east-*"] },
      { name: "imagenet", sizeGB: 150, locations: [out[0]?.name ?? "none", "eu-central-1"] },
      { name: "tickets", sizeGB: 40, locations: ["eu-*"] },
    ],
  });
};

export const workload = (name: string, spec: Partial<WorkloadSpecInput>): Workload =>
  Workload.parse({ apiVersion: API_VERSION, kind: "Workload", metadata: { name }, spec: { type: "job", ...spec } });

/** The latency mix: a big gang with data, a spot-tolerant trainer, a regional service, a CPU-only job. */
export const latencyWorkloads = (): Workload[] => [
  workload("pretrain", {
    replicas: 4,
    gang: true,
    durationHours: 24,
    resources: { gpu: { count: 8, models: ["H100"], minMemoryGiB: 80 }, cpu: 64, memoryGiB: 512 },
    data: ["corpus"],
  }),
  workload("finetune", {
    replicas: 2,
    gang: true,
    durationHours: 3,
    resources: { gpu: { count: 4, models: ["A100", "H100"] }, cpu: 16, memoryGiB: 128 },
    data: ["imagenet"],
    placement: { spot: "allowed", tiers: ["cloud", "onprem"], maxGpuHourPrice: 5 },
  }),
  workload("chat", {
    type: "service",
    replicas: 6,
    resources: { gpu: { count: 1, models: ["L4"] }, cpu: 4, memoryGiB: 16 },
    data: ["tickets"],
    placement: {
      regions: ["eu-*"],
      tolerations: [{ key: "gantry.dev/dedicated", operator: "Exists" }],
      spot: "preferred",
    },
  }),
  workload("etl", { replicas: 3, resources: { cpu: 8, memoryGiB: 32 } }),
];
