import { readFile } from "node:fs/promises";
import { type DesiredStateInput, envelopeFor, type HelloMessage, PROTOCOL_VERSION, subjects } from "@gantry/shared";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aJob, aService, threeClusterFleet } from "../support/fleets.ts";
import { eventually, type Stack, startStack } from "../support/stack.ts";

/**
 * Every forged-message attack found against the open bus, tried again with NATS authentication on: each must be
 * refused by the server (its permissions) or dropped and counted by the hub (the subject is the only identity).
 */

interface ClusterBody {
  name: string;
  region: string;
  tier: string;
  state: string;
  pricing: { gpuHour: Record<string, number> };
  agent: { id: string | null };
  nodes: { gpusUsed: number }[];
}
interface WorkloadBody {
  metadata: { uid: string };
  status: { phase: string; generation: number; placements: { cluster: string; phase: string }[] };
}

const json = { "content-type": "application/json" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A NATS connection holding cluster `cluster`'s own credentials (what an attacker on that cluster has). */
const connectAs = async (
  stack: Stack,
  cluster: string,
): Promise<{ nc: NatsConnection; violations: string[]; disconnects: number[] }> => {
  const file = stack.credsFile(cluster);
  if (!file) throw new Error(`no credentials for ${cluster}`);
  const nc = await connect({
    servers: stack.nats.url,
    authenticator: credsAuthenticator(new Uint8Array(await readFile(file))),
    inboxPrefix: `gantry.v1.hub.${cluster}.inbox`,
  });
  const violations: string[] = [];
  const disconnects: number[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "error") violations.push(String((s as { error?: unknown }).error));
      if (s.type === "disconnect") disconnects.push(Date.now());
    }
  })();
  return { nc, violations, disconnects };
};

const metric = async (stack: Stack, kind: string, reason: string): Promise<number> => {
  const text = await (await fetch(`${stack.hub.url}/metrics`)).text();
  const m = new RegExp(
    `gantry_agent_messages_total\\{kind="${kind}",result="dropped",reason="${reason}"\\} (\\d+)`,
  ).exec(text);
  return m ? Number(m[1]) : 0;
};

const hello = (cluster: string, agentId: string, region: string, over: Partial<HelloMessage["description"]> = {}) => ({
  ...envelopeFor(cluster, agentId, Date.now() * 1_000 + 999_999, new Date()),
  kind: "hello",
  agentVersion: "0.2.0",
  driver: "simulated",
  description: {
    name: cluster,
    tier: "cloud",
    provider: "",
    region,
    zone: "",
    labels: {},
    taints: [],
    pricing: { gpuHour: { A100: 0.01 }, spotGpuHour: {}, egressPerGB: 0 },
    ...over,
  },
});

describe("forged messages on an authenticated bus", () => {
  let stack: Stack;
  let intruder: { nc: NatsConnection; violations: string[]; disconnects: number[] };

  beforeAll(async () => {
    stack = await startStack({ database: "pglite", fleet: threeClusterFleet(), secondsPerHour: 60 });
    await stack.readyClusters(3);
    // The attacker holds the edge site's credentials: everything below is what that identity may still try.
    intruder = await connectAs(stack, "edge-c");
  });
  afterAll(async () => {
    await intruder?.nc.close();
    await stack?.close();
  });

  const cluster = async (name: string) => (await (await stack.api(`/clusters/${name}`)).json()) as ClusterBody;
  const workload = async (name: string) => (await (await stack.api(`/workloads/${name}`)).json()) as WorkloadBody;

  it("refuses an anonymous client, so nobody can register a fake cluster with cheap GPUs", async () => {
    const attempt = connect({ servers: stack.nats.url, reconnect: false, timeout: 3_000 });
    await expect(attempt).rejects.toThrow(/Authorization Violation/i);
    // A user signed by someone else's key is no better.
    const { createUser } = await import("@nats-io/nkeys");
    const stranger = createUser();
    await expect(
      connect({
        servers: stack.nats.url,
        reconnect: false,
        timeout: 3_000,
        authenticator: credsAuthenticator(
          new TextEncoder().encode(
            `-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.AAAA\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(stranger.getSeed())}\n------END USER NKEY SEED------\n`,
          ),
        ),
      }),
    ).rejects.toThrow();
  });

  it("cannot publish for another cluster: the server refuses it, the hub never hears it", async () => {
    const before = await cluster("onprem-a");
    intruder.nc.publish(subjects.hello("onprem-a"), JSON.stringify(hello("onprem-a", "evil", "pwned")));
    intruder.nc.publish(
      subjects.heartbeat("onprem-a"),
      JSON.stringify({
        ...envelopeFor("onprem-a", before.agent.id ?? "x", Date.now() * 1_000 + 999_999, new Date()),
        kind: "heartbeat",
        capacity: { nodes: [] },
      }),
    );
    await intruder.nc.flush();
    await eventually(async () => (intruder.violations.length >= 1 ? true : undefined), "the server to refuse");
    expect(intruder.violations.join("\n")).toMatch(/Permissions Violation for Publish to "gantry\.v1\.agent\.onprem-a/);
    await sleep(1_000);
    const after = await cluster("onprem-a");
    expect(after.region).toBe("eu-central-1");
    expect(after.agent.id).toBe(before.agent.id);
    expect(after.nodes.length).toBeGreaterThan(0);
  });

  it("drops a hello on its own subject whose body describes another cluster (B's description stays B's)", async () => {
    const before = await metric(stack, "hello", "cluster_mismatch");
    intruder.nc.publish(
      subjects.hello("edge-c"),
      JSON.stringify(hello("cloud-b", "evil", "spoofed", { tier: "onprem" })),
    );
    await intruder.nc.flush();
    await eventually(
      async () => ((await metric(stack, "hello", "cluster_mismatch")) > before ? true : undefined),
      "the hub to count the mismatch",
    );
    const b = await cluster("cloud-b");
    expect(b.region).toBe("us-east-1");
    expect(b.tier).toBe("cloud");
  });

  it("cannot mark another cluster's running job Succeeded, from its subject or from its own", async () => {
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(aJob("victim")) });
    expect(r.status).toBe(201);
    const running = await eventually(async () => {
      const w = await workload("victim");
      return w.status.phase === "Running" ? w : undefined;
    }, "the victim job running on onprem-a");
    expect(running.status.placements.map((p) => p.cluster)).toEqual(["onprem-a"]);
    const forged = (cluster: string) => ({
      ...envelopeFor(cluster, "evil", Date.now() * 1_000 + 999_999, new Date()),
      kind: "status",
      full: false,
      revision: 0,
      statuses: [
        {
          uid: running.metadata.uid,
          tenant: "team-a",
          workload: "victim",
          generation: running.status.generation,
          phase: "Succeeded",
          replicas: 2,
          readyReplicas: 0,
          message: "done (forged)",
          events: [],
          finishedAt: new Date().toISOString(),
        },
      ],
    });
    intruder.nc.publish(subjects.status("onprem-a"), JSON.stringify(forged("onprem-a")));
    // On its own subject the status names a placement that is not in its cluster: the hub applies nothing.
    const agentId = (await cluster("edge-c")).agent.id ?? "";
    intruder.nc.publish(subjects.status("edge-c"), JSON.stringify({ ...forged("edge-c"), agentId }));
    await intruder.nc.flush();
    await sleep(1_500);
    const w = await workload("victim");
    expect(w.status.phase).toBe("Running");
    expect(w.status.placements[0]?.phase).toBe("Running");
    const onprem = stack.agents.get("onprem-a");
    expect((await onprem?.driver.statuses())?.find((s) => s.workload === "victim")?.phase).toBe("Running");
  });

  it("cannot read another cluster's desired state, and its own sync answers only its own placements", async () => {
    await expect(
      intruder.nc.request(
        subjects.sync("onprem-a"),
        JSON.stringify({ ...envelopeFor("onprem-a", "evil", Date.now() * 1_000, new Date()), kind: "sync" }),
        { timeout: 1_500 },
      ),
    ).rejects.toThrow();
    const agentId = (await cluster("edge-c")).agent.id ?? "";
    const reply = await intruder.nc.request(
      subjects.sync("edge-c"),
      JSON.stringify({ ...envelopeFor("edge-c", agentId, Date.now() * 1_000 + 999_999, new Date()), kind: "sync" }),
      { timeout: 5_000 },
    );
    const state = reply.json<{ cluster: string; placements: { cluster: string; workload: string }[] }>();
    expect(state.cluster).toBe("edge-c");
    expect(state.placements.every((p) => p.cluster === "edge-c")).toBe(true);
    expect(state.placements.map((p) => p.workload)).not.toContain("victim");
  });

  it("cannot publish a desired state (only the hub may): an agent never deletes what it runs on a forgery", async () => {
    const state: DesiredStateInput = {
      protocol: PROTOCOL_VERSION,
      cluster: "onprem-a",
      sentAt: new Date().toISOString(),
      kind: "desired",
      origin: "forged",
      revision: 1_000_000,
      fenceAfterSeconds: 60,
      placements: [],
    };
    const violations = intruder.violations.length;
    intruder.nc.publish(subjects.desired("onprem-a"), JSON.stringify(state));
    intruder.nc.publish(subjects.desired("edge-c"), JSON.stringify({ ...state, cluster: "edge-c" }));
    await intruder.nc.flush();
    await eventually(async () => (intruder.violations.length >= violations + 2 ? true : undefined), "two refusals");
    expect(intruder.violations.slice(violations).join("\n")).toMatch(
      /Permissions Violation for Publish to "gantry\.v1\.hub\./,
    );
    await sleep(1_000);
    const onprem = stack.agents.get("onprem-a");
    expect((await onprem?.driver.statuses())?.map((s) => s.workload)).toContain("victim");
    expect(onprem?.agent.revision).toBeLessThan(1_000_000);
  });

  it("drops and counts messages from an agent other than the one that said hello, and replays", async () => {
    const agentId = (await cluster("edge-c")).agent.id ?? "";
    const mismatch = await metric(stack, "status", "agent_mismatch");
    const backwards = await metric(stack, "status", "seq_backwards");
    const report = (id: string, seq: number) => ({
      ...envelopeFor("edge-c", id, seq, new Date()),
      kind: "status",
      statuses: [],
    });
    intruder.nc.publish(
      subjects.status("edge-c"),
      JSON.stringify(report("another-agent", Date.now() * 1_000 + 9_999_999)),
    );
    // A replay: a sequence number older than what the real agent already sent.
    intruder.nc.publish(subjects.status("edge-c"), JSON.stringify(report(agentId, 1)));
    await intruder.nc.flush();
    await eventually(
      async () =>
        (await metric(stack, "status", "agent_mismatch")) > mismatch &&
        (await metric(stack, "status", "seq_backwards")) > backwards
          ? true
          : undefined,
      "both drops counted",
    );
  });

  it("revokes a cluster: its agent is cut off within seconds and it gets no more work", async () => {
    const edge = stack.agents.get("edge-c");
    const r = await stack.api("/clusters/edge-c/revoke", { method: "POST" });
    expect(r.status).toBe(200);
    const cut = Date.now();
    // The intruder held the edge's key: the server closes that connection and refuses it from now on.
    await eventually(
      async () => (intruder.disconnects.some((t) => t >= cut - 1_000) ? true : undefined),
      "the key's connection cut",
      10_000,
    );
    const seconds = (Math.max(...intruder.disconnects) - cut) / 1000;
    console.log(`revoked key cut off after ${seconds.toFixed(2)} s`);
    expect(seconds).toBeLessThan(5);
    expect((await cluster("edge-c")).state).toBe("revoked");
    await expect(connectAs(stack, "edge-c").then((c) => c.nc.close())).rejects.toThrow(/Authorization|revoked/i);
    const s = await stack.api("/workloads", {
      method: "POST",
      headers: json,
      body: JSON.stringify(aService("after-revoke", { replicas: 1 })),
    });
    expect([201, 422]).toContain(s.status);
    await sleep(1_500);
    expect((await edge?.driver.statuses())?.map((x) => x.workload) ?? []).not.toContain("after-revoke");
  });
});

describe("an unregistered cluster on a bus without authentication", () => {
  let stack: Stack;
  let rogue: NatsConnection;

  beforeAll(async () => {
    stack = await startStack({ database: "pglite", fleet: threeClusterFleet(), secondsPerHour: 60, natsAuth: false });
    await stack.readyClusters(3);
    rogue = await connect({ servers: stack.nats.url });
  });
  afterAll(async () => {
    await rogue?.close();
    await stack?.close();
  });

  it("is recorded as a pending registration and gets no work, however cheap, until an operator approves it", async () => {
    const seq = Date.now() * 1_000;
    rogue.publish(subjects.hello("rogue"), JSON.stringify(hello("rogue", "rogue-1", "eu-central-1")));
    rogue.publish(
      subjects.heartbeat("rogue"),
      JSON.stringify({
        ...envelopeFor("rogue", "rogue-1", seq + 2_000_000, new Date()),
        kind: "heartbeat",
        capacity: {
          nodes: [{ name: "n", gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 64, memoryGiB: 512 }],
        },
      }),
    );
    await rogue.flush();
    const pending = await eventually(async () => {
      const r = await stack.api("/clusters/rogue");
      if (r.status !== 200) return undefined;
      return (await r.json()) as ClusterBody;
    }, "the rogue cluster to appear");
    expect(pending.state).toBe("pending");
    const r = await stack.api("/workloads", { method: "POST", headers: json, body: JSON.stringify(aJob("lured")) });
    expect(r.status).toBe(201);
    const placed = await eventually(async () => {
      const w = (await (await stack.api("/workloads/lured")).json()) as WorkloadBody;
      return w.status.placements.length > 0 ? w : undefined;
    }, "lured placed");
    expect(placed.status.placements.map((p) => p.cluster)).toEqual(["onprem-a"]);
    const list = (await (await stack.api("/clusters?state=pending")).json()) as { items: { name: string }[] };
    expect(list.items.map((c) => c.name)).toEqual(["rogue"]);
  });
});

describe("rotating a cluster's credentials", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      database: "pglite",
      fleet: threeClusterFleet(),
      secondsPerHour: 60,
      hub: { upkeepIntervalMs: 300 },
    });
    await stack.readyClusters(3);
  });
  afterAll(async () => stack?.close());

  it("gives new credentials; the agent switches with no gap in heartbeats; the old key stops after the grace period", async () => {
    const file = stack.credsFile("cloud-b");
    if (!file) throw new Error("no credentials file");
    const oldCreds = await readFile(file);
    const seen: number[] = [];
    const watch = setInterval(async () => {
      const c = (await (await stack.api("/clusters/cloud-b")).json()) as { lastSeenAt: string };
      seen.push(Date.parse(c.lastSeenAt));
    }, 100);
    const r = await stack.api("/clusters/cloud-b/rotate?graceSeconds=3", { method: "POST" });
    expect(r.status).toBe(200);
    const { credentials } = (await r.json()) as { credentials: string };
    expect(credentials).toMatch(/BEGIN NATS USER JWT/);
    // The operator hands the agent its new credentials (a Secret update): it reconnects with them by itself.
    const { writeFile } = await import("node:fs/promises");
    await writeFile(file, credentials, { mode: 0o600 });
    const oldKey = connect({ servers: stack.nats.url, authenticator: credsAuthenticator(new Uint8Array(oldCreds)) });
    const stillValid = await oldKey;
    await stillValid.close();
    // After the grace period the leader revokes the old key: connecting with it is refused.
    await eventually(
      async () => {
        try {
          const nc = await connect({
            servers: stack.nats.url,
            reconnect: false,
            authenticator: credsAuthenticator(new Uint8Array(oldCreds)),
          });
          await nc.close();
          return undefined;
        } catch (e) {
          return /Authorization|revoked/i.test(String(e)) ? true : undefined;
        }
      },
      "the old key refused",
      15_000,
    );
    await sleep(1_000);
    clearInterval(watch);
    // Heartbeats never stopped: the longest pause in last-seen times stays within a few heartbeat intervals.
    const times = [...new Set(seen)].sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    console.log(`longest heartbeat gap across the rotation: ${Math.max(...gaps)} ms`);
    expect(Math.max(...gaps)).toBeLessThan(2_000);
    expect((await (await stack.api("/clusters/cloud-b")).json()) as { health: string }).toMatchObject({
      health: "ready",
    });
  });
});
