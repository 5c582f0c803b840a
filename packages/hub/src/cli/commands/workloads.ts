import { readFile } from "node:fs/promises";
import type { ClusterVerdict, Decision } from "@gantry/shared";
import { Command } from "commander";
import { clientFor, defaultHub, type HubClient } from "../client.ts";
import { age, CliError, parseFormat, render, table, usd } from "../output.ts";
import { listBudgets, listPolicies } from "./policies.ts";

/** The shapes the hub's API returns, as far as the CLI reads them. */
interface WorkloadView {
  metadata: { name: string; tenant: string };
  spec: { type: string; replicas: number; resources: { gpu: { count: number; models: string[] } } };
  status: {
    phase: string;
    message: string;
    createdAt: string;
    placements: {
      cluster: string;
      replicas: number;
      active: boolean;
      spot: boolean;
      gpuModel: string | null;
      phase: string;
      readyReplicas: number;
      message: string;
      events: string[];
    }[];
  };
}
interface ClusterView {
  name: string;
  tier: string;
  provider: string;
  region: string;
  health: string;
  gpus: { total: number; free: number; models: string[] };
  lastSeenAt: string | null;
}
interface ExplainView {
  workload: string;
  phase: string;
  message: string;
  decision: Decision | null;
  [extra: string]: unknown;
}

type Out = (text: string) => void;
const client = (cmd: Command): HubClient => clientFor(cmd);
/** The tenant a command works in (`-t/--tenant`); without it, names are looked up among every tenant visible. */
const tenantOf = (cmd: Command): string | undefined => cmd.optsWithGlobals<{ tenant?: string }>().tenant;
const workloadPath = (cmd: Command, name: string, suffix = "") => {
  const t = tenantOf(cmd);
  const n = encodeURIComponent(name);
  return t ? `/tenants/${encodeURIComponent(t)}/workloads/${n}${suffix}` : `/workloads/${n}${suffix}`;
};

const readInput = async (file: string): Promise<string> => {
  try {
    return file === "-"
      ? await new Response(process.stdin as unknown as ReadableStream).text()
      : await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read -f ${file}: ${(e as Error).message}`);
  }
};

const placementsOf = (w: WorkloadView): string =>
  w.status.placements
    .filter((p) => p.active || w.status.phase === "Succeeded" || w.status.phase === "Failed")
    .map((p) => `${p.cluster}×${p.replicas}${p.spot ? " (spot)" : ""}`)
    .join(", ") || "-";

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

/** submit, get, describe, explain and delete: the user's side of the API. */
export const workloadCommands = (out: Out): Command[] => {
  const submit = new Command("submit")
    .description("submit a workload (YAML or JSON)")
    .requiredOption("-f, --file <file>", "workload file, or - for standard input")
    .option("--no-wait", "return as soon as the hub accepted it, before its placement decision")
    .action(async (opts: { file: string; wait: boolean }, cmd: Command) => {
      const api = client(cmd);
      let w = (await api.post("/workloads", await readInput(opts.file)).catch((e: unknown) => {
        // The hub names the field; the file is the CLI's to name.
        throw e instanceof CliError ? new CliError(`${opts.file}: ${e.message}`, e.exitCode) : e;
      })) as WorkloadView;
      // The hub accepts at once and decides right after: wait a moment for the decision, so the answer says where.
      const path = `/tenants/${encodeURIComponent(w.metadata.tenant)}/workloads/${encodeURIComponent(w.metadata.name)}`;
      const deadline = Date.now() + 5_000;
      while (opts.wait && w.status.phase === "Pending" && w.status.message === "waiting for a placement decision") {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
        w = (await api.get(path)) as WorkloadView;
      }
      out(`workload/${w.metadata.name} submitted: ${w.status.phase} — ${placementsOf(w)}\n  ${w.status.message}`);
    });

  const get = new Command("get")
    .description("list clusters or workloads")
    .argument("<kind>", "clusters | workloads | datasets | policies | budgets")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .option("-A, --all-tenants", "every tenant's workloads")
    .action(async (kind: string, opts: { output: string; allTenants?: boolean }, cmd: Command) => {
      const format = parseFormat(opts.output);
      const api = client(cmd);
      if (kind === "clusters" || kind === "cluster") {
        const { items } = (await api.get("/clusters?limit=1000")) as { items: ClusterView[] };
        out(
          render(items, format, () =>
            table(
              ["NAME", "TIER", "PROVIDER", "REGION", "HEALTH", "GPUS FREE/TOTAL", "MODELS", "LAST SEEN"],
              items.map((c) => [
                c.name,
                c.tier,
                c.provider,
                c.region,
                c.health,
                `${c.gpus.free}/${c.gpus.total}`,
                c.gpus.models.join(",") || "-",
                age(c.lastSeenAt),
              ]),
            ),
          ),
        );
      } else if (kind === "workloads" || kind === "workload") {
        const t = tenantOf(cmd);
        const path = opts.allTenants || !t ? "/workloads" : `/tenants/${encodeURIComponent(t)}/workloads`;
        const items: WorkloadView[] = [];
        let next: string | undefined;
        do {
          const page = (await api.get(`${path}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ""}`)) as {
            items: WorkloadView[];
            metadata: { continue?: string };
          };
          items.push(...page.items);
          next = page.metadata.continue;
        } while (next);
        out(
          render(items, format, () =>
            table(
              ["NAME", "TENANT", "TYPE", "GPUS", "PHASE", "PLACEMENT", "AGE", "MESSAGE"],
              items.map((w) => [
                w.metadata.name,
                w.metadata.tenant,
                w.spec.type,
                `${w.spec.replicas}×${w.spec.resources.gpu.count} ${w.spec.resources.gpu.models.join("|") || "any"}`,
                w.status.phase,
                placementsOf(w),
                age(w.status.createdAt),
                w.status.message,
              ]),
            ),
          ),
        );
      } else if (kind === "datasets" || kind === "dataset") {
        const { items } = (await api.get("/datasets")) as {
          items: { name: string; sizeGB: number; locations: string[] }[];
        };
        out(
          render(items, format, () =>
            table(
              ["NAME", "SIZE GB", "LOCATIONS"],
              items.map((d) => [d.name, d.sizeGB, d.locations.join(",")]),
            ),
          ),
        );
      } else if (kind === "policies" || kind === "policy") {
        out(await listPolicies(api, format));
      } else if (kind === "budgets" || kind === "budget") {
        out(await listBudgets(api, format));
      } else {
        throw new CliError(
          `get: unknown kind ${JSON.stringify(kind)}; use clusters, workloads, datasets, policies or budgets`,
        );
      }
    });

  const describe = new Command("describe")
    .description("show a workload's status, placements, events and decision")
    .argument("<kind>", "workload")
    .argument("<name>")
    .action(async (kind: string, name: string, _opts: unknown, cmd: Command) => {
      if (kind !== "workload")
        throw new CliError(`describe: only 'workload' is supported (got ${JSON.stringify(kind)})`);
      const api = client(cmd);
      const w = (await api.get(workloadPath(cmd, name))) as WorkloadView;
      const e = (await api.get(workloadPath(cmd, name, "/explain"))) as ExplainView;
      const lines = [
        `Name:      ${w.metadata.name}`,
        `Tenant:    ${w.metadata.tenant}`,
        `Type:      ${w.spec.type}, ${w.spec.replicas} replica(s) × ${w.spec.resources.gpu.count} GPU`,
        `Phase:     ${w.status.phase}`,
        `Message:   ${w.status.message}`,
        `Submitted: ${w.status.createdAt} (${age(w.status.createdAt)} ago)`,
        "Placements:",
        ...(w.status.placements.length
          ? w.status.placements.map(
              (p) =>
                `  ${p.cluster}: ${p.replicas} replica(s)${p.spot ? " on spot" : ""}${p.gpuModel ? ` ${p.gpuModel}` : ""}, ${p.phase} (${p.readyReplicas} ready)${p.active ? "" : " [released]"}${p.message ? ` — ${p.message}` : ""}`,
            )
          : ["  none"]),
        "Events:",
        ...(w.status.placements.flatMap((p) => p.events.map((ev) => `  ${p.cluster}: ${ev}`)).slice(-10) || []),
      ];
      if (e.decision) {
        lines.push(
          `Decision:  ${e.decision.summary}`,
          `Estimated cost: ${usd(e.decision.estimatedCost.total)} (${usd(e.decision.estimatedCost.perHour)}/h, compute ${usd(e.decision.estimatedCost.compute)}, egress ${usd(e.decision.estimatedCost.egress)})`,
          `Runner-up: ${e.decision.runnerUp ?? "none"}`,
        );
      }
      out(lines.join("\n"));
    });

  const explain = new Command("explain")
    .description("why a workload runs where it runs, or waits: every cluster's verdict")
    .argument("<name>")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (name: string, opts: { output: string }, cmd: Command) => {
      const e = (await client(cmd).get(workloadPath(cmd, name, "/explain"))) as ExplainView;
      out(
        render(e, parseFormat(opts.output), () => {
          const { workload, phase, message, decision, decisionId: _id, ...extra } = e;
          const head = [`workload/${workload}: ${phase} — ${message}`];
          for (const [k, v] of Object.entries(extra)) {
            head.push(`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
          }
          if (!decision) return [...head, "no decision yet"].join("\n");
          return [
            ...head,
            `decision: ${decision.summary}`,
            `estimated cost: ${usd(decision.estimatedCost.total)} total, ${usd(decision.estimatedCost.perHour)}/h (compute ${usd(decision.estimatedCost.compute)}, egress ${usd(decision.estimatedCost.egress)})`,
            `runner-up: ${decision.runnerUp ?? "none"}`,
            "",
            verdictTable(decision.clusters),
          ].join("\n");
        }),
      );
    });

  const del = new Command("delete")
    .description("delete a workload (its agents remove it from their clusters), a policy or a budget")
    .argument("<kind>", "workload | policy | budget")
    .argument("<name>")
    .action(async (kind: string, name: string, _opts: unknown, cmd: Command) => {
      const paths: Record<string, string> = { workload: "workloads", policy: "policies", budget: "budgets" };
      const path = paths[kind];
      if (!path) throw new CliError(`delete: kind must be workload, policy or budget (got ${JSON.stringify(kind)})`);
      await client(cmd).delete(kind === "workload" ? workloadPath(cmd, name) : `/${path}/${encodeURIComponent(name)}`);
      out(`${kind}/${name} deleted`);
    });

  return [submit, get, describe, explain, del];
};

export { defaultHub };
