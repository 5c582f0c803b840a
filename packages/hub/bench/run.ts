/**
 * `pnpm bench [--only placement|placement:latency|placement:quality|agent|agent:memory|inference|store|hub] [--quick] [--json FILE]
 *   [--semi-space MB] [--seed N] [--only fleet [--fleet-clusters 1000,3000] [--fleet-workloads N] [--fleet-timed N] [--fleet-steady S] [--fleet-fill-seconds S] [--fleet-clients N]]`
 *
 * The benchmark runner. Suites are named `<area>:<name>`; `--only` takes an area or a suite, repeatable. This
 * runner owns the placement suites; other areas add their own entry to SUITES.
 *
 * The hub runs with a larger V8 young generation (`--max-semi-space-size=128`): a 10,000-cluster decision
 * allocates ~3.5 MB, and with the default semi-space a scavenge lands in every fourth decision. The runner re-runs
 * itself with the same flag so the figures are the hub's; `--semi-space default` measures V8's defaults.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadAverage } from "./fleet/proc.ts";
import { type FleetOptions, type FleetRow, runFleet } from "./fleet/suite.ts";
import { inferenceSuite } from "./inference/suite.ts";
import { runScrapes } from "./metrics/scrape.ts";
import { type LatencyRow, runLatency } from "./placement/latency.ts";
import type { MilpResult } from "./placement/milp.ts";
import { runQuality } from "./placement/quality.ts";
import { runAccrual } from "./store/accrual.ts";
import { runDecisionWrites } from "./store/decisions.ts";
import { runPlacementWrites } from "./store/placements.ts";

interface Context {
  quick: boolean;
  fleet: Partial<FleetOptions>;
  /** Seed of the quality instance (7 is the one the docs report; others check the result is not an artefact). */
  seed: number;
  results: Record<string, unknown>;
}

const ms = (n: number): string => n.toFixed(3);

const printTable = (header: string[], rows: string[][]): void => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log();
};

const latency = async (ctx: Context): Promise<void> => {
  console.log("## placement:latency — ms per decision, every cluster's verdict and reasons included\n");
  const rows: LatencyRow[] = runLatency(ctx.quick);
  console.log("planOn: snapshot compiled once per capacity report; plan: compiles the fleet on every call\n");
  printTable(
    [
      "clusters",
      "samples",
      "median",
      "p99",
      "max",
      "target p99",
      "plan median",
      "plan p99",
      "compile",
      "compact median/p99",
      "whole+compacted median",
    ],
    rows.map((r) => [
      String(r.clusters),
      String(r.samples),
      ms(r.medianMs),
      ms(r.p99Ms),
      ms(r.maxMs),
      r.targetP99Ms === undefined ? "-" : `<= ${r.targetP99Ms} ms ${r.p99Ms <= r.targetP99Ms ? "ok" : "MISSED"}`,
      ms(r.coldMedianMs),
      ms(r.coldP99Ms),
      ms(r.compileMs),
      `${ms(r.compactMedianMs)}/${ms(r.compactP99Ms)}`,
      ms(r.wholeCompactedMedianMs),
    ]),
  );
  ctx.results["placement:latency"] = rows;
};

const quality = async (ctx: Context): Promise<void> => {
  console.log("## placement:quality — greedy online placement vs exact MILP optimum (HiGHS)\n");
  const q = await runQuality(ctx.quick ? 20 : 60, ctx.seed);
  console.log(
    `Seed ${ctx.seed}: ${q.workloads} workloads on ${q.clusters} clusters; demand ${q.demandGpus} GPUs of ${q.capacityGpus} ` +
      `(${Math.round((100 * q.demandGpus) / q.capacityGpus)}%). MILP: ${q.optimum.variables} binaries, ` +
      `${q.optimum.status} in ${q.optimum.seconds.toFixed(1)} s, places ${q.optimum.placed}/${q.workloads}.\n`,
  );
  printTable(
    ["engine", "placed", "expected cost $", "optimum $", "ratio", "violations", "billed gap $", "expected gap $"],
    q.greedy.map((g) => {
      const opt = q.optimumOnPlaced.get(g.label) ?? q.optimum;
      return [
        `gantry (${g.label})`,
        `${g.placed}/${q.workloads}`,
        g.totalCost.toFixed(2),
        opt.totalCost.toFixed(2),
        (g.totalCost / opt.totalCost).toFixed(4),
        String(g.violations.length),
        g.estimateGap.toFixed(4),
        g.expectedGap.toFixed(4),
      ];
    }),
  );
  console.log(
    `\nThe "one pass" row decides all ${q.workloads} as one batch (placeInRegretOrder): ${q.batchMs.toFixed(0)} ms in all.`,
  );
  for (const g of q.greedy) for (const v of g.violations.slice(0, 5)) console.log(`violation (${g.label}): ${v}`);
  const plain = ({ where: _, ...m }: MilpResult) => m;
  ctx.results["placement:quality"] = {
    ...q,
    optimum: plain(q.optimum),
    greedy: q.greedy.map(({ placedNames: _, ...g }) => g),
    optimumOnPlaced: Object.fromEntries([...q.optimumOnPlaced].map(([k, m]) => [k, plain(m)])),
  };
};

/**
 * The agent's memory on a 5,000-node, 50,000-pod inventory (issue 5's target). It runs in its own processes
 * (a fake API server and the driver), so this suite only launches it; --quick serves a tenth of the inventory.
 */
const agentMemory = async (ctx: Context): Promise<void> => {
  console.log("## agent:memory — Kubernetes driver RSS while listing and watching a large cluster\n");
  const script = fileURLToPath(new URL("../../agent/bench/k8s-memory.ts", import.meta.url));
  const size = ctx.quick ? ["500", "5000"] : [];
  const child = spawnSync(process.execPath, ["--import", "tsx", script, ...size], { stdio: "inherit" });
  if (child.status !== 0) throw new Error(`agent:memory exited with ${child.status ?? child.signal}`);
  console.log("");
};

/**
 * The fleet at scale (issue 12): a built hub process, nats-server, PostgreSQL and N simulated clusters. --quick runs
 * 300 clusters and 1,000 workloads; --fleet-clusters 1000,3000,10000 (default), --fleet-workloads, --fleet-steady
 * (seconds of steady heartbeats measured) size a run.
 */
const fleet = async (ctx: Context): Promise<void> => {
  console.log(
    "## fleet:scale — one built hub, nats-server (no auth), PostgreSQL, N simulated clusters at 5 s heartbeats\n",
  );
  const o: FleetOptions = {
    clusters: ctx.quick ? [300] : [1_000, 3_000, 10_000],
    workloads: ctx.quick ? 1_000 : 10_000,
    timed: ctx.quick ? 100 : 300,
    steadySeconds: ctx.quick ? 10 : 30,
    fillSeconds: ctx.quick ? 60 : 240,
    heartbeatMs: 5_000,
    perConnection: 250,
    perProcess: 2_500,
    clients: 20,
    databaseUrl: process.env.GANTRY_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    ...ctx.fleet,
  };
  console.log(
    `${o.perConnection} clusters per NATS connection, ${o.perProcess} per agents process; ${o.clients} clients; ` +
      `${o.timed} timed submits, ${o.workloads} stored workloads; ${o.steadySeconds} s steady window\n`,
  );
  const rows = await runFleet(o, (l) => console.log(l));
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  printTable(
    [
      "clusters",
      "load",
      "ready s",
      "hub cores",
      "hub RSS MiB",
      "hb ack p50/p99 ms",
      "201 p50/p99 ms",
      "Running p50/p99 ms",
      "hub lag p99 ms",
      "list p99 ms",
      "settled list p50/p99 ms",
      "slow cons.",
      "restart API s",
      "restart synced s",
    ],
    rows.map((r: FleetRow) => [
      String(r.clusters),
      r.load,
      f(r.allReadySeconds),
      f(r.cpuCores, 2),
      f(r.rssMiB, 0),
      `${f(r.heartbeatRttP50)}/${f(r.heartbeatRttP99)}`,
      `${f(r.submit201P50)}/${f(r.submit201P99)}`,
      `${f(r.submitRunningP50, 0)}/${f(r.submitRunningP99, 0)}`,
      f(r.runningLagP99, 0),
      f(r.listP99),
      `${f(r.settledListP50)}/${f(r.settledListP99)}`,
      String(r.slowConsumers),
      f(r.restartApiSeconds, 2),
      f(r.restartSyncedSeconds),
    ]),
  );
  ctx.results["fleet:scale"] = rows;
};

/** A decision row's write, whole and in its stored form (issue 12: the verdict list was the cost of a placement). */
const decisionWrites = async (ctx: Context): Promise<void> => {
  console.log("## store:decisions — one decision row written to PostgreSQL: every verdict vs the stored form\n");
  const rows = await runDecisionWrites(
    ctx.quick ? [1_000] : [1_000, 10_000],
    ctx.quick ? 10 : 30,
    process.env.GANTRY_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  );
  console.log(`load ${loadAverage()}`);
  console.log("clusters  full KB  stored KB  full median/p99 ms  stored median/p99 ms  writes each");
  for (const r of rows) {
    console.log(
      `${String(r.clusters).padEnd(9)} ${(r.fullBytes / 1024).toFixed(0).padEnd(8)} ${(r.storedBytes / 1024).toFixed(1).padEnd(10)} ` +
        `${`${r.fullMedianMs.toFixed(1)}/${r.fullP99Ms.toFixed(1)}`.padEnd(19)} ${`${r.storedMedianMs.toFixed(2)}/${r.storedP99Ms.toFixed(2)}`.padEnd(21)} ${r.writes}`,
    );
  }
  ctx.results["store:decisions"] = rows;
};

/** One chunk of a pass's placements committed (`placeMany`), on a quiet machine and with CPU hogs competing. */
const placementWrites = async (ctx: Context): Promise<void> => {
  console.log("## store:placements — one chunk of 16 placements committed to PostgreSQL (placeMany)\n");
  const rows = await runPlacementWrites(
    [0, 2, 4],
    ctx.quick ? 20 : 100,
    process.env.GANTRY_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  );
  console.log(`load ${loadAverage()}`);
  console.log("CPU hogs  chunk  chunks  median ms  p99 ms");
  for (const r of rows) {
    console.log(
      `${String(r.hogs).padEnd(9)} ${String(r.chunk).padEnd(6)} ${String(r.chunks).padEnd(7)} ${r.medianMs.toFixed(2).padEnd(10)} ${r.p99Ms.toFixed(2)}`,
    );
  }
  ctx.results["store:placements"] = rows;
};

/** One cost accrual over N running placements: wall time and the hub process's CPU. */
const accrual = async (ctx: Context): Promise<void> => {
  console.log("## store:accrual — one cost accrual over N running placements (wall time, hub CPU)\n");
  const rows = await runAccrual(
    ctx.quick ? [1_000] : [1_000, 10_000],
    5,
    process.env.GANTRY_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  );
  console.log(`load ${loadAverage()}`);
  console.log("placements  accruals  median wall ms  median hub CPU ms");
  for (const r of rows) {
    console.log(
      `${String(r.placements).padEnd(11)} ${String(r.accruals).padEnd(9)} ${r.medianWallMs.toFixed(0).padEnd(15)} ${r.medianCpuMs.toFixed(0)}`,
    );
  }
  ctx.results["store:accrual"] = rows;
};

/** One `GET /metrics` exposition with N clusters, beside the former prom-client gauges for the same series. */
const scrapes = async (ctx: Context): Promise<void> => {
  console.log("## hub:metrics — one /metrics exposition with N clusters reporting capacity (event-loop ms)\n");
  const rows = await runScrapes(ctx.quick ? [1_000] : [1_000, 10_000], ctx.quick ? 8 : 20);
  console.log(`load ${loadAverage()}; "gauges": the per-cluster series set on prom-client gauges, as until 2026-12-04`);
  printTable(
    ["clusters", "scrapes", "MB", "median ms", "p99 ms", "gauges median ms", "gauges p99 ms"],
    rows.map((r) => [
      String(r.clusters),
      String(r.scrapes),
      (r.bytes / 1e6).toFixed(2),
      r.medianMs.toFixed(1),
      r.p99Ms.toFixed(1),
      r.gaugesMedianMs.toFixed(1),
      r.gaugesP99Ms.toFixed(1),
    ]),
  );
  ctx.results["hub:metrics"] = rows;
};

const SUITES: Record<string, (ctx: Context) => Promise<void>> = {
  "placement:latency": latency,
  "placement:quality": quality,
  "agent:memory": agentMemory,
  "inference:autoscaler": (ctx) => inferenceSuite(ctx, printTable),
  "fleet:scale": fleet,
  "store:decisions": decisionWrites,
  "store:placements": placementWrites,
  "store:accrual": accrual,
  "hub:metrics": scrapes,
};

/** Semi-space size the hub process runs with, in MB (see the module comment). */
const HUB_SEMI_SPACE_MB = 128;
const SEMI_SPACE_FLAG = "--max-semi-space-size";

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      only: { type: "string", multiple: true },
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      "semi-space": { type: "string", default: String(HUB_SEMI_SPACE_MB) },
      seed: { type: "string", default: "7" },
      "fleet-clusters": { type: "string" },
      "fleet-workloads": { type: "string" },
      "fleet-timed": { type: "string" },
      "fleet-steady": { type: "string" },
      "fleet-fill-seconds": { type: "string" },
      "fleet-clients": { type: "string" },
    },
  });
  const semi = values["semi-space"];
  if (semi !== "default" && !process.execArgv.some((a) => a.startsWith(SEMI_SPACE_FLAG))) {
    const args = [...process.execArgv, `${SEMI_SPACE_FLAG}=${semi}`, ...process.argv.slice(1)];
    const child = spawnSync(process.execPath, args, { stdio: "inherit" });
    process.exitCode = child.status ?? 1;
    return;
  }
  const only = values.only ?? [];
  const selected = Object.keys(SUITES).filter(
    (name) => only.length === 0 || only.some((o) => name === o || name.startsWith(`${o}:`)),
  );
  if (selected.length === 0) {
    console.error(`no suite matches --only ${only.join(", ")}; suites: ${Object.keys(SUITES).join(", ")}`);
    process.exitCode = 2;
    return;
  }
  const heap = process.execArgv.find((a) => a.startsWith(SEMI_SPACE_FLAG)) ?? "default V8 heap";
  console.log(`# Gantry benchmarks — node ${process.version}, ${process.platform}/${process.arch}, ${heap}\n`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    console.error(`--seed takes an integer, got ${values.seed}`);
    process.exitCode = 2;
    return;
  }

  const fleetOptions: Partial<FleetOptions> = {
    ...(values["fleet-clusters"] ? { clusters: values["fleet-clusters"].split(",").map(Number) } : {}),
    ...(values["fleet-workloads"] ? { workloads: Number(values["fleet-workloads"]) } : {}),
    ...(values["fleet-timed"] ? { timed: Number(values["fleet-timed"]) } : {}),
    ...(values["fleet-steady"] ? { steadySeconds: Number(values["fleet-steady"]) } : {}),
    ...(values["fleet-fill-seconds"] ? { fillSeconds: Number(values["fleet-fill-seconds"]) } : {}),
    ...(values["fleet-clients"] ? { clients: Number(values["fleet-clients"]) } : {}),
  };

  const ctx: Context = { quick: values.quick, seed, fleet: fleetOptions, results: {} };
  for (const name of selected) await SUITES[name]!(ctx);
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(ctx.results, null, 2)}\n`);
};

await main();
