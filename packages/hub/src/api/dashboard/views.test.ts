import { describe, expect, it } from "vitest";

/** The console's modules are plain browser JavaScript without declarations: typed here by what the test reads. */
interface Views {
  capacityKind: (kind: unknown) => string;
  clusterReplicasText: (autoscaling: unknown) => string;
  scalingText: (autoscaling: unknown) => string;
}
const views = (await import(new URL("./views.js", import.meta.url).href)) as Views;

const autoscaling = {
  desiredReplicas: 13,
  readyReplicas: 15,
  mode: "panic",
  clusters: [
    { cluster: "edge-paris", kind: "owned", desired: 3, current: 3, ready: 3, pricePerReplicaHour: 0.2 },
    { cluster: "gcp-europe-west4", kind: "spot", desired: 10, current: 12, ready: 12, pricePerReplicaHour: 0.3 },
  ],
};

describe("a service's scaling in the workloads table", () => {
  it("lists ready of desired replicas per cluster, in the status's order", () => {
    expect(views.clusterReplicasText(autoscaling)).toBe("edge-paris 3/3, gcp-europe-west4 12/10");
  });

  it("sums ready of desired with the autoscaler's mode", () => {
    expect(views.scalingText(autoscaling)).toBe("15/13 ready, panic");
  });

  it("reads an older hub's or a partial status without throwing", () => {
    expect(views.clusterReplicasText(undefined)).toBe("");
    expect(views.clusterReplicasText({ clusters: [{ cluster: "a" }, null] })).toBe("a 0/0");
    expect(views.scalingText({})).toBe("0/0 ready, –");
  });

  it("names each way a replica is paid for, and passes an unknown one through", () => {
    expect(["owned", "onDemand", "spot", "reserved"].map(views.capacityKind)).toEqual([
      "owned",
      "on-demand",
      "spot",
      "reserved",
    ]);
  });
});
