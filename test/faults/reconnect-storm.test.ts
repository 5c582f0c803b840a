import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagedProcess, REPO_ROOT, spawnProcess } from "../support/processes.ts";
import { seconds, writeFigures } from "./support/figures.ts";
import { counter } from "./support/http.ts";
import { aJob, aService, type DatabaseKind, eventually, type FaultStack, startFaultStack } from "./support/stack.ts";
import { stormFleet } from "./support/storm-fleet.ts";

/**
 * 1,000 agents on PostgreSQL. On PGlite, 250 by default: connecting 1,000 to the embedded database takes ~2 minutes
 * on this machine (every hello and first sync is a query in the hub's own thread), too long for the suite's budget;
 * GANTRY_FAULTS_PGLITE_STORM=1000 runs the full storm there too.
 */
const RUNS: [DatabaseKind, number][] = [
  ["postgres", 1_000],
  ["pglite", Number(process.env.GANTRY_FAULTS_PGLITE_STORM ?? 250)],
];
/** A thousand agents on a loaded 2-core machine: health and leases with room for a slow reconnect. */
const STORM_ENV = {
  GANTRY_UNKNOWN_AFTER_MS: "15000",
  GANTRY_OFFLINE_AFTER_MS: "30000",
  GANTRY_FENCE_AFTER_MS: "60000",
  GANTRY_FAILOVER_AFTER_MS: "70000",
};

describe.each(RUNS)("a reconnect storm of simulated agents against one hub (%s, %i agents)", (database, AGENTS) => {
  let s: FaultStack;
  let storm: ManagedProcess;
  beforeAll(async () => {
    s = await startFaultStack({ scenario: "reconnect-storm", database, hubEnv: STORM_ENV });
    await s.readyClusters();
    const fleet = stormFleet(AGENTS, "storm");
    // Operators register them (25 at a time), then one process starts all their agents.
    for (let i = 0; i < fleet.clusters.length; i += 25) {
      const answers = await Promise.all(
        fleet.clusters.slice(i, i + 25).map(({ nodes: _n, health: _h, ...d }) => s.api.register(d)),
      );
      const bad = answers.find((a) => a.status !== 201);
      if (bad) throw new Error(`registering storm clusters: ${bad.status} ${JSON.stringify(bad.body)}`);
    }
    storm = await spawnProcess({
      name: "storm-agents",
      command: process.execPath,
      args: [
        "--import",
        "tsx",
        join(REPO_ROOT, "test/faults/support/many-agents.ts"),
        "--nats",
        s.natsUrl,
        "--count",
        String(AGENTS),
      ],
      logFile: join(s.logDir, "storm-agents.log"),
      ready: async (self) => {
        await self.waitForOutput(/ready \d+/, 240_000);
      },
      readyTimeoutMs: 240_000,
    });
  }, 400_000);
  afterAll(async () => s?.close());

  const readyCount = async () => [...(await s.clusterHealth()).values()].filter((h) => h === "ready").length;

  it("every agent reconnects at once after nats-server restarts: every cluster is ready again, the API answers throughout, nothing is lost", async () => {
    const total = AGENTS + s.fleet.clusters.length;
    const firstReady = await eventually(
      async () => ((await readyCount()) === total ? Date.now() : undefined),
      "every cluster ready",
      240_000,
      500,
    );
    const job = await s.submit(aJob("storm-train"));
    const svc = await s.submit(aService("storm-chat"));
    await s.waitPhase(job.metadata, ["Running"]);
    await s.waitPhase(svc.metadata, ["Running"]);
    void firstReady;

    // Probe the API every 250 ms through the storm.
    const latencies: number[] = [];
    const failures: string[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const r = await s.api.call("GET", "/api/v1/tenants/team-a/workloads/storm-train", undefined, {
          timeoutMs: 60_000,
        });
        latencies.push(r.status === 200 ? r.ms : Number.POSITIVE_INFINITY);
        if (r.status !== 200)
          failures.push(`${r.status} after ${Math.round(r.ms)} ms ${r.error ?? JSON.stringify(r.body).slice(0, 100)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await s.nats.kill9();
    await new Promise((r) => setTimeout(r, 1_000));
    const restartAt = Date.now();
    await s.nats.restart();
    // Back = the hub has heard every cluster since the restart (health alone stays "ready" for a while on old news).
    const heardSince = async () =>
      (await s.api.clusters()).body.items.filter((c) => c.lastSeenAt && Date.parse(c.lastSeenAt) > restartAt).length;
    const allBack = await eventually(
      async () => ((await heardSince()) === total ? Date.now() : undefined),
      "every cluster heard again",
      300_000,
      500,
    );
    const greeted = new Set(
      s.recorder.messages.filter((m) => m.kind === "hello" && m.arrivedAt > restartAt).map((m) => m.cluster),
    ).size;
    const during = await s.api.submit(aJob("storm-after", {}, 2));
    await s.waitPhase({ tenant: "team-a", name: "storm-after" }, ["Running"], 120_000);
    probing = false;
    await probe;

    const metrics = (await s.api.metrics()).body;
    const overload = counter(metrics, "gantry_agent_messages_total", { reason: "overload" });
    const rss = counter(metrics, "gantry_hub_process_resident_memory_bytes");
    const fenced = s.recorder.statuses().filter((r) => r.report.statuses.some((st) => st.reason === "fenced")).length;
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? Number.NaN;
    const result = await s.verify(() => ["Running"]);
    writeFigures({
      scenario: "reconnect-storm",
      database,
      figures: {
        recovery_s: seconds(allBack - restartAt),
        api_p99_s: seconds(p99),
        api_max_s: seconds(sorted.at(-1)),
        overload_drops: overload,
        hub_rss_mib: Math.round(rss / 1_048_576),
        fenced_reports: fenced,
        api_failures: failures.length,
        hellos_recorded_again: greeted,
      },
      lost: result.lost.length,
      doubleRuns: result.doubles.length,
      notes: [
        `${AGENTS} agents in one process (each with its own NATS connection, heartbeat 2 s) plus 3 agent processes; nats-server killed and restarted after 1 s; recovery = restart until the hub has heard all ${total} clusters again; the API probed every 250 ms throughout${failures.length > 0 ? `; first failed probe: ${failures[0]}` : ""}.`,
      ],
    });
    expect(storm.alive).toBe(true);
    expect(s.hubs[0]!.alive).toBe(true);
    expect(during.status).toBe(201);
    expect(sorted.at(-1)).toBeLessThan(10_000);
    expect(fenced).toBe(0);
    expect(result.lost).toEqual([]);
    expect(result.doubles).toEqual([]);
  });
});
