import { Command } from "commander";
import type { AgentFlags } from "./agent-run.ts";
import { nonNegative } from "./flags.ts";

/** `gantry agent`: one cluster's agent, simulated or on Kubernetes. */
export const agentCommand = (out: (text: string) => void): Command =>
  new Command("agent")
    .description("run one cluster's agent")
    .requiredOption("--cluster <name>", "the cluster this agent serves")
    .option("--driver <driver>", "simulated | kubernetes", "simulated")
    .option("--sim <file>", "fleet file holding the simulated cluster (driver simulated)")
    .option("--describe <file>", "cluster description YAML: tier, region, pricing (driver kubernetes)")
    .option("--kubeconfig <file>", "kubeconfig (default: in-cluster service account, then KUBECONFIG, ~/.kube/config)")
    .option("--nats-url <url>", "NATS URL (NATS_URL)")
    .option(
      "--creds <file>",
      "this cluster's NATS credentials from `gantry cluster add` (NATS_CREDS); watched for rotation",
    )
    .option(
      "--seconds-per-hour <n>",
      "simulated driver: real seconds per simulated hour",
      nonNegative("--seconds-per-hour"),
      60,
    )
    .option("--heartbeat-ms <n>", "heartbeat interval", nonNegative("--heartbeat-ms"))
    .option("--status-ms <n>", "full status report interval (changes are reported at once)", nonNegative("--status-ms"))
    .option("--resync-ms <n>", "full desired-state pull interval", nonNegative("--resync-ms"))
    .action(async (o: AgentFlags) => {
      // Loaded on use: `gantry --help` and the client commands do not pay for the agent's code.
      const { runAgent } = await import("./agent-run.ts");
      await runAgent(o, out);
    });

export { reportCliError } from "./errors.ts";
