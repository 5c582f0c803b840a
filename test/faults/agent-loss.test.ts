import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, stopAgent } from "../support/faults.ts";
import { aService, threeClusterFleet } from "../support/fleets.ts";
import { type DatabaseKind, eventually, type Stack, startStack } from "../support/stack.ts";

interface ClusterBody {
  name: string;
  health: string;
}
interface WorkloadBody {
  status: { phase: string; message: string; placements: { cluster: string }[] };
}

const json = { "content-type": "application/json" };

// The same scenario on both databases the hub supports.
const DATABASES: DatabaseKind[] = ["postgres", "pglite"];

describe.each(DATABASES)("%s: an agent goes away", (database) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ database, fleet: threeClusterFleet(), secondsPerHour: 2 });
    await stack.readyClusters(3);
  });
  afterAll(async () => stack?.close());

  const healthOf = async (cluster: string) =>
    ((await (await stack.api("/clusters")).json()) as { items: ClusterBody[] }).items.find((c) => c.name === cluster)
      ?.health;
  const workload = async (name: string) => (await (await stack.api(`/workloads/${name}`)).json()) as WorkloadBody;
  const submit = async (body: unknown) => {
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(body) });
    expect(r.status).toBe(201);
  };

  it("a new agent for the same cluster pulls the full desired state and runs the service again", async () => {
    await submit(aService("chat"));
    await eventually(
      async () => ((await workload("chat")).status.phase === "Running" ? true : undefined),
      "chat running",
    );

    await stopAgent(stack, "edge-c");
    // The replacement starts on an empty cluster: nothing runs until it has pulled its desired state.
    const { driver } = await startAgent(stack, "edge-c");
    await eventually(async () => {
      const s = (await driver.statuses()).find((x) => x.workload === "chat");
      return s?.phase === "Running" && s.readyReplicas === 2 ? s : undefined;
    }, "the new agent to run chat");
    expect(driver.capacity().nodes.map((n) => n.gpusUsed)).toEqual([1, 1]);
    expect((await workload("chat")).status.phase).toBe("Running");
  });

  it("a cluster whose heartbeats stop becomes unknown, then offline, and gets no new placements", async () => {
    // Free the edge's L4s first, so only its health can keep new work off it.
    expect((await stack.api("/workloads/chat", { method: "DELETE" })).status).toBe(204);
    const edge = stack.agents.get("edge-c");
    await eventually(
      async () => (edge?.driver.capacity().nodes.every((n) => n.gpusUsed === 0) ? true : undefined),
      "edge-c to drop chat",
    );
    await stopAgent(stack, "edge-c");

    await eventually(
      async () => ((await healthOf("edge-c")) === "unknown" ? true : undefined),
      "edge-c unknown",
      10_000,
    );
    await submit(aService("late", { replicas: 1 }));
    const waiting = await workload("late");
    expect(waiting.status.phase).toBe("Pending");
    expect(waiting.status.placements).toEqual([]);

    await eventually(
      async () => ((await healthOf("edge-c")) === "offline" ? true : undefined),
      "edge-c offline",
      10_000,
    );
    expect(await healthOf("onprem-a")).toBe("ready");
    const still = await workload("late");
    expect(still.status.phase).toBe("Pending");
    expect(still.status.placements).toEqual([]);
    const explain = (await (await stack.api("/workloads/late/explain")).json()) as {
      decision: { clusters: { cluster: string; verdict: string; reasons: { code: string }[] }[] };
    };
    const verdict = explain.decision.clusters.find((c) => c.cluster === "edge-c");
    expect(verdict?.verdict).toBe("filtered");
    expect(verdict?.reasons.map((r) => r.code)).toContain("cluster_not_ready");
  });
});
