import { PROTOCOL_VERSION, subjects } from "@gantry/shared";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { threeClusterFleet } from "../support/fleets.ts";
import { fuzzMessage, type Json } from "../support/fuzz-inputs.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * No agent message hurts the hub: generated messages (mutations of real hellos, heartbeats, status and signals
 * reports, and junk) go to every handler on a registered cluster no agent serves. The hub keeps answering, the clusters
 * that have agents stay ready and unchanged, and every message is accounted for (accepted or dropped, counted).
 * Seeded like the HTTP fuzz suite; FUZZ_CASES scales it (a fifth of the HTTP count).
 */
const MESSAGES = Math.ceil(Number(process.env.FUZZ_CASES ?? 10_000) / 5);
const SEED = fc.readConfigureGlobal().seed ?? 20_261_201;
const TARGET = "fuzz-target";
const KINDS = ["hello", "heartbeat", "status", "sync", "signals"] as const;

/** Valid messages of each kind, for the target cluster: what the mutations start from. */
const bases = (): Json[] => {
  const envelope = {
    protocol: PROTOCOL_VERSION,
    cluster: TARGET,
    sentAt: new Date().toISOString(),
    agentId: "fuzzer",
    seq: 1,
  };
  const node = { name: "n", count: 2, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 64, memoryGiB: 512 };
  return [
    {
      ...envelope,
      kind: "hello",
      agentVersion: "0.1.0",
      driver: "simulated",
      description: { name: TARGET, tier: "cloud", taints: [{ key: "k", effect: "NoSchedule" }] },
    },
    {
      ...envelope,
      kind: "heartbeat",
      revision: 0,
      capacity: {
        nodes: [node],
        accountedWorkloads: [{ uid: "u", generation: 1 }],
        datasets: [{ dataset: "imagenet", state: "ready", sizeGB: 1, copiedGB: 1 }],
      },
    },
    {
      ...envelope,
      kind: "status",
      full: true,
      revision: 0,
      statuses: [
        {
          uid: "00000000-0000-0000-0000-000000000000",
          workload: "w",
          tenant: "t",
          generation: 1,
          phase: "Running",
          readyReplicas: 1,
          message: "",
        },
      ],
    },
    { ...envelope, kind: "sync", revision: -1 },
    { ...envelope, kind: "signals", signals: [] },
  ];
};

describe("fuzzing the hub's agent message handlers", () => {
  let stack: Stack;

  const clusters = async () =>
    ((await (await stack.api("/clusters?limit=1000")).json()) as { items: { name: string; health: string }[] }).items
      .filter((c) => c.name !== TARGET)
      .map((c) => `${c.name}:${c.health}`)
      .sort();

  const counted = async (): Promise<number> => {
    const text = await (await fetch(`${stack.hub.url}/metrics`)).text();
    return text
      .split("\n")
      .filter((l) => l.startsWith("gantry_agent_messages_total{"))
      .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
  };

  beforeAll(async () => {
    stack = await startStack({ database: "pglite", fleet: threeClusterFleet(), natsAuth: false });
    await stack.readyClusters(3);
    // Registered, so its messages get past the registry and reach every handler; no agent serves it.
    await stack.hub.registerCluster(TARGET, { tier: "cloud" });
  });
  afterAll(async () => stack?.close());

  it(`drops or takes ${MESSAGES} generated messages without harm`, { timeout: 600_000 }, async () => {
    const before = await clusters();
    expect(before).toEqual(["cloud-b:ready", "edge-c:ready", "onprem-a:ready"]);
    const countedBefore = await counted();
    const nc = await stack.observer([]);
    const docs = bases();
    for (let i = 0; i < MESSAGES; i++) {
      const [kind, body] = fc.sample(fc.tuple(fc.constantFrom(...KINDS), fuzzMessage(docs)), {
        seed: SEED + i,
        numRuns: 1,
      })[0]!;
      const subject = `${subjects.agentPrefix(TARGET)}.${kind}`;
      if ((kind === "heartbeat" || kind === "sync") && i % 20 === 0) {
        // Some as requests: the hub may answer (an ack, a desired state) or stay silent; a crash is what must not be.
        await nc.request(subject, body, { timeout: 200 }).catch(() => undefined);
      } else nc.publish(subject, body);
      if (i % 100 === 99) await nc.flush();
    }
    await nc.flush();
    await nc.close();
    // Every message reached a handler and was counted, accepted or dropped (none lost to a thrown error).
    const deadline = Date.now() + 60_000;
    while ((await counted()) - countedBefore < MESSAGES * 0.9 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await counted()) - countedBefore).toBeGreaterThanOrEqual(MESSAGES * 0.9);
    expect((await fetch(`${stack.hub.url}/healthz`)).status).toBe(200);
    expect(await clusters()).toEqual(before);
  });
});
