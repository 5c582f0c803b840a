import { Command, CommanderError } from "commander";
import { agentCommand, reportCliError } from "./agent-command.ts";

/**
 * The agent's own entry point (`gantry-agent agent …`, the same arguments as `gantry agent …`):
 * what the agent image runs, bundled, without the hub's code.
 */
const program = new Command("gantry-agent")
  .description("Gantry's per-cluster agent")
  .exitOverride()
  .addCommand(agentCommand((text) => process.stdout.write(`${text}\n`)));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  reportCliError(e);
}
