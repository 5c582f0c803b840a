import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CapacityReport,
  type DesiredState,
  natsServerOptions,
  Placement,
  type PlacementStatus,
  PROTOCOL_VERSION,
  subjects,
} from "@gantry/shared";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Agent, createAgent } from "./agent.ts";
import type { ClusterDriver } from "./drivers/driver.ts";
import type { AgentLogger } from "./logger.ts";

// The agent package must not depend on the hub, so this file starts its own nats-server.

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/**
 * A nats-server where the agent of cluster `c1` may only publish under `gantry.v1.agent.c1.>` and
 * subscribe under `gantry.v1.hub.c1.>`, as in production; `hub` may do anything. It keeps the
 * server's log so a test can look for permission violations.
 */
const natsServer = async (dir: string, port: number) => {
  const config = join(dir, "nats.conf");
  await writeFile(
    config,
    `listen: "127.0.0.1:${port}"
authorization {
  users = [
    { user: hub, password: hub }
    { user: c1, password: c1, permissions: { publish: "gantry.v1.agent.c1.>", subscribe: "gantry.v1.hub.c1.>" } }
  ]
}
`,
  );
  let child: ChildProcess | undefined;
  let log = "";
  const start = async () => {
    const c = spawn("nats-server", ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
    child = c;
    c.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const spawnError = new Promise<never>((_, reject) =>
      c.once("error", (e) => reject(new Error(`cannot start nats-server (is it on PATH?): ${e.message}`))),
    );
    const deadline = Date.now() + 10_000;
    while (!(await Promise.race([listening(port), spawnError]))) {
      if (c.exitCode !== null) throw new Error(`nats-server exited with ${c.exitCode}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null) return resolve();
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  await start();
  return { url: (user: string) => `nats://${user}:${user}@127.0.0.1:${port}`, start, stop, log: () => log };
};

/** A driver that records what it is asked to converge on and reports it as running. */
const recordingDriver = () => {
  const reconciled: string[][] = [];
  let desired: readonly Placement[] = [];
  const listeners: (() => void)[] = [];
  const driver: ClusterDriver = {
    kind: "recording",
    start: async () => undefined,
    close: async () => undefined,
    describe: () => ({
      name: "c1",
      tier: "onprem",
      provider: "",
      region: "r",
      zone: "",
      labels: {},
      taints: [],
      pricing: { gpuHour: {}, spotGpuHour: {}, egressPerGB: 0 },
    }),
    capacity: (): CapacityReport => ({
      nodes: [],
      accountedWorkloads: desired.map((p) => ({ uid: p.uid, generation: p.generation })),
      datasets: [],
    }),
    async reconcile(d) {
      desired = d;
      reconciled.push(d.map((p) => p.workload));
      for (const l of listeners) l();
    },
    statuses: async (): Promise<PlacementStatus[]> =>
      desired.map((p) => ({
        uid: p.uid,
        tenant: p.tenant,
        workload: p.workload,
        generation: p.generation,
        phase: "Running",
        replicas: p.replicas,
        readyReplicas: p.replicas,
        message: "",
        events: [],
      })),
    onChange: (l) => listeners.push(l),
  };
  return { driver, reconciled, last: () => reconciled.at(-1) };
};

const aPlacement = (workload: string, generation = 1, type: "job" | "service" = "service"): Placement =>
  Placement.parse({
    uid: `uid-${workload}`,
    workload,
    tenant: "t",
    cluster: "c1",
    replicas: 1,
    generation,
    decisionId: `d-${workload}`,
    spec: { type },
  });

/** A desired state from the hub; a workload named `job-…` is a job (stopped when fenced), others services. */
const desired = (revision: number, workloads: string[], cluster = "c1", origin = "o1"): DesiredState => ({
  protocol: PROTOCOL_VERSION,
  cluster,
  sentAt: new Date().toISOString(),
  kind: "desired",
  origin,
  revision,
  fenceAfterSeconds: 60,
  unchanged: false,
  placements: workloads.map((w) => aPlacement(w, 1, w.startsWith("job-") ? "job" : "service")),
});

interface Seen {
  subject: string;
  body: { kind?: string; cluster?: string; statuses?: PlacementStatus[] };
}

/** The hub's side, as plain NATS subscriptions: records what agents send, answers sync requests. */
const fakeHub = async (url: string) => {
  const nc: NatsConnection = await connect({
    ...natsServerOptions(url),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  const seen: Seen[] = [];
  let answer: DesiredState = desired(0, []);
  /** How heartbeats are acknowledged: a lease of this many seconds, or not at all (no leader, partition). */
  let ack: { leaseSeconds: number; revision: number } | undefined = { leaseSeconds: 60, revision: 0 };
  nc.subscribe("gantry.v1.agent.>", {
    callback: (_, msg) => {
      const body = msg.json<Seen["body"]>();
      seen.push({ subject: msg.subject, body });
      if (body.kind === "sync" && msg.reply) msg.respond(JSON.stringify(answer));
      if (body.kind === "heartbeat" && msg.reply && ack) {
        msg.respond(JSON.stringify({ protocol: PROTOCOL_VERSION, kind: "ack", ...ack, registered: true }));
      }
    },
  });
  await nc.flush();
  return {
    nc,
    seen,
    kinds: (kind: string) => seen.filter((s) => s.body.kind === kind),
    answerWith(state: DesiredState) {
      answer = state;
    },
    ackWith(next: { leaseSeconds: number; revision: number } | undefined) {
      ack = next;
    },
    publish: (subject: string, state: unknown) => nc.publish(subject, JSON.stringify(state)),
  };
};

const quietLogger: AgentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const settle = (probe: () => unknown, timeout = 10_000) => expect.poll(probe, { timeout, interval: 25 });

describe("natsServerOptions", () => {
  it("lifts credentials out of the URL, which nats.js would ignore", () => {
    expect(natsServerOptions("nats://c%401:s3cret@127.0.0.1:4222")).toEqual({
      servers: "nats://127.0.0.1:4222",
      user: "c@1",
      pass: "s3cret",
    });
    expect(natsServerOptions("nats://127.0.0.1:4222")).toEqual({ servers: "nats://127.0.0.1:4222" });
    expect(natsServerOptions("127.0.0.1:4222")).toEqual({ servers: "127.0.0.1:4222" });
  });
});

describe("agent against a real nats-server", () => {
  let dir: string;
  let port: number;
  let nats: Awaited<ReturnType<typeof natsServer>>;
  let hub: Awaited<ReturnType<typeof fakeHub>>;
  let agent: Agent | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gantry-agent-test-"));
    port = await freePort();
    nats = await natsServer(dir, port);
  });
  afterAll(async () => {
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await hub?.nc.close();
    expect(nats.log()).not.toMatch(/Violation/i);
  });

  const startAgent = async (config: { resyncIntervalMs?: number } = {}) => {
    const recording = recordingDriver();
    agent = createAgent({
      config: {
        cluster: "c1",
        natsUrl: nats.url("c1"),
        agentId: "agent-1",
        heartbeatIntervalMs: 100,
        statusIntervalMs: 60_000,
        resyncIntervalMs: config.resyncIntervalMs ?? 60_000,
      },
      driver: recording.driver,
      logger: quietLogger,
    });
    await agent.start();
    return { agent, ...recording };
  };

  it("says hello and sends heartbeats under its own cluster's subjects only", async () => {
    hub = await fakeHub(nats.url("hub"));
    await startAgent();
    await settle(() => hub.kinds("heartbeat").length).toBeGreaterThanOrEqual(3);
    const hello = hub.kinds("hello")[0];
    expect(hello?.subject).toBe(subjects.hello("c1"));
    expect(hello?.body).toMatchObject({
      cluster: "c1",
      agentId: "agent-1",
      driver: "recording",
      description: { name: "c1" },
    });
    const seqs = hub.kinds("heartbeat").map((h) => (h.body as { seq: number }).seq);
    // Sequence numbers only grow (and start from the clock, so they keep growing across restarts).
    expect(seqs.every((v, i) => i === 0 || v > (seqs[i - 1] ?? 0))).toBe(true);
    expect(seqs[0]).toBeGreaterThan(Date.now() * 1_000 - 60_000_000);
    for (const m of hub.seen) {
      expect(m.subject.startsWith(`${subjects.agentPrefix("c1")}.`)).toBe(true);
      expect(m.body.cluster).toBe("c1");
    }
  });

  it("pulls its desired state on start and converges on the reply, then reports status", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(4, ["alpha", "beta"]));
    const { agent: a, last } = await startAgent();
    expect(hub.kinds("sync")[0]?.subject).toBe(subjects.sync("c1"));
    await a.idle();
    expect(last()).toEqual(["alpha", "beta"]);
    expect(a.revision).toBe(4);
    await settle(() =>
      hub
        .kinds("status")
        .at(-1)
        ?.body.statuses?.map((s) => s.workload),
    ).toEqual(["alpha", "beta"]);
  });

  it("converges on a pushed desired state and drops one with a lower revision", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(5, ["alpha"]));
    const { agent: a, reconciled } = await startAgent();
    await a.idle();
    hub.publish(subjects.desired("c1"), desired(3, ["stale"]));
    hub.publish(subjects.desired("c1"), desired(6, ["alpha", "gamma"]));
    await settle(() => a.revision).toBe(6);
    await a.idle();
    expect(reconciled.at(-1)).toEqual(["alpha", "gamma"]);
    expect(reconciled.flat()).not.toContain("stale");
  });

  it("drops a desired state whose body names another cluster, or that is not valid", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(1, ["alpha"]));
    const { agent: a, reconciled } = await startAgent();
    await a.idle();
    hub.publish(subjects.desired("c1"), desired(9, ["foreign"], "c2"));
    hub.publish(subjects.desired("c1"), { kind: "desired", revision: 10 });
    hub.nc.publish(subjects.desired("c1"), "not json");
    hub.publish(subjects.desired("c1"), desired(2, ["beta"]));
    await settle(() => a.revision).toBe(2);
    await a.idle();
    expect(reconciled.flat()).not.toContain("foreign");
    expect(reconciled.at(-1)).toEqual(["beta"]);
  });

  it("ignores a sync reply whose revision went back, but takes a new origin whatever its revision", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(7, ["alpha"]));
    const { agent: a, last } = await startAgent({ resyncIntervalMs: 200 });
    await a.idle();
    expect(a.revision).toBe(7);
    // A late or replayed answer from the same origin must not make the agent delete what the hub still wants.
    hub.answerWith(desired(1, ["stale"]));
    await new Promise((r) => setTimeout(r, 600));
    expect(a.revision).toBe(7);
    // The cluster was registered again (or the hub's database is new): revisions count anew.
    hub.answerWith(desired(1, ["restored"], "c1", "o2"));
    await settle(() => a.revision).toBe(1);
    await a.idle();
    expect(last()).toEqual(["restored"]);
  });

  it("asks for the full desired state when a heartbeat ack says it is behind", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(1, ["alpha"]));
    const { agent: a, last } = await startAgent();
    await a.idle();
    hub.answerWith(desired(3, ["alpha", "beta"]));
    hub.ackWith({ leaseSeconds: 60, revision: 3 });
    await settle(() => a.revision).toBe(3);
    await a.idle();
    expect(last()).toEqual(["alpha", "beta"]);
  });

  it("stops its jobs but keeps its services when its lease runs out, and reports them fenced", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(1, ["job-train", "svc"]));
    hub.ackWith({ leaseSeconds: 0.6, revision: 1 });
    const { agent: a, last } = await startAgent();
    await a.idle();
    expect(last()).toEqual(["job-train", "svc"]);
    // The hub stops answering (partition, no leader): past the lease the job stops, the service keeps serving.
    hub.ackWith(undefined);
    await settle(() => a.fenced, 5_000).toBe(true);
    await a.idle();
    expect(last()).toEqual(["svc"]);
    await settle(() => {
      const statuses = hub.kinds("status").at(-1)?.body.statuses ?? [];
      return statuses.find((x) => x.workload === "job-train")?.reason;
    }).toBe("fenced");
    // The hub answers again: the job stays stopped (the hub decides whether it runs again, and where).
    hub.ackWith({ leaseSeconds: 60, revision: 1 });
    await settle(() => a.fenced, 5_000).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(last()).toEqual(["svc"]);
  });

  it("after an outage, reports the jobs it fenced while cut off before it pulls the state that forgets them", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(1, ["job-train", "svc"]));
    hub.ackWith({ leaseSeconds: 0.6, revision: 1 });
    const { agent: a, last } = await startAgent();
    await a.idle();
    expect(last()).toEqual(["job-train", "svc"]);

    await nats.stop();
    // Cut off past its lease: the job stops, and what the agent says about it now is published into a dead link.
    await settle(() => a.fenced, 5_000).toBe(true);
    await a.idle();
    expect(last()).toEqual(["svc"]);
    // Meanwhile the hub moved the job elsewhere: the desired state the agent will pull no longer has it.
    hub.answerWith(desired(2, ["svc"]));
    const before = hub.seen.length;
    await nats.start();

    await settle(() => a.revision, 20_000).toBe(2);
    const after = hub.seen.slice(before);
    const fenced = after.findIndex(
      (m) =>
        m.body.kind === "status" && m.body.statuses?.some((x) => x.workload === "job-train" && x.reason === "fenced"),
    );
    const synced = after.findIndex((m) => m.body.kind === "sync");
    expect(fenced).toBeGreaterThanOrEqual(0);
    expect(fenced).toBeLessThan(synced);
  });

  it("reconnects after the server restarts on the same port, says hello again and resyncs", async () => {
    hub = await fakeHub(nats.url("hub"));
    hub.answerWith(desired(1, ["alpha"]));
    const { agent: a, last } = await startAgent();
    await a.idle();
    const hellos = hub.kinds("hello").length;
    const syncs = hub.kinds("sync").length;
    expect(hellos).toBe(1);
    expect(syncs).toBe(1);

    await nats.stop();
    // While the server was down the hub decided something new; the agent must pull it.
    hub.answerWith(desired(2, ["alpha", "beta"]));
    await nats.start();

    await settle(() => hub.kinds("hello").length, 20_000).toBeGreaterThan(hellos);
    await settle(() => hub.kinds("sync").length, 20_000).toBeGreaterThan(syncs);
    await settle(() => a.revision, 20_000).toBe(2);
    await a.idle();
    expect(last()).toEqual(["alpha", "beta"]);
  });
});
