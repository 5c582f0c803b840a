import {
  type CapacityReport,
  ClusterDescription,
  DesiredState,
  envelopeFor,
  type HelloMessage,
  type StatusMessage,
  type SyncRequest,
  subjects,
} from "@gantry/shared";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleetView, type FleetView } from "../fleet/view.ts";
import type { ClusterRow } from "../store/index.ts";
import { silentLogger } from "../util/logger.ts";
import { freePort } from "../util/ports.ts";
import { createHubBus, type DropReason, type HubBus } from "./hub-bus.ts";
import { type RunningNatsServer, startNatsServer } from "./nats-server.ts";

const T0 = new Date("2026-12-01T00:00:00Z");
const row = (name: string): ClusterRow => ({
  name,
  state: "registered",
  registration: {},
  description: ClusterDescription.parse({ name, tier: "cloud", region: "r" }),
  reported: null,
  agentId: null,
  driver: null,
  agentVersion: null,
  capacity: null,
  lastSeenAt: null,
  revision: 0,
  createdAt: T0,
  registeredAt: T0,
  revokedAt: null,
});

/** Polls `check` until it holds (the bus delivers asynchronously); a generous deadline for a loaded machine. */
const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * The hub's bus against a real nats-server, without NATS permissions (as with an open bus, or an agent whose
 * credentials allow more than its own subjects): the subject is the only identity, so a body naming another cluster
 * must be dropped for every kind, not only for hellos and heartbeats.
 */
describe("hub bus: the subject names the cluster, never the body", () => {
  let nats: RunningNatsServer;
  let hubNc: NatsConnection;
  let agentNc: NatsConnection;
  let bus: HubBus;
  let view: FleetView;
  const calls: { kind: string; cluster: string; body: string }[] = [];
  const capacities: CapacityReport[] = [];
  const counted: { kind: string; result: string; reason?: DropReason }[] = [];
  let seq = Date.now() * 1_000;
  const envelope = (cluster: string, agentId: string) => envelopeFor(cluster, agentId, ++seq, new Date());
  const hello = (body: string, agentId: string): HelloMessage => ({
    ...envelope(body, agentId),
    kind: "hello",
    agentVersion: "test",
    driver: "simulated",
    description: ClusterDescription.parse({ name: body, tier: "cloud", region: "r" }),
  });
  const dropped = (kind: string, reason: DropReason) =>
    counted.filter((c) => c.kind === kind && c.result === "dropped" && c.reason === reason).length;
  const handled = (kind: string) => calls.filter((c) => c.kind === kind);

  beforeAll(async () => {
    nats = await startNatsServer({ port: await freePort() });
    hubNc = await connect({ servers: nats.url });
    agentNc = await connect({ servers: nats.url });
    view = createFleetView({
      clock: { now: () => new Date() },
      thresholds: { unknownAfterMs: 60_000, offlineAfterMs: 120_000 },
    });
    view.load([row("a"), row("b")]);
    bus = createHubBus({
      nc: hubNc,
      logger: silentLogger(),
      view,
      onMessage: (kind, result, reason) => counted.push({ kind, result, ...(reason ? { reason } : {}) }),
      handlers: {
        hello: async (cluster, m) => void calls.push({ kind: "hello", cluster, body: m.cluster }),
        heartbeat: (cluster, m) => {
          calls.push({ kind: "heartbeat", cluster, body: m.cluster });
          capacities.push(m.capacity);
          view.heartbeat(cluster, m.capacity);
          return undefined;
        },
        status: async (cluster, m) => void calls.push({ kind: "status", cluster, body: m.cluster }),
        sync: async (cluster, m): Promise<DesiredState> => {
          calls.push({ kind: "sync", cluster, body: m.cluster });
          return DesiredState.parse({
            protocol: m.protocol,
            cluster,
            sentAt: new Date().toISOString(),
            kind: "desired",
            origin: "hub",
            revision: 1,
            fenceAfterSeconds: 60,
            placements: [],
          });
        },
        signals: (cluster, m) => void calls.push({ kind: "signals", cluster, body: m.cluster }),
      },
    });
    bus.start();
    await hubNc.flush();
    // Each cluster's own agent says hello, so its session is live and only the cluster check can stop a message.
    for (const c of ["a", "b"]) {
      agentNc.publish(subjects.hello(c), JSON.stringify(hello(c, `agent-${c}`)));
    }
    await until(() => handled("hello").length === 2, "both hellos");
  });
  afterAll(async () => {
    await bus?.close();
    await agentNc?.close();
    await hubNc?.close();
    await nats?.stop();
  });

  const status = (body: string, agentId: string): StatusMessage => ({
    ...envelope(body, agentId),
    kind: "status",
    full: false,
    revision: 0,
    statuses: [],
  });
  const sync = (body: string, agentId: string): SyncRequest => ({
    ...envelope(body, agentId),
    kind: "sync",
    revision: -1,
  });

  it("drops a status report on cluster a's subject whose body names cluster b, and applies a's own", async () => {
    const before = dropped("status", "cluster_mismatch");
    // Cluster a's agent (its own agent id, a growing sequence number) speaks for b on its own subject.
    agentNc.publish(subjects.status("a"), JSON.stringify(status("b", "agent-a")));
    agentNc.publish(subjects.status("a"), JSON.stringify(status("a", "agent-a")));
    await until(() => handled("status").length >= 1, "a's own status report");
    await bus.idle();
    expect(dropped("status", "cluster_mismatch")).toBe(before + 1);
    expect(handled("status")).toEqual([{ kind: "status", cluster: "a", body: "a" }]);
  });

  it("answers no sync whose body names another cluster, and answers the cluster's own", async () => {
    const before = dropped("sync", "cluster_mismatch");
    await expect(
      agentNc.request(subjects.sync("a"), JSON.stringify(sync("b", "agent-a")), { timeout: 1_500 }),
    ).rejects.toThrow();
    expect(dropped("sync", "cluster_mismatch")).toBe(before + 1);
    expect(handled("sync")).toEqual([]);
    const answer = await agentNc.request(subjects.sync("a"), JSON.stringify(sync("a", "agent-a")), { timeout: 10_000 });
    expect(answer.json<{ cluster: string }>().cluster).toBe("a");
    expect(handled("sync")).toEqual([{ kind: "sync", cluster: "a", body: "a" }]);
  });

  it("drops a hello and a heartbeat whose body names another cluster", async () => {
    const hellos = dropped("hello", "cluster_mismatch");
    const beats = dropped("heartbeat", "cluster_mismatch");
    agentNc.publish(subjects.hello("a"), JSON.stringify(hello("b", "agent-a")));
    agentNc.publish(
      subjects.heartbeat("a"),
      JSON.stringify({ ...envelope("b", "agent-a"), kind: "heartbeat", capacity: { nodes: [] } }),
    );
    await until(
      () => dropped("hello", "cluster_mismatch") > hellos && dropped("heartbeat", "cluster_mismatch") > beats,
      "both drops",
    );
    expect(handled("hello").every((c) => c.body === c.cluster)).toBe(true);
    expect(handled("heartbeat")).toEqual([]);
  });

  it("checks a heartbeat's capacity once: a repeat is the same object, a change or an invalid report is not", async () => {
    // Heartbeats are coalesced per cluster (only the newest counts): each waits until the one before was handled.
    const beat = async (capacity: unknown) => {
      const handledBefore = capacities.length;
      const invalidBefore = dropped("heartbeat", "invalid");
      agentNc.publish(
        subjects.heartbeat("b"),
        JSON.stringify({ ...envelope("b", "agent-b"), kind: "heartbeat", capacity }),
      );
      await until(
        () => capacities.length > handledBefore || dropped("heartbeat", "invalid") > invalidBefore,
        "the heartbeat handled or dropped",
      );
      return capacities.length > handledBefore ? capacities.at(-1) : undefined;
    };
    const node = { name: "n-0", count: 1, gpu: { model: "A100", count: 8, memoryGiB: 80 }, gpusUsed: 0 };
    const first = await beat({ nodes: [node] });
    expect(first?.nodes[0]).toMatchObject({ gpusUsed: 0, labels: {} });
    // The view's stored form (defaults filled in) repeated, and again with its keys in another order.
    const stored = JSON.parse(JSON.stringify(first)) as CapacityReport;
    expect(await beat(stored)).toBe(first);
    expect(await beat({ datasets: [], accountedWorkloads: [], nodes: stored.nodes })).toBe(first);
    // Equal but for one value that breaks the schema: checked again, and dropped.
    const invalid = dropped("heartbeat", "invalid");
    expect(await beat({ ...stored, nodes: [{ ...stored.nodes[0], gpusUsed: -1 }] })).toBeUndefined();
    expect(dropped("heartbeat", "invalid")).toBe(invalid + 1);
    // A report with a field the schema refuses, next to the repeated values.
    expect(await beat({ ...stored, extra: true })).toBeUndefined();
    const changed = await beat({ ...stored, nodes: [{ ...stored.nodes[0], gpusUsed: 3 }] });
    expect(changed).not.toBe(first);
    expect(changed?.nodes[0]?.gpusUsed).toBe(3);
    expect(view.get("b")?.capacity).toBe(changed);
  });
});
