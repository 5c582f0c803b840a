import type { PlacementPhase, PlacementStatus } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import { aggregatePhase } from "./phase.ts";

const aStatus = (phase: PlacementPhase, over: Partial<PlacementStatus> = {}): PlacementStatus => ({
  workload: "w",
  generation: 1,
  phase,
  replicas: 2,
  readyReplicas: phase === "Running" ? 2 : 0,
  message: "",
  events: [],
  ...over,
});

describe("aggregatePhase", () => {
  it("is Pending when there is no placement", () => {
    expect(aggregatePhase("job", [])).toEqual({ phase: "Pending", message: "no placement" });
  });

  it("is Placed while no agent has reported yet", () => {
    expect(aggregatePhase("job", [null, null])).toEqual({
      phase: "Placed",
      message: "applied; waiting for the cluster to start it",
    });
  });

  it("is Placed with the cluster's reason while a part waits", () => {
    const pending = aStatus("Pending", { message: "Unschedulable: largest free block is 4" });
    expect(aggregatePhase("job", [pending])).toEqual({ phase: "Placed", message: pending.message });
  });

  it("fails the workload when any part fails, with that part's message", () => {
    const r = aggregatePhase("job", [aStatus("Running"), aStatus("Failed", { message: "OOMKilled" })]);
    expect(r).toEqual({ phase: "Failed", message: "OOMKilled" });
    expect(aggregatePhase("service", [aStatus("Failed")]).message).toBe("a placement failed");
  });

  it("succeeds a job only when every part has succeeded", () => {
    expect(aggregatePhase("job", [aStatus("Succeeded"), aStatus("Succeeded")])).toEqual({
      phase: "Succeeded",
      message: "all replicas completed",
    });
    expect(aggregatePhase("job", [aStatus("Succeeded"), aStatus("Running")]).phase).toBe("Running");
    expect(aggregatePhase("job", [aStatus("Succeeded"), null]).phase).toBe("Running");
  });

  it("never calls a service Succeeded", () => {
    expect(aggregatePhase("service", [aStatus("Succeeded")]).phase).toBe("Running");
  });

  it("runs once any part runs, counting ready replicas over every part", () => {
    const r = aggregatePhase("service", [aStatus("Running", { readyReplicas: 1 }), aStatus("Pending"), null]);
    expect(r).toEqual({ phase: "Running", message: "1/4 replicas ready" });
  });
});
