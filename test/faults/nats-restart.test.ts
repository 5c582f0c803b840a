import type { RunningNatsServer } from "@gantry/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restartNats } from "../support/faults.ts";
import { aJob, threeClusterFleet } from "../support/fleets.ts";
import { type DatabaseKind, eventually, type Stack, startStack } from "../support/stack.ts";

interface ClusterBody {
  name: string;
  health: string;
  region: string;
  agent: { id: string | null };
}
interface WorkloadBody {
  status: { phase: string; placements: { cluster: string }[] };
}

const json = { "content-type": "application/json" };

// The same scenario on both databases the hub supports.
const DATABASES: DatabaseKind[] = ["postgres", "pglite"];

describe.each(DATABASES)("%s: the bus goes away and comes back", (database) => {
  let stack: Stack;
  let restarted: RunningNatsServer | undefined;

  beforeAll(async () => {
    stack = await startStack({ database, fleet: threeClusterFleet(), secondsPerHour: 2 });
    await stack.readyClusters(3);
  });
  afterAll(async () => {
    await stack?.close();
    await restarted?.stop();
  });

  const clusters = async () => ((await (await stack.api("/clusters")).json()) as { items: ClusterBody[] }).items;
  const phaseOf = (name: string, phase: string, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const w = (await (await stack.api(`/workloads/${name}`)).json()) as WorkloadBody;
        return w.status.phase === phase ? w : undefined;
      },
      `${name} to be ${phase}`,
      timeoutMs,
    );
  const submit = async (body: unknown) => {
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(body) });
    expect(r.status).toBe(201);
  };

  it("finishes a placed job and places a queued one when nats-server is killed and restarted on the same port", async () => {
    await submit(aJob("before-outage"));
    await phaseOf("before-outage", "Placed");
    await stack.nats.stop();
    // Decided while the bus is down: stored with its outbox row, delivered after the restart.
    await submit(aJob("during-outage", { replicas: 1, gang: false }));
    await new Promise((r) => setTimeout(r, 500));
    restarted = await restartNats(stack, 0);

    const done = await phaseOf("before-outage", "Succeeded");
    expect(done.status.placements.map((p) => p.cluster)).toEqual(["onprem-a"]);
    await phaseOf("during-outage", "Succeeded");
    await eventually(
      async () => ((await clusters()).every((c) => c.health === "ready") ? true : undefined),
      "every cluster ready again",
    );
  });
});
