/**
 * The agent's command-line front door (`@gantry/agent/cli`): what another program's CLI needs to offer
 * `gantry agent` and report errors, without loading the agent itself (it is imported when the command runs), so a
 * command line that embeds it starts fast.
 */
export { agentCommand, reportCliError } from "./agent-command.ts";
export { CliError } from "./errors.ts";
export { nonNegative } from "./flags.ts";
