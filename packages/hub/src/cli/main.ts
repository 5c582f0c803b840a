import { ValidationError } from "@gantry/shared";
import { Command, CommanderError } from "commander";
import { planCommand } from "./commands/plan.ts";
import { policyCommands } from "./commands/policies.ts";
import { serverCommands } from "./commands/servers.ts";
import { defaultHub, workloadCommands } from "./commands/workloads.ts";
import { kubernetesDriverFactory } from "./drivers.ts";
import { CliError } from "./output.ts";

const out = (text: string) => process.stdout.write(`${text}\n`);

/** The `gantry` command line: servers (up, hub, agent) and the hub's client commands. */
export const buildProgram = (): Command => {
  const program = new Command("gantry")
    .description("Gantry: place AI workloads across GPU clusters by availability, data locality and price")
    .option("--hub <url>", "hub URL (GANTRY_HUB)", defaultHub(process.env))
    .showHelpAfterError()
    .exitOverride();
  for (const c of [
    ...serverCommands(out, { kubernetes: kubernetesDriverFactory }),
    ...workloadCommands(out),
    ...policyCommands(out),
    planCommand(),
  ]) {
    program.addCommand(c);
  }
  return program;
};

const main = async () => {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(e.exitCode);
    }
    if (e instanceof ValidationError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof Error && "code" in e && typeof e.code === "string") {
      process.stderr.write(`error: ${e.code}: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
};

await main();
