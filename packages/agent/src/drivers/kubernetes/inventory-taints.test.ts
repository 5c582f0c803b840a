import type { TaintInput } from "@gantry/shared";
import { Taint } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { Inventory } from "./inventory.ts";

/** The smallest Node the inventory accepts: ready, with `taints`. */
const aNode = (name: string, taints: { key: string; value?: string; effect: string }[]) => ({
  metadata: { name },
  spec: { taints },
  status: { allocatable: { cpu: "8", memory: "32Gi" }, conditions: [{ type: "Ready", status: "True" }] },
});

const schedulable = (clusterTaints: TaintInput[], nodeTaints: { key: string; value?: string; effect: string }[]) => {
  const inventory = new Inventory({
    now: () => 0,
    reportLabels: [],
    toleratedTaintKeys: ["nvidia.com/gpu"],
    clusterTaints: clusterTaints.map((t) => Taint.parse(t)),
    knownModels: [],
  });
  inventory.nodeSink.upsert(aNode("n1", nodeTaints));
  return inventory.report().find((n) => n.name === "n1")?.schedulable;
};

describe("node usability by taints", () => {
  it("counts a node whose hard taints are all the GPU operator's keys, whatever their value and effect", () => {
    expect(schedulable([], [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }])).toBe(true);
    expect(schedulable([], [{ key: "nvidia.com/gpu", effect: "NoExecute" }])).toBe(true);
  });

  it("ignores PreferNoSchedule taints, which do not keep pods off", () => {
    expect(schedulable([], [{ key: "maintenance", effect: "PreferNoSchedule" }])).toBe(true);
  });

  it("refuses a node with any other NoSchedule or NoExecute taint", () => {
    expect(schedulable([], [{ key: "maintenance", effect: "NoSchedule" }])).toBe(false);
    expect(schedulable([], [{ key: "maintenance", effect: "NoExecute" }])).toBe(false);
  });

  it("counts a node carrying exactly a cluster taint, by key, value and effect", () => {
    const cluster: TaintInput[] = [{ key: "dedicated", value: "ml", effect: "NoSchedule" }];
    expect(schedulable(cluster, [{ key: "dedicated", value: "ml", effect: "NoSchedule" }])).toBe(true);
    // Workloads tolerate dedicated=ml:NoSchedule, not another value or effect: such a node is not theirs.
    expect(schedulable(cluster, [{ key: "dedicated", value: "other", effect: "NoSchedule" }])).toBe(false);
    expect(schedulable(cluster, [{ key: "dedicated", value: "ml", effect: "NoExecute" }])).toBe(false);
    expect(schedulable(cluster, [{ key: "dedicated", effect: "NoSchedule" }])).toBe(false);
  });
});
