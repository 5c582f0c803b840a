import { readFile } from "node:fs/promises";
import type { AutoscalingStatus, ClusterVerdict, Decision } from "@gantry/shared";
import { Command } from "commander";
import { omittedLine } from "../../store/stored-decision.ts";
import { clientFor, defaultHub, type HubClient } from "../client.ts";
import { ExitCode } from "../exit-codes.ts";
import { type Doc, placementsOf } from "../kinds.ts";
import {
  age,
  CliError,
  parseFormat,
  render,
  type StagingItemView,
  type StagingProgressView,
  stagingText,
  table,
  usd,
} from "../output.ts";

/** One cluster's staging plan in an explanation (`explain.staging[]`). */
interface ExplainStaging {
  cluster: string;
  items: StagingItemView[];
  progress: StagingProgressView | null;
}

type Out = (text: string) => void;

interface WorkloadStatus {
  phase: string;
  message: string;
}

/** What `/explain` returns: the decision and the policy side (policy, pool, burst note, wait, budget). */
export interface ExplainView {
  workload: string;
  tenant?: string;
  phase: string;
  message: string;
  decisionId?: string | null;
  decision: Decision | null;
  autoscaling?: AutoscalingStatus;
  policy?: string | null;
  pool?: string | null;
  burst?: string;
  waitedSeconds?: number;
  budget?: {
    tenant: string;
    spentToday: number;
    perDay: number | null;
    spentThisMonth: number;
    perMonth: number | null;
  };
  [extra: string]: unknown;
}

export interface EventView {
  at: string;
  type: string;
  reason: string;
  cluster: string | null;
  message: string;
}

/** The tenant a command works in (`-t/--tenant`); without it, names are looked up among every tenant visible. */
export const tenantOf = (cmd: Command): string | undefined => cmd.optsWithGlobals<{ tenant?: string }>().tenant;
export const workloadPath = (cmd: Command, name: string, suffix = "") => {
  const t = tenantOf(cmd);
  const n = encodeURIComponent(name);
  return t ? `/tenants/${encodeURIComponent(t)}/workloads/${n}${suffix}` : `/workloads/${n}${suffix}`;
};

/** A `-f` argument's text: the file, or standard input for `-`; a usage error naming the file otherwise. */
export const readInput = async (file: string): Promise<string> => {
  try {
    return file === "-"
      ? await new Response(process.stdin as unknown as ReadableStream).text()
      : await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read -f ${file}: ${(e as Error).message}`, ExitCode.usage);
  }
};

export const verdictTable = (clusters: ClusterVerdict[]): string =>
  table(
    ["CLUSTER", "VERDICT", "BILLED", "RANK", "REASONS"],
    clusters.map((c) => [
      c.cluster,
      c.verdict,
      usd(c.estimatedCost?.total),
      usd(c.rankCost?.total),
      c.reasons.map((r) => `[${r.code}] ${r.message}`).join("; ") || "-",
    ]),
  );

/** A limit next to what was spent against it: "$3.20 of $50.00 today", or "no daily limit". */
const against = (spent: number, limit: number | null, period: string) =>
  limit === null ? `${usd(spent)} ${period} (no limit)` : `${usd(spent)} of ${usd(limit)} ${period}`;

/** The policy side of an explanation as sentences: no nulls, no JSON. */
export const explainLines = (e: ExplainView): string[] => {
  const lines: string[] = [];
  lines.push(
    e.policy
      ? `policy: ${e.policy}${e.pool ? `, pool ${e.pool}` : ""}`
      : "policy: none applies (no burst policy names this tenant)",
  );
  if (e.burst) lines.push(`burst: ${e.burst}`);
  if (e.waitedSeconds !== undefined) lines.push(`waiting: ${e.waitedSeconds}s in the queue`);
  if (e.budget) {
    lines.push(
      `budget (${e.budget.tenant}): ${against(e.budget.spentToday, e.budget.perDay, "today")}; ${against(e.budget.spentThisMonth, e.budget.perMonth, "this month")}`,
    );
  }
  // What each cluster copies in before it starts, and how far it is (the plan stays after the workload ends).
  for (const s of (e.staging ?? []) as ExplainStaging[]) {
    lines.push(`staging: ${s.cluster}: ${stagingText(s.items, s.progress)}`);
  }
  return lines;
};

/** A decision as readable lines: the summary, the estimate, the runner-up, then every cluster's verdict. */
export const decisionLines = (d: Decision): string[] => [
  `decision: ${d.summary}`,
  `estimated cost: ${usd(d.estimatedCost.total)} total, ${usd(d.estimatedCost.perHour)}/h (compute ${usd(d.estimatedCost.compute)}, egress ${usd(d.estimatedCost.egress)})`,
  `runner-up: ${d.runnerUp ?? "none"}${d.margin ? ` (${usd(d.margin.usd)} dearer; decided by ${d.margin.decidedBy})` : ""}`,
  "",
  verdictTable(d.clusters),
  ...(d.omitted ? [omittedLine(d.omitted)] : []),
];

export const eventLines = (items: readonly EventView[], now = Date.now()): string =>
  items.length === 0
    ? "  <none>"
    : table(
        ["AGE", "TYPE", "REASON", "CLUSTER", "MESSAGE"],
        items.map((ev) => [age(ev.at, now), ev.type, ev.reason, ev.cluster ?? "-", ev.message]),
      )
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n");

const waitForDecision = async (api: HubClient, w: Doc): Promise<Doc> => {
  const path = `/tenants/${encodeURIComponent(w.metadata.tenant ?? "default")}/workloads/${encodeURIComponent(w.metadata.name)}`;
  const deadline = Date.now() + 5_000;
  let current = w;
  const pending = (d: Doc) => {
    const s = d.status as WorkloadStatus;
    return s.phase === "Pending" && s.message === "waiting for a placement decision";
  };
  while (pending(current) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    current = (await api.get(path)) as Doc;
  }
  return current;
};

/** A service's `status.autoscaling` as text: the count and why, replicas per cluster, the latest decisions. */
export const autoscalingLines = (a: AutoscalingStatus | undefined): string[] => {
  if (!a) return [];
  return [
    `Autoscaling: ${a.desiredReplicas} desired, ${a.readyReplicas} ready (${a.mode}; ${a.metric} ${a.metricValue} at ${a.target} per replica), ${a.requestsPerSecond} req/s, ${usd(a.costPerHour)}/h`,
    `  why: ${a.reason}`,
    ...a.clusters.map(
      (c) =>
        `  ${c.cluster} (${c.kind}): ${c.desired} desired, ${c.current} placed, ${c.ready} ready at ${usd(c.pricePerReplicaHour)}/replica-h`,
    ),
    "Scaling decisions:",
    ...(a.decisions.length ? a.decisions.slice(0, 8).map((d) => `  ${d.at} ${d.explanation}`) : ["  none yet"]),
  ];
};

/** submit, explain and events: a workload's life from the user's side. */
export const workloadCommands = (out: Out): Command[] => {
  const submit = new Command("submit")
    .description("submit a workload (YAML or JSON)")
    .requiredOption("-f, --file <file>", "workload file, or - for standard input")
    .option("--no-wait", "return as soon as the hub accepted it, before its placement decision")
    .option("--dry-run", "ask the hub what it would decide now on the live fleet; nothing is stored")
    .option("-o, --output <format>", "with --dry-run: table | json | yaml", "table")
    .action(async (opts: { file: string; wait: boolean; dryRun?: boolean; output: string }, cmd: Command) => {
      const api = clientFor(cmd);
      const format = parseFormat(opts.output);
      const text = await readInput(opts.file);
      if (opts.dryRun) {
        const r = (await api.post("/workloads?dryRun=true", text)) as {
          workload: { metadata: { name: string; tenant: string } };
          decision: Decision;
          warnings: string[];
        };
        out(
          render(r, format, () =>
            [
              `workload/${r.workload.metadata.name} (dry run, nothing stored): ${r.decision.feasible ? "would be placed" : "would wait"}`,
              ...r.warnings.map((w) => `warning: ${w}`),
              ...decisionLines(r.decision),
            ].join("\n"),
          ),
        );
        return;
      }
      let w = (await api.post("/workloads", text).catch((e: unknown) => {
        // The hub names the field; the file is the CLI's to name.
        throw e instanceof CliError ? new CliError(`${opts.file}: ${e.message}`, e.exitCode) : e;
      })) as Doc;
      // The hub accepts at once and decides right after: wait a moment for the decision, so the answer says where.
      if (opts.wait) w = await waitForDecision(api, w);
      const s = w.status as WorkloadStatus;
      out(`workload/${w.metadata.name} submitted: ${s.phase} — ${placementsOf(w)}\n  ${s.message}`);
    });

  const explain = new Command("explain")
    .description("why a workload runs where it runs, or waits: every cluster's verdict")
    .argument("<name>")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (name: string, opts: { output: string }, cmd: Command) => {
      const e = (await clientFor(cmd).get(workloadPath(cmd, name, "/explain"))) as ExplainView;
      out(
        render(e, parseFormat(opts.output), () =>
          [
            `workload/${e.workload}: ${e.phase} — ${e.message}`,
            ...autoscalingLines(e.autoscaling),
            ...explainLines(e),
            ...(e.decision ? decisionLines(e.decision) : ["decision: none yet"]),
          ].join("\n"),
        ),
      );
    });

  const events = new Command("events")
    .description("what happened to a workload: submitted, placed, applied, running, failed over, burst, held…")
    .argument("<name>", "workload")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (name: string, opts: { output: string }, cmd: Command) => {
      const api = clientFor(cmd);
      const { items } = (await api.get(workloadPath(cmd, name, "/events"))) as { items: EventView[] };
      out(render(items, parseFormat(opts.output), () => eventLines(items, api.workNow()).replace(/^ {2}/gm, "")));
    });

  return [submit, explain, events];
};

export { defaultHub };
