import { type DesiredState, subjects } from "@gantry/shared";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aService, threeClusterFleet } from "../support/fleets.ts";
import { type DatabaseKind, eventually, type Stack, startStack } from "../support/stack.ts";

// Both databases: the outbox row and the decision commit in one transaction on each, and each survives the restart.
const DATABASES: DatabaseKind[] = ["postgres", "pglite"];

describe.each(DATABASES)("%s: the hub dies between a decision and its publication", (database) => {
  let stack: Stack;
  let observer: NatsConnection;
  const published: DesiredState[] = [];

  beforeAll(async () => {
    stack = await startStack({ database, fleet: threeClusterFleet(), secondsPerHour: 2 });
    await stack.readyClusters(3);
    observer = await stack.observer([subjects.desired("edge-c")]);
    observer.subscribe(subjects.desired("edge-c"), {
      callback: (_, m) => {
        published.push(m.json<DesiredState>());
      },
    });
    await observer.flush();
  });
  afterAll(async () => {
    await observer?.close();
    await stack?.close();
  });

  const names = (s: DesiredState) => s.placements.map((p) => p.workload);

  it("publishes the stored outbox row after a restart, and the agent applies it", async () => {
    // The hub loses NATS: it can still decide and store, but neither publish nor answer syncs.
    await stack.hub.nc.close();
    const r = await stack.api("/workloads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(aService("after-crash", { replicas: 1 })),
    });
    expect(r.status).toBe(201);
    await eventually(async () => {
      const w = (await (await stack.api("/workloads/after-crash")).json()) as { status: { phase: string } };
      return w.status.phase === "Placed" ? w : undefined;
    }, "after-crash placed (stored, not yet published)");

    const edge = stack.agents.get("edge-c");
    // Let the relay try (it runs on every change and every 500 ms here): its publishes must fail, leaving the row.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await stack.hub.store.outbox.pending()).map((row) => row.cluster)).toContain("edge-c");
    expect(published.filter((s) => names(s).includes("after-crash"))).toEqual([]);
    expect((await edge?.driver.statuses())?.map((s) => s.workload)).toEqual([]);

    await stack.restartHub();

    const delivered = await eventually(
      async () => published.find((s) => names(s).includes("after-crash")),
      "the relay to publish edge-c's desired state",
    );
    expect(delivered.cluster).toBe("edge-c");
    await eventually(
      async () => ((await stack.hub.store.outbox.pending()).length === 0 ? true : undefined),
      "the outbox to be marked published",
    );
    await eventually(async () => {
      const s = (await edge?.driver.statuses())?.find((x) => x.workload === "after-crash");
      return s?.phase === "Running" ? s : undefined;
    }, "edge-c's agent to run after-crash");
  });
});
