import { reportCliError } from "@gantry/agent/errors";
import { Command, CommanderError } from "commander";
import { applyCommand } from "./commands/apply.ts";
import { clusterCommands } from "./commands/clusters.ts";
import { deleteCommand } from "./commands/delete.ts";
import { describeCommand } from "./commands/describe.ts";
import { getCommand } from "./commands/get.ts";
import { logsCommand } from "./commands/logs.ts";
import { completionCommand, versionCommand } from "./commands/meta.ts";
import { natsCommand } from "./commands/nats.ts";
import { planCommand } from "./commands/plan.ts";
import { policyCommands } from "./commands/policies.ts";
import { tokenCommands } from "./commands/tokens.ts";
import { defaultHub, workloadCommands } from "./commands/workloads.ts";
import { ExitCode, exitCodeTable } from "./exit-codes.ts";

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

// A reader that stops early (`gantry get workloads | head`) closes the pipe: that is the end of the output, not an
// error to print a stack for.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

/** Global options that take a value: their value is not a command word. */
const valued = new Set(["--hub", "-t", "--tenant", "--token"]);

/** The command word of an argument vector (`gantry --hub X get …` → `get`), or undefined. */
export const commandWord = (args: readonly string[]): string | undefined => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (valued.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
};

/**
 * The `gantry` command line: the hub's client commands, and the servers (up, hub, agent) with the whole hub and
 * agent behind them. The servers are loaded only when the command needs them (or help and completion list them):
 * on a busy machine importing the hub costs seconds every client command would otherwise pay.
 */
export const buildProgram = async (args: readonly string[] = process.argv.slice(2)): Promise<Command> => {
  const program = new Command("gantry")
    .description("Gantry: place AI workloads across GPU clusters by availability, data locality and price")
    .option("--hub <url>", "hub URL (GANTRY_HUB)", defaultHub(process.env))
    .option("-t, --tenant <tenant>", "the tenant to work in (default: every tenant the token may see)")
    .option("--token <token>", "API token (GANTRY_TOKEN; for a local hub, .gantry/data/admin.token)")
    .addHelpText("after", `\nExit codes:\n${exitCodeTable.map((r) => `  ${r.code}  ${r.meaning}`).join("\n")}`)
    .showHelpAfterError()
    .exitOverride();
  for (const c of [
    getCommand(out),
    describeCommand(out),
    applyCommand(out, err),
    deleteCommand(out, err),
    ...workloadCommands(out),
    logsCommand((chunk) => process.stdout.write(chunk), err),
    ...policyCommands(out),
    clusterCommands(out),
    natsCommand(out),
    ...tokenCommands(out),
    planCommand(),
    versionCommand(out),
    completionCommand(out, () => program),
  ]) {
    program.addCommand(c);
  }
  const word = commandWord(args);
  const client = new Set(program.commands.map((c) => c.name()));
  if (word === undefined || word === "completion" || word === "help" || !client.has(word)) {
    const { serverCommands } = await import("./commands/servers.ts");
    for (const c of serverCommands(out)) program.addCommand(c);
  }
  // Every command throws instead of exiting, so a usage error anywhere surfaces as a CommanderError (exit 2).
  const override = (c: Command): void => {
    c.exitOverride();
    for (const sub of c.commands) override(sub);
  };
  override(program);
  return program;
};

/** Commander's own exits: help and --version are success; anything else it reports is a usage error. */
const commanderExit = (e: CommanderError): number =>
  e.exitCode === 0 ||
  e.code === "commander.helpDisplayed" ||
  e.code === "commander.help" ||
  e.code === "commander.version"
    ? ExitCode.ok
    : ExitCode.usage;

try {
  await (await buildProgram()).parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(commanderExit(e));
  reportCliError(e);
}
