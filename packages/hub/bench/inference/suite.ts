/** The `inference:autoscaler` suite of `pnpm bench`: runs the replays and prints the figures docs/benchmarks.md quotes. */
import { median, runInference, SEEDS } from "./index.ts";
import type { RunResult } from "./simulate.ts";

interface SuiteContext {
  quick: boolean;
  results: Record<string, unknown>;
}

const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;
const range = (xs: number[], f: (x: number) => string): string => {
  if (xs.some((x) => Number.isNaN(x))) return "–";
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? f(lo) : `${f(median(xs))} (${f(lo)}–${f(hi)})`;
};

export const inferenceSuite = async (
  ctx: SuiteContext,
  printTable: (header: string[], rows: string[][]) => void,
): Promise<void> => {
  const report = runInference(ctx.quick);
  const hours = 24 / report.dayCompressedBy;
  console.log(
    `## inference:autoscaler — a day of traffic compressed ${report.dayCompressedBy}× (${hours} simulated hours), ` +
      `a heartbeat and a pass every ${report.tickSeconds} s; medians of ${SEEDS.length} preemption seeds (${SEEDS.join(", ")})\n`,
  );
  const od = report.runs.onDemand;
  const row = (label: string, runs: RunResult[]): string[] => {
    const cost = runs.map((r) => r.costUsd);
    const vsOd = runs.map((r, i) => 1 - r.costUsd / (od[i]?.costUsd ?? Number.NaN));
    return [
      label,
      range(cost, (x) => `$${x.toFixed(2)}`),
      range(vsOd, (x) => pct(x, 0)),
      range(
        runs.map((r) => r.replicaHours),
        (x) => x.toFixed(1),
      ),
      range(
        runs.map((r) => r.peakReplicas),
        String,
      ),
      ...["eu-west", "us-east"].map((region) =>
        range(
          runs.map((r) => r.slo[region]?.attainment ?? 0),
          (x) => pct(x, 2),
        ),
      ),
      range(
        runs.map((r) => r.slowShare),
        (x) => pct(x, 2),
      ),
      range(
        runs.map((r) => r.reactionSeconds ?? Number.NaN),
        (x) => `${x.toFixed(2)} s`,
      ),
      range(
        runs.map((r) => r.oscillations),
        String,
      ),
      range(
        runs.map((r) => r.preemptions),
        String,
      ),
      `${median(runs.map((r) => r.passMedianMs)).toFixed(2)} / ${median(runs.map((r) => r.passP99Ms)).toFixed(1)}`,
    ];
  };
  printTable(
    [
      "config",
      "cost",
      "saving vs all on-demand",
      "replica-h",
      "peak",
      "SLO min eu-west",
      "SLO min us-east",
      "slow requests",
      "spike reaction",
      "oscillations",
      "preemptions",
      "pass ms median / p99",
    ],
    [
      row("gantry (mixed fleet)", report.runs.gantry),
      row("all on-demand cloud", od),
      row("static peak (on-demand)", report.runs.staticPeak),
    ],
  );
  const g = report.runs.gantry;
  const mix = g[0]!.hoursByKind;
  const total = mix.owned + mix.onDemand + mix.spot;
  console.log(
    `Gantry's replica-hours (seed ${SEEDS[0]}): owned ${pct(mix.owned / total, 0)}, spot ${pct(mix.spot / total, 0)}, on-demand ${pct(mix.onDemand / total, 0)}.`,
  );
  console.log(
    `Cost vs static peak provisioning: ${range(
      g.map((r, i) => 1 - r.costUsd / (report.runs.staticPeak[i]?.costUsd ?? Number.NaN)),
      (x) => pct(x, 0),
    )} cheaper.`,
  );
  console.log(`First pass after the spike (seed ${SEEDS[0]}, ${g[0]!.reactionPassMs?.toFixed(1)} ms):`);
  for (const e of g[0]!.spikeExplanations) console.log(`  ${e}`);
  console.log("First scale-ins after it:");
  for (const e of g[0]!.scaleInExplanations) console.log(`  ${e}`);
  for (const r of g) for (const m of r.missedMinutes) console.log(`missed (seed ${SEEDS[g.indexOf(r)]}): ${m}`);
  for (const r of g) for (const m of r.oscillationLog) console.log(`oscillation (seed ${SEEDS[g.indexOf(r)]}): ${m}`);
  console.log(
    `\n${report.wallSeconds.toFixed(0)} s wall for ${SEEDS.length * 3} replays; load average ${report.loadAverage.map((x) => x.toFixed(2)).join(" ")}\n`,
  );
  ctx.results["inference:autoscaler"] = {
    ...report,
    runs: Object.fromEntries(
      Object.entries(report.runs).map(([k, rs]) => [
        k,
        rs.map(({ spikeExplanations: _, scaleInExplanations: __, ...r }) => r),
      ]),
    ),
  };
};
