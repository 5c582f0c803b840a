/**
 * `gantry plan`'s work: the placement engine offline. Reads a fleet file and a workload file, prints the decision the hub
 * would make on that snapshot, with every cluster's verdict. No hub, no network.
 */
import { readFile } from "node:fs/promises";
import {
  type Decision,
  Fleet,
  parseDocument,
  parseWith,
  type RankCost,
  Tier,
  ValidationError,
  Workload,
} from "@gantry/shared";
import { type PlanOptions, plan } from "../../placement/index.ts";
import { CliError, type OutputFormat, parseFormat, render, table, usd } from "../output.ts";

/** Exit code for input that does not parse or does not match its schema. */
export const EXIT_INVALID_INPUT = 2;

const rankOf = { selected: 0, feasible: 1, filtered: 2 } as const;

const planTable = (d: Decision): string => {
  const lines = [d.summary, ""];
  if (d.assignments.length > 0) {
    const rows = d.assignments.map((a) => [
      a.cluster,
      a.replicas,
      a.gpuModel ?? "-",
      a.spot ? "yes" : "no",
      usd(a.pricePerGpuHour),
      a.nodes.map((n) => `${n.node}×${n.replicas}`).join(","),
    ]);
    lines.push(table(["CLUSTER", "REPLICAS", "GPU", "SPOT", "$/GPU-H", "NODES"], rows), "");
    const c = d.estimatedCost;
    lines.push(
      `Estimated cost (billed): ${usd(c.total)} (compute ${usd(c.compute)}, egress ${usd(c.egress)}; ${usd(c.perHour)}/h)`,
      `Ranked at: ${usd(d.rankCost?.total)} (billed cost plus the ranking charges: staging, spot risk, headroom, preference)`,
      "",
    );
  }
  // Selected first, then feasible by rank value, then filtered in fleet order (sort is stable).
  const clusters = [...d.clusters].sort(
    (a, b) =>
      rankOf[a.verdict] - rankOf[b.verdict] ||
      (a.rankCost?.total ?? Number.POSITIVE_INFINITY) - (b.rankCost?.total ?? Number.POSITIVE_INFINITY),
  );
  const rows = clusters.map((v) => [
    v.cluster,
    v.verdict,
    v.fitReplicas ?? "-",
    usd(v.estimatedCost?.total),
    usd(v.rankCost?.total),
    v.rankCost === undefined ? (v.reasons[0]?.message ?? "") : termsOf(v.rankCost),
  ]);
  lines.push(table(["CLUSTER", "VERDICT", "FIT", "BILLED", "RANK", "WHY"], rows));
  return lines.join("\n");
};

/** "compute $8.00 + egress $1.20 + headroom $0.40": the rank value's terms that are not zero (compute always). */
const termsOf = (r: RankCost): string =>
  (["compute", "egress", "staging", "spotRisk", "headroom", "preference"] as const)
    .filter((k) => k === "compute" || r[k] !== 0)
    .map((k) => `${k} ${usd(r[k])}`)
    .join(" + ");

/** Plans `workloadText` on `fleetText` (YAML or JSON) and renders the decision. Throws ValidationError on bad input. */
export const runPlan = (
  fleetText: string,
  workloadText: string,
  format: OutputFormat = "table",
  options: PlanOptions = {},
): string => {
  const fleet = parseWith(Fleet, parseDocument(fleetText, "fleet"), "fleet");
  const workload = parseWith(Workload, parseDocument(workloadText, "workload"), "workload");
  const decision = plan(fleet, workload, options);
  return render(decision, format, () => planTable(decision));
};

const readInput = async (file: string, what: string): Promise<string> => {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${what} ${file}: ${(e as Error).message}`, EXIT_INVALID_INPUT);
  }
};

export interface PlanIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface PlanFlags {
  fleet: string;
  workload: string;
  output: string;
  pool?: string;
  tierPreference?: string;
  tierPremium?: string;
}

/** What `gantry plan` runs, loaded on use so the other commands do not load the engine. */
export const runPlanCommand = async (opts: PlanFlags, io: PlanIo): Promise<void> => {
  const format = parseFormat(opts.output);
  const options: PlanOptions = {};
  if (opts.pool !== undefined) {
    options.onlyClusters = opts.pool.split(",").filter((s) => s !== "");
    options.poolName = "--pool";
  }
  if (opts.tierPreference !== undefined) options.tierPremium = tierPremiumOf(opts.tierPreference, opts.tierPremium);
  const [fleetText, workloadText] = await Promise.all([
    readInput(opts.fleet, "fleet"),
    readInput(opts.workload, "workload"),
  ]);
  try {
    io.out(runPlan(fleetText, workloadText, format, options));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    io.err(`${e.source} is invalid:`);
    for (const i of e.issues) io.err(`  ${i.field || "(root)"}: ${i.message}`);
    process.exitCode = EXIT_INVALID_INPUT;
  }
};

/** A tier preference is a stated price: the order and how many dollars per GPU-hour each step down costs. */
const tierPremiumOf = (order: string, premium: string | undefined): NonNullable<PlanOptions["tierPremium"]> => {
  const tiers = order.split(",").filter((t) => t !== "");
  const bad = tiers.find((t) => !Tier.safeParse(t).success);
  if (bad !== undefined) {
    throw new CliError(
      `--tier-preference: unknown tier ${JSON.stringify(bad)} (tiers: ${Tier.options.join(", ")})`,
      EXIT_INVALID_INPUT,
    );
  }
  const usdPerGpuHour = Number(premium);
  if (premium === undefined || premium.trim() === "" || !Number.isFinite(usdPerGpuHour) || usdPerGpuHour < 0) {
    throw new CliError(
      "--tier-preference needs --tier-premium USD: the dollars per GPU-hour each step down the order adds",
      EXIT_INVALID_INPUT,
    );
  }
  return { order: tiers.map((t) => Tier.parse(t)), usdPerGpuHour };
};
