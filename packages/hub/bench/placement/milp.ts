/**
 * The exact optimum of the quality instance: a MILP solved by HiGHS. One binary per (workload, cluster, GPU model)
 * the rules allow; each workload placed exactly once; GPUs per (cluster, model) within capacity. Because every node
 * has 8 GPUs, starts empty and replicas take 1, 2, 4 or 8 GPUs (sizes that divide each other), aggregate capacity is
 * exact: any set of replicas whose GPUs sum to at most 8 × nodes packs onto the nodes (first-fit decreasing).
 */
import type { Fleet, Workload } from "@gantry/shared";
import { costFor, eligible, GPUS_PER_NODE } from "./instance.ts";

export interface MilpResult {
  status: string;
  totalCost: number;
  placed: number;
  variables: number;
  seconds: number;
  /** Where the optimum puts each workload it was given: cluster and GPU model, by workload name. */
  where: Map<string, { cluster: string; model: string }>;
}

interface Highs {
  solve(
    lp: string,
    options?: Record<string, number | string | boolean>,
  ): {
    Status: string;
    ObjectiveValue: number;
    Columns: Record<string, { Primal?: number }>;
  };
}

const num = (n: number): string => Number(n.toFixed(6)).toString();

/** LP format wants short lines; terms are wrapped a few per line. */
const wrap = (terms: string[]): string => {
  const lines: string[] = [];
  for (let i = 0; i < terms.length; i += 8) lines.push(`  ${terms.slice(i, i + 8).join(" + ")}`);
  return lines.join("\n");
};

/** Builds the CPLEX LP model for placing every workload in `workloads` at minimum total cost. */
export const buildLp = (fleet: Fleet, workloads: readonly Workload[]): { lp: string; variables: number } => {
  const objective: string[] = [];
  const assign: string[] = [];
  const capacity = new Map<string, { terms: string[]; cap: number }>();
  let variables = 0;
  workloads.forEach((w, wi) => {
    const terms: string[] = [];
    fleet.clusters.forEach((c, ci) => {
      for (const g of c.nodes) {
        const model = g.gpu?.model;
        if (model === undefined || !eligible(w, c, model)) continue;
        const x = `x${wi}_${ci}_${model}`;
        variables++;
        objective.push(`${num(costFor(fleet, w, c, model))} ${x}`);
        terms.push(x);
        const key = `cap${ci}_${model}`;
        const row = capacity.get(key) ?? { terms: [], cap: 0 };
        row.terms.push(`${w.spec.replicas * w.spec.resources.gpu.count} ${x}`);
        capacity.set(key, row);
      }
    });
    if (terms.length === 0) throw new Error(`workload ${w.metadata.name} is eligible nowhere; fix the instance`);
    assign.push(` a${wi}:\n${wrap(terms)} = 1`);
  });
  fleet.clusters.forEach((c, ci) => {
    for (const g of c.nodes) {
      const row = capacity.get(`cap${ci}_${g.gpu?.model}`);
      if (row !== undefined && g.ready && g.schedulable) row.cap += g.count * GPUS_PER_NODE;
    }
  });
  const caps = [...capacity].map(([k, r]) => ` ${k}:\n${wrap(r.terms)} <= ${r.cap}`);
  const binaries = objective.map((t) => t.split(" ")[1]);
  const lp = [
    "Minimize",
    ` cost:\n${wrap(objective)}`,
    "Subject To",
    ...assign,
    ...caps,
    "Binary",
    ...binaries.map((b) => ` ${b}`),
    "End",
    "",
  ].join("\n");
  return { lp, variables };
};

/** Solves to proven optimality (relative gap 1e-9) or the time limit, whichever comes first. */
export const solveOptimum = async (
  fleet: Fleet,
  workloads: readonly Workload[],
  timeLimitSeconds: number,
): Promise<MilpResult> => {
  const loader = (await import("highs")).default as unknown as () => Promise<Highs>;
  const highs = await loader();
  const { lp, variables } = buildLp(fleet, workloads);
  const start = process.hrtime.bigint();
  const sol = highs.solve(lp, { time_limit: timeLimitSeconds, mip_rel_gap: 1e-9, output_flag: false });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let placed = 0;
  const where = new Map<string, { cluster: string; model: string }>();
  for (const [name, col] of Object.entries(sol.Columns)) {
    if ((col.Primal ?? 0) <= 0.5) continue;
    placed++;
    const [wi, ci, model] = name.slice(1).split("_");
    where.set(workloads[Number(wi)]!.metadata.name, { cluster: fleet.clusters[Number(ci)]!.name, model: model! });
  }
  return { status: sol.Status, totalCost: sol.ObjectiveValue, placed, variables, seconds, where };
};
