import type { FleetInput, WorkloadInput } from "@gantry/shared";

/** Three small clusters: cheap on-prem A100s, dear cloud H100s with spot, an edge site with L4s. */
export const threeClusterFleet = (): FleetInput => ({
  clusters: [
    {
      name: "onprem-a",
      tier: "onprem",
      provider: "self",
      region: "eu-central-1",
      pricing: { gpuHour: { A100: 1.0 }, egressPerGB: 0.01 },
      nodes: [{ name: "a100", count: 2, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 64, memoryGiB: 512 }],
    },
    {
      name: "cloud-b",
      tier: "cloud",
      provider: "aws",
      region: "us-east-1",
      spot: true,
      pricing: { gpuHour: { H100: 6.9, A100: 4.1 }, spotGpuHour: { H100: 2.6, A100: 1.5 }, egressPerGB: 0.09 },
      nodes: [
        { name: "p5", count: 2, gpu: { model: "H100", count: 8, memoryGiB: 80 }, cpu: 192, memoryGiB: 2048 },
        { name: "p4d", count: 2, gpu: { model: "A100", count: 8, memoryGiB: 40 }, cpu: 96, memoryGiB: 1152 },
      ],
    },
    {
      name: "edge-c",
      tier: "edge",
      provider: "self",
      region: "eu-west-3",
      pricing: { gpuHour: { L4: 0.4 }, egressPerGB: 0.02 },
      nodes: [{ name: "l4", count: 2, gpu: { model: "L4", count: 1, memoryGiB: 24 }, cpu: 16, memoryGiB: 64 }],
    },
  ],
  datasets: [{ name: "imagenet", sizeGB: 150, locations: ["onprem-a"] }],
});

export const aJob = (name: string, over: Partial<WorkloadInput["spec"]> = {}): WorkloadInput => ({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name, tenant: "team-a" },
  spec: {
    type: "job",
    replicas: 2,
    gang: true,
    durationHours: 1,
    resources: { gpu: { count: 4, models: ["A100"], minMemoryGiB: 40 }, cpu: 8, memoryGiB: 64 },
    data: ["imagenet"],
    template: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
    },
    ...over,
  },
});

export const aService = (name: string, over: Partial<WorkloadInput["spec"]> = {}): WorkloadInput => ({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name, tenant: "team-b" },
  spec: {
    type: "service",
    replicas: 2,
    resources: { gpu: { count: 1, models: ["L4"], minMemoryGiB: 16 }, cpu: 2, memoryGiB: 8 },
    template: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "busybox" }] } },
      },
    },
    ...over,
  },
});
