import type { RunningNatsServer } from "@gantry/hub";
import { envelopeFor, type HelloMessage, subjects } from "@gantry/shared";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restartNats } from "../support/faults.ts";
import { aJob, threeClusterFleet } from "../support/fleets.ts";
import { eventually, type Stack, startStack } from "../support/stack.ts";

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

describe("the bus goes away and comes back", () => {
  let stack: Stack;
  let restarted: RunningNatsServer | undefined;

  beforeAll(async () => {
    stack = await startStack({ database: "pglite", fleet: threeClusterFleet(), secondsPerHour: 2 });
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

  it("drops a message whose subject names one cluster and whose body claims another", async () => {
    const nc = await connect({ servers: stack.nats.url });
    try {
      const before = (await clusters()).find((c) => c.name === "cloud-b");
      expect(before?.region).toBe("us-east-1");
      const hello = (cluster: string, region: string): HelloMessage => ({
        ...envelopeFor(cluster, "intruder", Date.now() * 1_000, new Date()),
        kind: "hello",
        agentVersion: "0.1.0",
        driver: "simulated",
        description: {
          name: cluster,
          tier: "cloud",
          provider: "",
          region,
          zone: "",
          labels: {},
          taints: [],
          pricing: { gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 },
        },
      });
      // onprem-a's credentials may publish only under onprem-a's subjects; this body speaks for cloud-b.
      nc.publish(subjects.hello("onprem-a"), JSON.stringify(hello("cloud-b", "spoofed")));
      nc.publish(
        subjects.heartbeat("onprem-a"),
        JSON.stringify({
          ...envelopeFor("cloud-b", "intruder", Date.now() * 1_000, new Date()),
          kind: "heartbeat",
          capacity: { nodes: [] },
        }),
      );
      // A well-formed hello sent after them, on the same subscription, marks when they have been handled.
      nc.publish(subjects.hello("marker"), JSON.stringify(hello("marker", "nowhere")));
      await nc.flush();
      await eventually(async () => (await clusters()).find((c) => c.name === "marker"), "the marker hello");

      const after = (await clusters()).find((c) => c.name === "cloud-b");
      expect(after?.region).toBe("us-east-1");
      expect(after?.agent.id).toBe(before?.agent.id);
      expect(after?.agent.id).not.toBe("intruder");
      expect(after?.health).toBe("ready");
    } finally {
      await nc.close();
    }
  });
});
