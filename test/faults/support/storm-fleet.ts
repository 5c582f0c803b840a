import { Fleet } from "@gantry/shared";

/** The storm's clusters, as the test registers them and the agents simulate them. */
export const stormFleet = (n: number, p: string) =>
  Fleet.parse({
    clusters: Array.from({ length: n }, (_, i) => ({
      name: `${p}-${i}`,
      tier: "cloud",
      provider: "storm",
      region: "us-west-2",
      pricing: { gpuHour: { A100: 9 }, egressPerGB: 0 },
      nodes: [{ name: "a100", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 96, memoryGiB: 1024 }],
    })),
    datasets: [],
  });
