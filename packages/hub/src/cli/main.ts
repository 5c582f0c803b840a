import { reportCliError } from "@gantry/agent/cli";
import { Command, CommanderError } from "commander";
import { clusterCommands } from "./commands/clusters.ts";
import { planCommand } from "./commands/plan.ts";
import { policyCommands } from "./commands/policies.ts";
import { serverCommands } from "./commands/servers.ts";
import { tokenCommands } from "./commands/tokens.ts";
import { defaultHub, workloadCommands } from "./commands/workloads.ts";

const out = (text: string) => process.stdout.write(`${text}\n`);

// A reader that stops early (`gantry get workloads | head`) closes the pipe: that is the end of the output, not an
// error to print a stack for.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

/** The `gantry` command line: servers (up, hub, agent) and the hub's client commands. */
export const buildProgram = (): Command => {
  const program = new Command("gantry")
    .description("Gantry: place AI workloads across GPU clusters by availability, data locality and price")
    .option("--hub <url>", "hub URL (GANTRY_HUB)", defaultHub(process.env))
    .option("-t, --tenant <tenant>", "the tenant to work in (default: default)")
    .option("--token <token>", "API token (GANTRY_TOKEN; for a local hub, .gantry/data/admin.token)")
    .showHelpAfterError()
    .exitOverride();
  for (const c of [
    ...serverCommands(out),
    ...workloadCommands(out),
    ...policyCommands(out),
    clusterCommands(out),
    ...tokenCommands(out),
    planCommand(),
  ]) {
    program.addCommand(c);
  }
  return program;
};

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  reportCliError(e);
}
