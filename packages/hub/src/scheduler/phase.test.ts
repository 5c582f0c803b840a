import type { PlacementPhase, PlacementStatus } from "@gantry/shared";
import { describe, expect, it } from "vitest";
import type { StatusTransition } from "../store/index.ts";
import { aggregatePhase, type PlacementFacts, statusTransition, type WorkloadFacts } from "./phase.ts";

const aStatus = (phase: PlacementPhase, over: Partial<PlacementStatus> = {}): PlacementStatus => ({
  uid: "u",
  tenant: "t",
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

describe("statusTransition", () => {
  const job = (restartable = false, phase = "Running", generation = 2): WorkloadFacts => ({
    phase,
    generation,
    pool: null,
    manifest: { spec: { type: "job", restartable } },
  });
  const service = (pool: string | null = "onprem", generation = 2): WorkloadFacts => ({
    phase: "Running",
    generation,
    pool,
    manifest: { spec: { type: "service", restartable: false } },
  });
  /** A placement in `cluster` at `generation` (2 is the workload's current one), active unless said otherwise. */
  const at = (
    cluster: string,
    generation: number,
    status: PlacementStatus | null,
    over: Partial<PlacementFacts> = {},
  ): PlacementFacts => ({ cluster, active: true, generation, replicas: 2, status, ...over });
  const running = (ready = 2, replicas = 2) => aStatus("Running", { generation: 2, replicas, readyReplicas: ready });
  const fenced = aStatus("Failed", { generation: 2, reason: "fenced", message: "no lease for 30 s" });
  const lost = aStatus("Failed", { generation: 2, reason: "cluster_lost", message: "" });
  const oom = aStatus("Failed", { generation: 2, message: "OOMKilled" });

  const cases: [string, WorkloadFacts, PlacementFacts[], StatusTransition][] = [
    [
      "a finished workload is left alone, whatever is reported",
      job(true, "Succeeded"),
      [at("a", 2, fenced)],
      { kind: "none" },
    ],
    ["a failed one too", job(false, "Failed"), [at("a", 2, running())], { kind: "none" }],
    [
      "a restartable job its cluster fenced goes back to the queue",
      job(true),
      [at("a", 2, running()), at("b", 2, fenced)],
      {
        kind: "requeue",
        reason: "Requeued",
        message: "b stopped it: no lease for 30 s; restartable, so it is placed again",
      },
    ],
    [
      "so does one whose cluster was lost (the reason stands in for an empty message)",
      job(true),
      [at("a", 2, lost)],
      {
        kind: "requeue",
        reason: "Requeued",
        message: "a stopped it: cluster_lost; restartable, so it is placed again",
      },
    ],
    [
      "a fenced job that may not restart fails, with the agent's reason",
      job(false),
      [at("a", 2, fenced)],
      { kind: "phase", phase: "Failed", reason: "fenced", message: "a stopped it: no lease for 30 s; not restartable" },
    ],
    [
      "a restartable job that failed on its own fails: only a fenced or lost copy is run again",
      job(true),
      [at("a", 2, oom)],
      { kind: "phase", phase: "Failed", message: "OOMKilled" },
    ],
    [
      "a fenced copy of an older generation, or an inactive one, does not requeue",
      job(true),
      [at("a", 1, aStatus("Failed", { generation: 1, reason: "fenced" }), { active: false }), at("b", 2, running())],
      { kind: "phase", phase: "Running", message: "2/2 replicas ready" },
    ],
    [
      "while older placements drain, nothing changes until every new one is ready",
      service(),
      [at("old", 1, running()), at("a", 2, running(1))],
      { kind: "none" },
    ],
    [
      "… nor while one of two new ones has not reported",
      service(),
      [at("old", 1, running()), at("a", 2, running()), at("b", 2, null)],
      { kind: "none" },
    ],
    ["… nor when there is no new placement at all", service(), [at("old", 1, running())], { kind: "none" }],
    [
      "once every new placement runs all its replicas, the old ones retire",
      service(),
      [at("old", 1, running()), at("a", 2, running()), at("b", 2, running(3, 3), { replicas: 3 })],
      { kind: "retire-old", message: "moved to onprem; 5/5 replicas ready" },
    ],
    [
      "a failover with no pool says where it went generically",
      service(null),
      [at("old", 1, null), at("a", 2, running())],
      { kind: "retire-old", message: "moved to its new placement; 2/2 replicas ready" },
    ],
    [
      "otherwise the phase is the aggregate of the current generation: not reported yet",
      job(),
      [at("a", 2, null)],
      { kind: "phase", phase: "Placed", message: "applied; waiting for the cluster to start it" },
    ],
    [
      "… every part done",
      job(),
      [at("a", 2, aStatus("Succeeded", { generation: 2 })), at("b", 2, aStatus("Succeeded", { generation: 2 }))],
      { kind: "phase", phase: "Succeeded", message: "all replicas completed" },
    ],
    [
      "… one part failed",
      job(),
      [at("a", 2, running()), at("b", 2, oom)],
      { kind: "phase", phase: "Failed", message: "OOMKilled" },
    ],
    [
      "inactive placements of the current generation do not count",
      job(),
      [at("a", 2, oom, { active: false }), at("b", 2, running(1))],
      { kind: "phase", phase: "Running", message: "1/2 replicas ready" },
    ],
    ["no active placement at all: nothing to say", job(), [at("a", 2, running(), { active: false })], { kind: "none" }],
  ];

  it.each(cases)("%s", (_name, workload, placements, expected) => {
    expect(statusTransition(workload, placements)).toEqual(expected);
  });
});
