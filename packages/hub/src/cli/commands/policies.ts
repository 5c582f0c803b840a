import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { clientFor, type HubClient } from "../client.ts";
import { CliError, type OutputFormat, parseFormat, render, table, usd } from "../output.ts";

type Out = (text: string) => void;
const client = (cmd: Command): HubClient => clientFor(cmd);

interface PolicyView {
  metadata: { name: string };
  spec: {
    tenants: string[];
    pools: { name: string; capacity: string }[];
    burst?: Record<string, number>;
    caps: Record<string, number>;
    drainBack: { enabled: boolean; afterSeconds: number };
  };
}
interface BudgetView {
  metadata: { name: string };
  spec: { perDay?: number; perMonth?: number; weight: number };
  status: { spentToday: number; spentThisMonth: number };
}

/** `gantry get policies`. */
export const listPolicies = async (api: HubClient, format: OutputFormat): Promise<string> => {
  const { items } = (await api.get("/policies")) as { items: PolicyView[] };
  return render(items, format, () =>
    table(
      ["NAME", "TENANTS", "POOLS", "BURST", "CAPS", "DRAIN-BACK"],
      items.map((p) => [
        p.metadata.name,
        p.spec.tenants.join(",") || "*",
        p.spec.pools.map((x) => `${x.name}${x.capacity === "any" ? "" : `(${x.capacity})`}`).join(" → "),
        Object.entries(p.spec.burst ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || "-",
        Object.entries(p.spec.caps)
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || "-",
        p.spec.drainBack.enabled ? `after ${p.spec.drainBack.afterSeconds}s` : "off",
      ]),
    ),
  );
};

/** `gantry get budgets`. */
export const listBudgets = async (api: HubClient, format: OutputFormat): Promise<string> => {
  const { items } = (await api.get("/budgets")) as { items: BudgetView[] };
  return render(items, format, () =>
    table(
      ["TENANT", "TODAY", "PER DAY", "MONTH", "PER MONTH", "WEIGHT"],
      items.map((b) => [
        b.metadata.name,
        usd(b.status.spentToday),
        usd(b.spec.perDay),
        usd(b.status.spentThisMonth),
        usd(b.spec.perMonth),
        b.spec.weight,
      ]),
    ),
  );
};

/** apply and costs: the operator's side (get and delete of policies and budgets live with the other kinds). */
export const policyCommands = (out: Out): Command[] => {
  const apply = new Command("apply")
    .description("create or replace BurstPolicy and Budget resources (and submit Workloads) from YAML/JSON")
    .requiredOption("-f, --file <file>", "resource file (several documents allowed)")
    .action(async (opts: { file: string }, cmd: Command) => {
      let text: string;
      try {
        text = await readFile(opts.file, "utf8");
      } catch (e) {
        throw new CliError(`cannot read -f ${opts.file}: ${(e as Error).message}`);
      }
      // The schemas load on use: the other commands start without them.
      const { parseResources } = await import("./resources.ts");
      const resources = parseResources(text, opts.file);
      const api = client(cmd);
      for (const r of resources) {
        const body = JSON.stringify(r);
        const name = encodeURIComponent(r.metadata.name);
        if (r.kind === "BurstPolicy") await api.put(`/policies/${name}`, body, "application/json");
        else if (r.kind === "Budget") await api.put(`/budgets/${name}`, body, "application/json");
        else await api.post("/workloads", body, "application/json");
        out(`${r.kind.toLowerCase()}/${r.metadata.name} ${r.kind === "Workload" ? "submitted" : "applied"}`);
      }
    });

  const costs = new Command("costs")
    .description("spend by tenant, cluster, pool or workload (default: today, UTC)")
    .option("--group-by <key>", "tenant | cluster | pool | workload", "tenant")
    .option("--from <iso>", "start (ISO 8601)")
    .option("--to <iso>", "end (ISO 8601)")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (opts: { groupBy: string; from?: string; to?: string; output: string }, cmd: Command) => {
      const q = new URLSearchParams({ groupBy: opts.groupBy });
      if (opts.from) q.set("from", opts.from);
      if (opts.to) q.set("to", opts.to);
      const r = (await client(cmd).get(`/costs?${q}`)) as {
        total: number;
        items: { key: string; compute: number; egress: number; total: number }[];
      };
      out(
        render(r, parseFormat(opts.output), () =>
          [
            table(
              [opts.groupBy.toUpperCase(), "COMPUTE", "EGRESS", "TOTAL"],
              r.items.map((i) => [i.key, usd(i.compute), usd(i.egress), usd(i.total)]),
            ),
            `total ${usd(r.total)}`,
          ].join("\n"),
        ),
      );
    });

  return [apply, costs];
};
