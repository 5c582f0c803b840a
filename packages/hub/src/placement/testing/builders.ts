/** Small builders for placement tests and benchmarks: sensible defaults, override only what the case is about. */
import {
  API_VERSION,
  Fleet,
  FleetCluster,
  type FleetClusterInput,
  type FleetInput,
  type NodeGroupInput,
  Workload,
  type WorkloadSpecInput,
} from "@gantry/shared";

/** A node group of `count` nodes with 8 × H100 80 GiB, 96 CPU and 1 TiB each, unless overridden. */
export const aNodeGroup = (over: Partial<NodeGroupInput> = {}): NodeGroupInput => ({
  name: "gpu",
  count: 2,
  gpu: { model: "H100", count: 8, memoryGiB: 80 },
  cpu: 96,
  memoryGiB: 1024,
  ...over,
});

/** A ready cloud cluster in us-east-1 with two 8 × H100 nodes at $2/GPU-h, unless overridden. */
export const aCluster = (over: Partial<FleetClusterInput> = {}): FleetCluster =>
  FleetCluster.parse({
    name: "c1",
    tier: "cloud",
    region: "us-east-1",
    pricing: { gpuHour: { H100: 2, A100: 1.5, L4: 0.5 }, egressPerGB: 0.05 },
    nodes: [aNodeGroup()],
    ...over,
  });

export const aFleet = (clusters: FleetCluster[], more: Omit<FleetInput, "clusters"> = {}): Fleet =>
  Fleet.parse({ ...more, clusters });

/** A job of one replica × 1 GPU (any model), unless overridden. */
export const aWorkload = (spec: Partial<WorkloadSpecInput> = {}, name = "w1"): Workload =>
  Workload.parse({
    apiVersion: API_VERSION,
    kind: "Workload",
    metadata: { name },
    spec: { type: "job", replicas: 1, resources: { gpu: { count: 1 } }, ...spec },
  });
