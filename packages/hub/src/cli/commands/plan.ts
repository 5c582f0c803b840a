/**
 * `gantry plan`: the placement engine offline. Reads a fleet file and a workload file, prints the decision the hub
 * would make on that snapshot, with every cluster's verdict. No hub, no network. The engine loads when it runs.
 */
import { Command } from "commander";
import type { PlanFlags, PlanIo } from "./plan-run.ts";

const stdio: PlanIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** `gantry plan --fleet FLEET.yaml --workload WORKLOAD.yaml [-o json|yaml|table]`. */
export const planCommand = (io: PlanIo = stdio): Command =>
  new Command("plan")
    .description("decide offline where a workload would run on a fleet file, and explain why")
    .requiredOption("--fleet <file>", "fleet file (YAML or JSON): clusters, datasets, reservations")
    .requiredOption("--workload <file>", "workload file (YAML or JSON)")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .option("--pool <clusters>", "restrict to these clusters (comma-separated), as a burst policy does")
    .option("--tier-preference <tiers>", "preferred tier order, e.g. onprem,cloud (needs --tier-premium)")
    .option("--tier-premium <usd>", "USD per GPU-hour each step down --tier-preference adds to the rank value")
    .action(async (opts: PlanFlags) => {
      const { runPlanCommand } = await import("./plan-run.ts");
      await runPlanCommand(opts, io);
    });
