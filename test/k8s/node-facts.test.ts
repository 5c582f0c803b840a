import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createKubernetesDriver,
  type KubernetesDriver,
  type NodeGpuFacts,
} from "../../packages/agent/src/drivers/kubernetes/index.ts";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver.ts";
import type { Obj } from "./fake-store.ts";
import { aGpuNode } from "./fixtures.ts";
import { aCluster, aJobManifest, aPlacement, memoryLogger } from "./support/driver-fixtures.ts";

const LEASES = "coordination.k8s.io/v1/leases";
const H100: NodeGpuFacts = { product: "NVIDIA-H100-80GB-HBM3", count: 8, memoryMiB: 81559 };

let api: FakeApiServer;
const drivers: KubernetesDriver[] = [];

/** One agent pod of the DaemonSet: on `node`, reading `facts` where nvidia-smi would. */
const agentPod = async (node: string, facts: NodeGpuFacts | undefined, now: () => number = Date.now) => {
  const d = createKubernetesDriver({
    kubeConfig: api.kubeConfig(),
    cluster: aCluster(),
    logger: memoryLogger(),
    now,
    leaderElection: {
      namespace: "gantry-system",
      identity: `gantry-agent-${node}`,
      nodeName: node,
      leaseDurationSeconds: 2,
      renewIntervalMs: 250,
      nodeFacts: { read: () => Promise.resolve(facts), intervalMs: 1000 },
    },
  });
  drivers.push(d);
  await d.start();
  return d;
};

const until = async (check: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

const gpuOf = (d: KubernetesDriver, node: string) => d.capacity().nodes.find((n) => n.name === node)?.gpu;

beforeEach(async () => {
  api = await startFakeApiServer({ bookmarkIntervalMs: 100, extraResources: [] });
  api.store.put("v1/namespaces", { metadata: { name: "gantry-system" } });
  // A node with GPU feature discovery, and one where only the device plugin runs (no product or memory label).
  api.store.put("v1/nodes", aGpuNode({ name: "a100-1" }));
  api.store.put("v1/nodes", aGpuNode({ name: "bare-1", gfd: false }));
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  await api.close();
});

describe("per-node facts in DaemonSet mode", () => {
  it("keeps each pod's node facts on its own Lease, labelled for the leader to watch", async () => {
    await agentPod("bare-1", H100);
    const lease = api.store.get(LEASES, "gantry-system", "gantry-node-bare-1") as Obj & {
      spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
    };
    expect(lease.metadata.labels).toEqual({ "gantry.dev/node-facts": "true" });
    expect(lease.metadata.annotations).toEqual({
      "gantry.dev/gpu.product": "NVIDIA-H100-80GB-HBM3",
      "gantry.dev/gpu.count": "8",
      "gantry.dev/gpu.memory": "81559",
    });
    expect(lease.spec.holderIdentity).toBe("gantry-agent-bare-1");
    expect(lease.spec.leaseDurationSeconds).toBe(3);
    // A node whose pod sees no GPU (nvidia-smi missing) keeps no Lease.
    await agentPod("a100-1", undefined);
    expect(api.store.get(LEASES, "gantry-system", "gantry-node-a100-1")).toBeUndefined();
  });

  it("fills in the model and memory GPU feature discovery left out, and keeps the labelled node's own", async () => {
    const leader = await agentPod("a100-1", undefined);
    expect(leader.leadership?.isLeader()).toBe(true);
    // Before the bare node's pod reports, the node's GPUs are counted but nameless.
    expect(gpuOf(leader, "bare-1")).toEqual({ model: "unknown", count: 8, memoryGiB: 0 });
    await agentPod("bare-1", H100);
    await until(() => gpuOf(leader, "bare-1")?.model === "H100");
    expect(gpuOf(leader, "bare-1")).toEqual({ model: "H100", count: 8, memoryGiB: 79.65 });
    expect(gpuOf(leader, "a100-1")).toEqual({ model: "A100", count: 8, memoryGiB: 80 });
  });

  it("steers a placement to facts-only nodes by name, and to labelled nodes by product", async () => {
    api.store.put("v1/nodes", aGpuNode({ name: "h100-gfd", product: "NVIDIA-H100-80GB-HBM3" }));
    api.store.put("v1/namespaces", { metadata: { name: "gantry-vision" } });
    const leader = await agentPod("a100-1", undefined);
    await agentPod("bare-1", H100);
    await until(() => gpuOf(leader, "bare-1")?.model === "H100");
    await leader.reconcile([aPlacement({ workload: "llm", gpuModel: "H100", template: [aJobManifest("llm")] })]);
    const job = api.store.get("batch/v1/jobs", "gantry-vision", "llm") as Obj & {
      spec: { template: { spec: { affinity: unknown } } };
    };
    expect(job.spec.template.spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: "nvidia.com/gpu.product", operator: "In", values: ["NVIDIA-H100-80GB-HBM3"] }],
            },
            { matchFields: [{ key: "metadata.name", operator: "In", values: ["bare-1"] }] },
          ],
        },
      },
    });
  });

  it("forgets a node's facts once its Lease lapses (its agent pod is gone)", async () => {
    let clock = Date.now();
    const leader = await agentPod("a100-1", undefined, () => clock);
    const bare = await agentPod("bare-1", H100, () => clock);
    await until(() => gpuOf(leader, "bare-1")?.model === "H100");
    await bare.close();
    drivers.splice(drivers.indexOf(bare), 1);
    clock += 4000; // past the Lease's 3 s
    expect(gpuOf(leader, "bare-1")).toEqual({ model: "unknown", count: 8, memoryGiB: 0 });
  });
});
