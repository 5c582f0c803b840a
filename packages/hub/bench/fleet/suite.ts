/**
 * `pnpm bench --only fleet`: one hub, as its own built process (packages/hub/dist), against a real nats-server (no
 * authentication: the JWT checks are the server's work, not the hub's) and a fresh PostgreSQL database on
 * 127.0.0.1:5432, with N simulated clusters heartbeating every 5 s in the real message format (agents.ts: the real
 * agent code, a few hundred clusters per NATS connection). It measures what issue 12 sets targets for.
 */
import { type ChildProcess, fork, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Fleet, type FleetCluster } from "@gantry/shared";
import pg from "pg";
import { createStore, openDatabase } from "../../src/index.ts";
import type { FromAgents, ToAgents } from "./agents.ts";
import { loadAverage, median, percentile, sampleProcess } from "./proc.ts";

export interface FleetOptions {
  clusters: number[];
  /** Workloads stored before the list and restart measurements. */
  workloads: number;
  /** Workloads whose submit → 201 and submit → Running are timed (the first ones, 20 clients). */
  timed: number;
  steadySeconds: number;
  /** The fill stops after this long, and the run reports how many it stored. */
  fillSeconds: number;
  heartbeatMs: number;
  perConnection: number;
  perProcess: number;
  clients: number;
  databaseUrl: string;
}

export interface FleetRow {
  clusters: number;
  load: string;
  idleRssMiB: number;
  registerSeconds: number;
  allReadySeconds: number;
  cpuCores: number;
  rssMiB: number;
  heartbeatRttP50: number;
  heartbeatRttP99: number;
  heartbeatTimeouts: number;
  submit201P50: number;
  submit201P99: number;
  submitRunningP50: number;
  submitRunningP99: number;
  runningLagP99: number;
  runningSeen: number;
  fillPerSecond: number;
  listP50: number;
  listP99: number;
  /** The same pages once every workload is placed. */
  settledListP50: number;
  settledListP99: number;
  slowConsumers: number;
  restartApiSeconds: number;
  restartSyncedSeconds: number;
  restartRssMiB: number;
  storedWorkloads: number;
  /** Refused submits by status and problem code. */
  submitFailures: Record<string, number>;
}

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const BUNDLE = join(REPO, "packages/hub/dist/gantry.mjs");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const until = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`fleet bench: ${what} not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
};

/** The benchmark's clusters: two nodes of 8 A100s each, so 10,000 one-GPU workloads fit even at 1,000 clusters. */
export const benchFleet = (n: number): FleetCluster[] =>
  Fleet.parse({
    clusters: Array.from({ length: n }, (_, i) => ({
      name: `bench-${String(i).padStart(5, "0")}`,
      tier: "cloud",
      provider: "bench",
      region: ["us-west-2", "us-east-1", "eu-west-1"][i % 3],
      pricing: { gpuHour: { A100: 2 + (i % 7) * 0.25 }, egressPerGB: 0 },
      nodes: [{ name: "a100", count: 2, gpu: { model: "A100", count: 8, memoryGiB: 80 }, cpu: 96, memoryGiB: 1024 }],
    })),
    datasets: [],
  }).clusters;

export const aJob = (name: string) => ({
  apiVersion: "gantry.dev/v1alpha1",
  kind: "Workload",
  metadata: { name, tenant: "bench" },
  spec: {
    type: "job",
    replicas: 1,
    durationHours: 1_000,
    resources: { gpu: { count: 1, models: ["A100"] }, cpu: 4, memoryGiB: 16 },
    // A valid Job: the hub checks templates against Kubernetes' schemas (an empty spec is refused with 400).
    template: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } } },
    },
  },
});

interface Hub {
  child: ChildProcess;
  url: string;
  startedAt: number;
}

/**
 * GANTRY_BENCH_HUB_NODE_ARGS: node flags for the hub, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it
 * under load. A profile is written only on a clean exit, so then the first hub is stopped with SIGTERM, not kill -9.
 */
const PROFILE = (process.env.GANTRY_BENCH_HUB_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");

const startHub = async (env: Record<string, string>, port: number, log: string): Promise<Hub> => {
  const startedAt = performance.now();
  const out = (await import("node:fs")).openSync(log, "a");
  const child = spawn(process.execPath, [...PROFILE, BUNDLE, "hub", "--port", String(port), "--host", "127.0.0.1"], {
    env: { ...process.env, ...env, NODE_OPTIONS: "" },
    stdio: ["ignore", out, out],
  });
  return { child, url: `http://127.0.0.1:${port}`, startedAt };
};

/** Run `fn` over `items` with `clients` concurrent callers. */
const pool = async <T>(items: T[], clients: number, fn: (item: T) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
};

/**
 * Register the fleet as operators would, through the store's own `register` (what POST /clusters runs), before the
 * hub starts: ten thousand registrations through a loaded hub take minutes and are not what is measured. The hub
 * loads them into its fleet view at start.
 */
const registerAll = async (url: string, fleet: FleetCluster[], clients: number): Promise<number> => {
  const start = performance.now();
  const database = await openDatabase({ url });
  try {
    const store = createStore(database.db);
    await pool(fleet, clients, async ({ nodes: _n, health: _h, name, ...registration }) => {
      await store.clusters.register(name, registration, new Date());
    });
  } finally {
    await database.close();
  }
  return (performance.now() - start) / 1_000;
};

const runOnce = async (n: number, o: FleetOptions): Promise<FleetRow> => {
  const dir = mkdtempSync(join(tmpdir(), `gantry-fleet-${n}-`));
  const natsPort = await freePort();
  const monitorPort = await freePort();
  const hubPort = await freePort();
  const nats = spawn(
    "nats-server",
    ["-a", "127.0.0.1", "-p", String(natsPort), "-m", String(monitorPort), "-l", join(dir, "nats.log")],
    { stdio: "ignore" },
  );
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  const admin = new pg.Client({ connectionString: o.databaseUrl });
  await admin.connect();
  const dbName = `gantry_bench_fleet_${n}_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(o.databaseUrl);
  dbUrl.pathname = `/${dbName}`;
  const env = {
    DATABASE_URL: dbUrl.toString(),
    NATS_URL: natsUrl,
    GANTRY_DATA_DIR: join(dir, "data"),
    GANTRY_HUB_ID: "bench-hub",
    GANTRY_BOOTSTRAP_ADMIN_TOKEN: "true",
    GANTRY_RATE_LIMIT_PER_SECOND: "1000000",
    GANTRY_RATE_LIMIT_BURST: "1000000",
    // GANTRY_BENCH_HUB_LOG_LEVEL=info keeps the hub's "placed" lines (with times) in the run's hub.log.
    LOG_LEVEL: process.env.GANTRY_BENCH_HUB_LOG_LEVEL ?? "warn",
  };
  const children: ChildProcess[] = [];
  let hub: Hub | undefined;
  try {
    await until(
      "nats-server",
      20_000,
      async () => (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).ok || undefined,
    );
    const fleet = benchFleet(n);
    const registerSeconds = await registerAll(dbUrl.toString(), fleet, o.clients);

    hub = await startHub(env, hubPort, join(dir, "hub.log"));
    const h = hub;
    await until("hub serving", 120_000, async () => (await fetch(`${h.url}/readyz`)).ok || undefined);
    await sleep(2_000);
    const idleRssMiB = sampleProcess(h.child.pid!).rssMiB;
    const token = readFileSync(join(dir, "data", "admin.token"), "utf8").trim();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const api = (path: string, init: RequestInit = {}) => fetch(`${hub!.url}/api/v1${path}`, { headers, ...init });

    const messages: FromAgents[] = [];
    const waiters = new Set<(m: FromAgents) => void>();
    const agentsStart = performance.now();
    for (let i = 0; i < fleet.length; i += o.perProcess) {
      const child = fork(fileURLToPath(new URL("./agents.ts", import.meta.url)), [], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      child.on("message", (m: FromAgents) => {
        messages.push(m);
        for (const w of waiters) w(m);
      });
      child.send({
        type: "init",
        natsUrl,
        clusters: fleet.slice(i, i + o.perProcess),
        perConnection: o.perConnection,
        heartbeatMs: o.heartbeatMs,
      } satisfies ToAgents);
      children.push(child);
    }
    /** Ask every agents process and wait for each one's answer of `type`. */
    const ask = async <K extends FromAgents["type"]>(q: ToAgents, type: K) => {
      const got: Extract<FromAgents, { type: K }>[] = [];
      let waiter: ((m: FromAgents) => void) | undefined;
      const done = new Promise<void>((resolve) => {
        waiter = (m) => {
          if (m.type === type) got.push(m as Extract<FromAgents, { type: K }>);
          if (got.length === children.length) resolve();
        };
        waiters.add(waiter);
      });
      for (const c of children) c.send(q);
      await done;
      if (waiter) waiters.delete(waiter);
      return got;
    };
    await until("agents started", 600_000, async () =>
      messages.filter((m) => m.type === "started").length === children.length ? true : undefined,
    );

    const readyCount = async () => {
      let count = 0;
      let next: string | undefined;
      do {
        const r = await api(`/clusters?health=ready&view=summary&limit=1000${next ? `&continue=${next}` : ""}`);
        const body = (await r.json()) as { items: unknown[]; metadata: { continue?: string } };
        count += body.items.length;
        next = body.metadata.continue;
      } while (next);
      return count;
    };
    await until("every cluster ready", 600_000, async () => ((await readyCount()) === n ? true : undefined), 1_000);
    const allReadySeconds = (performance.now() - agentsStart) / 1_000;

    // Steady state: every cluster heartbeating, no work yet.
    await ask({ type: "stats" }, "stats");
    const before = sampleProcess(h.child.pid!);
    let rssMiB = before.rssMiB;
    const steadyStart = performance.now();
    while (performance.now() - steadyStart < o.steadySeconds * 1_000) {
      await sleep(1_000);
      rssMiB = Math.max(rssMiB, sampleProcess(h.child.pid!).rssMiB);
    }
    const after = sampleProcess(h.child.pid!);
    const cpuCores = (after.cpuSeconds - before.cpuSeconds) / ((performance.now() - steadyStart) / 1_000);
    const stats = await ask({ type: "stats" }, "stats");
    const rtts = stats.flatMap((s) => s.rtts);
    const heartbeatTimeouts = stats.reduce((a, s) => a + s.timeouts, 0);

    // The hub's view of Running: the workload watch (Server-Sent Events).
    const hubRunning = new Map<string, number>();
    const watch = new AbortController();
    void (async () => {
      const r = await fetch(`${hub!.url}/api/v1/workloads?watch=true`, { headers, signal: watch.signal });
      const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let i = buf.indexOf("\n\n");
        while (i !== -1) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split("\n").find((l) => l.startsWith("data:"));
          if (data) {
            const ev = JSON.parse(data.slice(5)) as {
              object?: { metadata?: { name?: string }; status?: { phase?: string } };
            };
            const name = ev.object?.metadata?.name;
            if (name && ev.object?.status?.phase === "Running" && !hubRunning.has(name))
              hubRunning.set(name, Date.now());
          }
          i = buf.indexOf("\n\n");
        }
      }
    })().catch(() => undefined);
    await sleep(500);

    const submitted = new Map<string, number>();
    const created: number[] = [];
    /** Per workload, wall-clock ms when its 201 arrived (timed.json). */
    const answered = new Map<string, number>();
    const failures = new Map<string, number>();
    let stored = 0;
    let fillUntil = Number.POSITIVE_INFINITY;
    const submit = async (name: string) => {
      if (performance.now() > fillUntil) return;
      const t = performance.now();
      submitted.set(name, Date.now());
      let r: Response;
      let body: string;
      try {
        r = await api("/workloads", { method: "POST", body: JSON.stringify(aJob(name)) });
        body = await r.text();
      } catch (e) {
        const code = `network ${((e as Error).cause as { code?: string } | undefined)?.code ?? (e as Error).message}`;
        failures.set(code, (failures.get(code) ?? 0) + 1);
        return;
      }
      if (r.status === 201) {
        created.push(performance.now() - t);
        answered.set(name, Date.now());
        stored++;
        return;
      }
      // Counted and reported, not retried: a refused submit is a finding.
      let problem = "";
      try {
        problem = (JSON.parse(body) as { code?: string }).code ?? "";
      } catch {
        // not problem+json
      }
      const code = `${r.status} ${problem}`.trim();
      failures.set(code, (failures.get(code) ?? 0) + 1);
      // A 4xx is the benchmark's own mistake (its workload is refused), not the hub under load: stop, say why.
      if (r.status >= 400 && r.status < 500 && r.status !== 429)
        throw new Error(`fleet bench: the hub refused the benchmark's workload (${r.status}): ${body.slice(0, 400)}`);
    };
    const timedNames = Array.from({ length: o.timed }, (_, i) => `timed-${i}`);
    await pool(timedNames, o.clients, submit);
    const agentRunning = () => {
      const m = new Map<string, number>();
      for (const x of messages) if (x.type === "running") m.set(x.workload, x.at);
      return m;
    };
    await until("timed workloads Running", 120_000, async () => {
      const seen = agentRunning();
      return timedNames.every((w) => seen.has(w) && hubRunning.has(w)) ? true : undefined;
    }).catch((e: unknown) => console.log(`  (${(e as Error).message})`));
    const seen = agentRunning();
    const toRunning = timedNames.flatMap((w) => (seen.has(w) ? [seen.get(w)! - submitted.get(w)!] : []));
    const lag = timedNames.flatMap((w) =>
      seen.has(w) && hubRunning.has(w) ? [hubRunning.get(w)! - seen.get(w)!] : [],
    );
    const timed201 = [...created];
    watch.abort();
    if (process.env.GANTRY_BENCH_KEEP_LOGS) {
      // Per timed workload, wall-clock ms: submitted, the agent's Running report, the hub's watch showing Running.
      const rows = timedNames.map((w) => ({
        workload: w,
        submitted: submitted.get(w),
        created: answered.get(w),
        agentRunning: seen.get(w),
        hubRunning: hubRunning.get(w),
      }));
      writeFileSync(join(dir, "timed.json"), `${JSON.stringify(rows, null, 1)}\n`);
    }

    // Fill to the stored total (20 clients), then page the list.
    const fillNames = Array.from({ length: Math.max(0, o.workloads - o.timed) }, (_, i) => `fill-${i}`);
    const fillStart = performance.now();
    fillUntil = fillStart + o.fillSeconds * 1_000;
    await pool(fillNames, o.clients, submit);
    const fillPerSecond = (stored - timed201.length) / ((performance.now() - fillStart) / 1_000);
    let listFailures = 0;
    /** 300 pages of 100 walked with `continue` (from the first page again at the end), one client. */
    const pageTimes = async (): Promise<number[]> => {
      const times: number[] = [];
      let cont: string | undefined;
      for (let i = 0; i < 300; i++) {
        const t = performance.now();
        try {
          const r = await api(`/workloads?limit=100${cont ? `&continue=${cont}` : ""}`);
          const body = (await r.json()) as { items: unknown[]; metadata?: { continue?: string } };
          if (!r.ok) throw new Error(String(r.status));
          times.push(performance.now() - t);
          cont = body.metadata?.continue;
        } catch {
          listFailures++;
        }
      }
      return times;
    };
    // While the hub still places the fill's backlog.
    const lists = await pageTimes();
    if (h.child.exitCode !== null || h.child.signalCode !== null) failures.set("hub exited", 1);
    const varz = (await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()) as { slow_consumers: number };

    // Cold restart: kill -9, start again; the API serves, then every agent's heartbeat is acked at its revision.
    const storedWorkloads = stored;
    await until(
      "placements settle",
      o.fillSeconds * 1_000,
      async () => {
        const r = await fetch(`${hub!.url}/metrics`, { headers });
        const m = /gantry_pending_workloads(?:\{[^}]*\})? (\d+)/.exec(await r.text());
        return m && Number(m[1]) === 0 ? true : undefined;
      },
      1_000,
    ).catch((e: unknown) => console.log(`  (${(e as Error).message})`));
    // Once every workload is placed: the list as an operator pages it on a settled hub, agents still heartbeating.
    const settledLists = await pageTimes();
    if (listFailures > 0) failures.set("list failures", listFailures);
    h.child.kill(PROFILE.length > 0 ? "SIGTERM" : "SIGKILL");
    await new Promise((r) => h.child.once("exit", r));
    for (const c of children) c.send({ type: "mark" } satisfies ToAgents);
    await sleep(100);
    hub = await startHub(env, hubPort, join(dir, "hub.log"));
    const h2 = hub;
    await until("API after restart", 120_000, async () => (await api("/workloads?limit=1")).ok || undefined, 50);
    const restartApiSeconds = (performance.now() - h2.startedAt) / 1_000;
    await until(
      "agents re-synced",
      300_000,
      async () => {
        const got = await ask({ type: "synced" }, "synced");
        return got.reduce((a, s) => a + s.synced, 0) === n ? true : undefined;
      },
      500,
    );
    const restartSyncedSeconds = (performance.now() - h2.startedAt) / 1_000;
    const restartRssMiB = sampleProcess(h2.child.pid!).rssMiB;

    return {
      clusters: n,
      load: loadAverage(),
      idleRssMiB,
      registerSeconds,
      allReadySeconds,
      cpuCores,
      rssMiB,
      heartbeatRttP50: median(rtts),
      heartbeatRttP99: percentile(rtts, 99),
      heartbeatTimeouts,
      submit201P50: median(timed201),
      submit201P99: percentile(timed201, 99),
      submitRunningP50: median(toRunning),
      submitRunningP99: percentile(toRunning, 99),
      runningLagP99: percentile(lag, 99),
      runningSeen: toRunning.length,
      fillPerSecond,
      listP50: median(lists),
      listP99: percentile(lists, 99),
      settledListP50: median(settledLists),
      settledListP99: percentile(settledLists, 99),
      slowConsumers: varz.slow_consumers,
      restartApiSeconds,
      restartSyncedSeconds,
      restartRssMiB,
      storedWorkloads,
      submitFailures: Object.fromEntries(failures),
    };
  } catch (e) {
    // Keep the logs of a failed run for the reader.
    const kept = join(tmpdir(), `gantry-fleet-${n}-failed-${Date.now()}`);
    cpSync(dir, kept, { recursive: true });
    console.log(`  N=${n} failed; logs kept in ${kept}`);
    throw e;
  } finally {
    for (const c of children) c.kill("SIGKILL");
    hub?.child.kill("SIGKILL");
    nats.kill("SIGKILL");
    await sleep(500);
    // GANTRY_BENCH_KEEP_DB=1: keep the run's database (a restart can then be replayed against it by hand).
    if (process.env.GANTRY_BENCH_KEEP_DB) console.log(`  N=${n}: database kept: ${dbUrl.toString()}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    // GANTRY_BENCH_KEEP_LOGS=1: keep the run's folder (hub.log, nats.log) to read after a successful run too.
    if (process.env.GANTRY_BENCH_KEEP_LOGS) console.log(`  N=${n}: logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
};

/** Build the bundle the hub runs from (the benchmark measures the shipped JavaScript, not tsx). */
const build = () => {
  const r = spawnSync(process.execPath, [join(REPO, "packages/hub/build.mjs")], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("pnpm build failed");
};

export const runFleet = async (o: FleetOptions, log: (line: string) => void): Promise<FleetRow[]> => {
  build();
  const rows: FleetRow[] = [];
  for (const n of o.clusters) {
    log(`  N=${n}: starting (load ${loadAverage()})`);
    try {
      const row = await runOnce(n, o);
      log(`  N=${n}: ${JSON.stringify(row)}`);
      rows.push(row);
    } catch (e) {
      // One size failing is a result too: say why and go on to the next.
      log(`  N=${n}: FAILED: ${(e as Error).message} ${String((e as Error).cause ?? "")}`);
    }
  }
  return rows;
};

export const writeRows = (file: string, rows: FleetRow[]) => writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
