import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Fleet, type FleetInput, type WorkloadInput } from "@gantry/shared";
import { freePort } from "../../support/ports.ts";
import { createTestDatabase, type TestDatabase } from "../../support/postgres.ts";
import {
  type HubProcess,
  killAll,
  type ManagedProcess,
  REPO_ROOT,
  startAgentProcess,
  startHubProcess,
  startNatsProcess,
} from "../../support/processes.ts";
import { type Recorder, startRecorder } from "../../support/recorder.ts";
import {
  type AcceptedWorkload,
  type ClusterHalt,
  clockOffsets,
  type DoubleRun,
  doubleRuns,
  lostWorkloads,
  type ObservedWorkload,
  type RunInterval,
  runIntervals,
} from "../../support/reliability.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { type Api, createApi, Ledger } from "./http.ts";

export type DatabaseKind = "postgres" | "pglite";

/**
 * Hub settings for the suite: short enough that a scenario takes seconds, long enough that a loaded 2-core machine
 * does not flap (an agent heartbeats every 500 ms; it is fenced after 8 missed acks).
 */
export const HUB_ENV: Record<string, string> = {
  GANTRY_UNKNOWN_AFTER_MS: "3000",
  GANTRY_OFFLINE_AFTER_MS: "6000",
  GANTRY_FENCE_AFTER_MS: "4000",
  GANTRY_STOP_GRACE_MS: "2000",
  GANTRY_FAILOVER_AFTER_MS: "8000",
  GANTRY_LEASE_TTL_MS: "4000",
  GANTRY_LEASE_RENEW_MS: "1000",
  GANTRY_QUEUE_INTERVAL_MS: "500",
  GANTRY_RELAY_INTERVAL_MS: "500",
  GANTRY_UPKEEP_INTERVAL_MS: "500",
  // Spend is checked within seconds of real time (clock skew): accrue on every tick, not once a minute.
  GANTRY_ACCRUE_EVERY_MS: "1",
};
/** What workloads ask for (`spec.failover.afterSeconds`); above fence + stop grace (6 s), so it is what applies. */
export const FAILOVER_AFTER_S = 8;
export const FENCE_AFTER_MS = Number(HUB_ENV.GANTRY_FENCE_AFTER_MS);

export interface AgentTimings {
  heartbeatMs: number;
  statusMs: number;
  resyncMs: number;
  /** Real seconds per simulated hour (a job's `durationHours` runs this many seconds per hour). */
  secondsPerHour: number;
}
const AGENT_DEFAULTS: AgentTimings = { heartbeatMs: 500, statusMs: 2_000, resyncMs: 3_000, secondsPerHour: 1 };

/** Three clusters of two 8×A100 nodes, priced so placement order is alpha, then beta, then gamma. */
export const threeClusters = (): FleetInput => ({
  clusters: [
    { name: "alpha", tier: "onprem" as const, provider: "self", region: "eu-central-1", price: 1.0 },
    { name: "beta", tier: "cloud" as const, provider: "aws", region: "us-east-1", price: 2.0 },
    { name: "gamma", tier: "cloud" as const, provider: "gcp", region: "europe-west4", price: 3.0 },
  ].map(({ price, ...c }) => ({
    ...c,
    pricing: { gpuHour: { A100: price }, egressPerGB: 0 },
    nodes: [{ name: "a100", count: 2, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 96, memoryGiB: 1024 }],
  })),
  datasets: [],
});

/** A job of `gpus` A100s that runs `hours` simulated hours; restartable unless told otherwise. */
export const aJob = (name: string, over: Partial<WorkloadInput["spec"]> = {}, gpus = 4): WorkloadInput => ({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name, tenant: "team-a" },
  spec: {
    type: "job",
    replicas: 1,
    durationHours: 600,
    restartable: true,
    failover: { afterSeconds: FAILOVER_AFTER_S },
    resources: { gpu: { count: gpus, models: ["A100"] }, cpu: 8, memoryGiB: 64 },
    template: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
    },
    ...over,
  },
});

/** A service of `replicas` one-GPU replicas. */
export const aService = (name: string, over: Partial<WorkloadInput["spec"]> = {}): WorkloadInput => ({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name, tenant: "team-b" },
  spec: {
    type: "service",
    replicas: 2,
    failover: { afterSeconds: FAILOVER_AFTER_S },
    resources: { gpu: { count: 1, models: ["A100"] }, cpu: 2, memoryGiB: 8 },
    template: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "busybox" }] } },
      },
    },
    ...over,
  },
});

export interface FaultStackOptions {
  scenario: string;
  database: DatabaseKind;
  fleet?: FleetInput;
  /** Hub replicas on one database (PostgreSQL only when more than one). */
  hubs?: number;
  hubEnv?: Record<string, string>;
  agent?: Partial<AgentTimings>;
  /** Clusters whose agent reaches NATS through a proxy of its own (to partition it). */
  natsProxied?: string[];
  /** Hubs reach PostgreSQL through a proxy (to cut or blackhole the database). */
  pgProxy?: boolean;
  /** Per cluster: shift its agent's wall clock by this many ms. */
  clockOffsetMs?: Record<string, number>;
}

export interface VerifyResult {
  lost: { workload: string; problem: string }[];
  doubles: DoubleRun[];
  runs: RunInterval[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value (not undefined); fail naming `what` and the last observation. */
export const eventually = async <T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(everyMs);
  }
};

/**
 * Gantry as separate OS processes on this machine: nats-server, hub replicas (`gantry hub`) on PostgreSQL or PGlite,
 * one simulated agent process per cluster (`gantry agent --sim`), optional TCP proxies in front of NATS (per agent)
 * and PostgreSQL, and a recorder of every agent message. Every call to a hub goes through `api`.
 */
export const startFaultStack = async (o: FaultStackOptions) => {
  const fleet = Fleet.parse(o.fleet ?? threeClusters());
  const timings: AgentTimings = { ...AGENT_DEFAULTS, ...o.agent };
  const logDir = join(REPO_ROOT, ".gantry/faults/logs", `${o.scenario}--${o.database}`);
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const fleetFile = join(logDir, "fleet.json");
  writeFileSync(fleetFile, JSON.stringify(fleet, null, 2));

  const hubCount = o.hubs ?? 1;
  if (hubCount > 1 && o.database !== "postgres") throw new Error("several hub replicas need PostgreSQL");
  const natsPort = await freePort();
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  const nats = await startNatsProcess({ port: natsPort, logDir });
  const recorder: Recorder = await startRecorder(natsUrl);

  let pgdb: TestDatabase | undefined;
  let pgProxy: TcpProxy | undefined;
  let database: { url: string } | { dataDir: string };
  if (o.database === "postgres") {
    pgdb = await createTestDatabase();
    if (o.pgProxy) {
      const u = new URL(pgdb.url);
      pgProxy = await startTcpProxy({ port: Number(u.port || 5432) });
      u.port = String(pgProxy.port);
      database = { url: u.toString() };
    } else database = { url: pgdb.url };
  } else {
    database = { dataDir: join(logDir, "pglite") };
  }

  // The first hub mints the admin token into a folder every replica shares (the others find it valid and keep it);
  // the suite calls the API with it. Rate limits are raised: a reconnect storm registers a thousand clusters.
  const tokenDir = join(logDir, "hub-data");
  mkdirSync(tokenDir, { recursive: true });
  const auth = {
    GANTRY_BOOTSTRAP_ADMIN_TOKEN: "true",
    GANTRY_RATE_LIMIT_PER_SECOND: "100000",
    GANTRY_RATE_LIMIT_BURST: "100000",
    ...("url" in database ? { GANTRY_DATA_DIR: tokenDir } : {}),
  };
  const startHub = async (i: number) =>
    startHubProcess({
      name: `hub-${String.fromCharCode(97 + i)}`,
      port: await freePort(),
      natsUrl,
      database,
      env: { ...HUB_ENV, ...auth, ...o.hubEnv },
      logDir,
    });
  const first = await startHub(0);
  const hubs: HubProcess[] = [
    first,
    ...(await Promise.all(Array.from({ length: hubCount - 1 }, (_, i) => startHub(i + 1)))),
  ];
  const token = readFileSync(join("url" in database ? tokenDir : database.dataDir, "admin.token"), "utf8").trim();
  const paused = new Set<string>();
  const ledger = new Ledger();
  const liveHub = () => hubs.find((h) => h.alive && !paused.has(h.name)) ?? hubs[0]!;
  const api: Api = createApi({ baseUrl: () => liveHub().url, ledger, token });

  // Operators register the clusters before their agents start: registered clusters get work.
  for (const { nodes: _n, health: _h, ...description } of fleet.clusters) {
    const r = await api.register(description, hubs[0]!.url);
    if (r.status !== 201) throw new Error(`registering ${description.name}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  const natsProxies = new Map<string, TcpProxy>();
  for (const c of o.natsProxied ?? []) natsProxies.set(c, await startTcpProxy({ port: natsPort }));
  const agentNatsUrl = (cluster: string) => {
    const proxy = natsProxies.get(cluster);
    return proxy ? `nats://127.0.0.1:${proxy.port}` : natsUrl;
  };

  const agents = new Map<string, ManagedProcess>();
  const halts: ClusterHalt[] = [];
  const startAgent = async (cluster: string) => {
    const p = await startAgentProcess({
      cluster,
      fleetFile,
      natsUrl: agentNatsUrl(cluster),
      ...timings,
      ...(o.clockOffsetMs?.[cluster] ? { clockOffsetMs: o.clockOffsetMs[cluster] } : {}),
      logDir,
    });
    agents.set(cluster, p);
    return p;
  };
  await Promise.all(fleet.clusters.map((c) => startAgent(c.name)));

  const stack = {
    scenario: o.scenario,
    database: o.database,
    fleet,
    timings,
    natsUrl,
    natsPort,
    nats,
    hubs,
    agents,
    natsProxies,
    pgProxy,
    pgdb,
    recorder,
    ledger,
    api,
    halts,
    logDir,

    agent(cluster: string): ManagedProcess {
      const a = agents.get(cluster);
      if (!a) throw new Error(`no agent for ${cluster}`);
      return a;
    },
    /** kill -9 a cluster's agent: its simulated cluster dies with it (recorded for the checker). */
    async killAgent(cluster: string): Promise<number> {
      const at = Date.now();
      await stack.agent(cluster).kill9();
      halts.push({ cluster, at, why: "killed" });
      return at;
    },
    /** SIGSTOP a cluster's agent: its simulated cluster freezes with it (recorded for the checker). */
    async pauseAgent(cluster: string): Promise<number> {
      const at = Date.now();
      await stack.agent(cluster).pause();
      halts.push({ cluster, at, why: "frozen" });
      return at;
    },
    /** Start the cluster's agent again: a new process, an empty cluster that pulls its desired state. */
    async restartAgent(cluster: string): Promise<void> {
      const a = stack.agent(cluster);
      if (a.alive) halts.push({ cluster, at: Date.now(), why: "killed" });
      await a.restart();
    },
    async pauseHub(h: HubProcess): Promise<void> {
      paused.add(h.name);
      await h.pause();
    },
    async resumeHub(h: HubProcess): Promise<void> {
      await h.resume();
      paused.delete(h.name);
    },

    /** The replica that says it leads (undefined when none answers so). */
    async leader(): Promise<HubProcess | undefined> {
      for (const h of hubs) {
        if (!h.alive || paused.has(h.name)) continue;
        const r = await api.readyz(h.url);
        if (r.status === 200 && r.body.leader === true) return h;
      }
      return undefined;
    },

    async clusterHealth(baseUrl?: string): Promise<Map<string, string>> {
      const r = await api.clusters(baseUrl);
      if (r.status !== 200) throw new Error(`GET /clusters: ${r.status}`);
      return new Map(r.body.items.map((c) => [c.name, c.health]));
    },
    /** Wait until the named clusters (all by default) are ready; returns the time it took (ms). */
    async readyClusters(names = fleet.clusters.map((c) => c.name), timeoutMs = 120_000): Promise<number> {
      const started = Date.now();
      await eventually(
        async () => {
          const h = await stack.clusterHealth();
          return names.every((n) => h.get(n) === "ready") ? true : undefined;
        },
        `clusters ${names.join(", ")} ready`,
        timeoutMs,
        200,
      );
      return Date.now() - started;
    },

    /** Wait until the hub has heard `cluster` after `since` (a heartbeat since the fault was repaired); returns when. */
    async heardAfter(cluster: string, since: number, timeoutMs = 120_000): Promise<number> {
      return eventually(
        async () => {
          const c = (await api.clusters()).body.items.find((x) => x.name === cluster);
          return c?.lastSeenAt && Date.parse(c.lastSeenAt) > since ? Date.now() : undefined;
        },
        `the hub to hear ${cluster} again`,
        timeoutMs,
        100,
      );
    },

    async submit(w: WorkloadInput) {
      const r = await api.submit(w);
      if (r.status !== 201 && r.status !== 200)
        throw new Error(`submit ${w.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    /** Wait until the workload is in one of `phases`; returns the view. */
    async waitPhase(w: { tenant: string; name: string }, phases: string[], timeoutMs = 90_000) {
      return eventually(
        async () => {
          const r = await api.workload(w.tenant, w.name);
          return r.status === 200 && phases.includes(r.body.status.phase) ? r.body : undefined;
        },
        `${w.tenant}/${w.name} to be ${phases.join(" or ")}`,
        timeoutMs,
        200,
      );
    },
    /** The clusters where a workload's current placements are. */
    async placedOn(w: { tenant: string; name: string }): Promise<string[]> {
      const r = await api.workload(w.tenant, w.name);
      if (r.status !== 200) return [];
      return r.body.status.placements
        .filter((p) => p.active && p.generation === r.body.status.generation)
        .map((p) => p.cluster);
    },

    /** Everything the checker says, from the recorder and the ledger. */
    runs(): RunInterval[] {
      return runIntervals(recorder.messages, recorder.statuses(), halts);
    },
    doubles(): DoubleRun[] {
      return doubleRuns(stack.runs(), ledger.jobUids);
    },
    /**
     * Wait (up to `timeoutMs`) until every accepted workload exists, with the uid it was accepted as, in an expected
     * phase; then compute the double runs. Returns what was still wrong at the deadline rather than throwing, so the
     * scenario records figures and then asserts.
     */
    async verify(expected: (w: AcceptedWorkload) => readonly string[], timeoutMs = 90_000): Promise<VerifyResult> {
      const deadline = Date.now() + timeoutMs;
      let lost: VerifyResult["lost"] = [];
      for (;;) {
        const observed = new Map<string, ObservedWorkload | undefined>();
        for (const a of ledger.accepted) {
          const r = await api.workload(a.tenant, a.name);
          observed.set(
            `${a.tenant}/${a.name}`,
            r.status === 200 ? { uid: r.body.metadata.uid, phase: r.body.status.phase } : undefined,
          );
        }
        lost = lostWorkloads(ledger.accepted, observed, expected);
        if (lost.length === 0 || Date.now() > deadline) break;
        await sleep(500);
      }
      const runs = stack.runs();
      const doubles = doubleRuns(runs, ledger.jobUids);
      stack.dump({ lost, doubles, runs });
      return { lost, doubles, runs };
    },

    /** Keep what the checker saw next to the processes' logs, for whoever reads a failure. */
    dump(result: VerifyResult): void {
      const offsets = Object.fromEntries(clockOffsets(recorder.messages));
      writeFileSync(
        join(logDir, "checker.json"),
        JSON.stringify({ ...result, offsets, halts, accepted: ledger.accepted }, null, 1),
      );
      writeFileSync(
        join(logDir, "statuses.jsonl"),
        recorder
          .statuses()
          .map((r) => JSON.stringify({ arrivedAt: r.arrivedAt, ...r.report }))
          .join("\n"),
      );
    },

    async close(): Promise<void> {
      await recorder.close().catch(() => undefined);
      await killAll();
      for (const p of natsProxies.values()) await p.close();
      await pgProxy?.close();
      await pgdb?.drop().catch(() => undefined);
      rmSync(join(logDir, "pglite"), { recursive: true, force: true });
    },
  };
  return stack;
};
export type FaultStack = Awaited<ReturnType<typeof startFaultStack>>;

/** Run `fn` every `everyMs` until stopped; collects its results (a load generator, a prober). */
export const every = <T>(everyMs: number, fn: () => Promise<T>) => {
  const results: T[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      results.push(await fn());
      await sleep(everyMs);
    }
  })();
  return {
    results,
    async stop(): Promise<T[]> {
      stopped = true;
      await loop;
      return results;
    },
  };
};
