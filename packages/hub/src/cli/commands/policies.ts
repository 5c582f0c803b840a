import { Command } from "commander";
import { clientFor, type HubClient } from "../client.ts";
import { parseFormat, render, table, usd } from "../output.ts";

type Out = (text: string) => void;
const client = (cmd: Command): HubClient => clientFor(cmd);

/** costs: spend by tenant, cluster, pool or workload (get, apply and delete of policies and budgets live with the other kinds). */
export const policyCommands = (out: Out): Command[] => {
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

  return [costs];
};
