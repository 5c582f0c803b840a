import { Command } from "commander";
import { HUB_VERSION } from "../../version.ts";
import { clientFor } from "../client.ts";
import { bashCompletion, completionTree, fishCompletion, zshCompletion } from "../completion.ts";
import { ExitCode } from "../exit-codes.ts";
import { kinds } from "../kinds.ts";
import { CliError, parseFormat, render } from "../output.ts";

type Out = (text: string) => void;

interface HubVersion {
  gantry?: unknown;
  version: string;
  apiVersion: string;
  protocolVersion: number;
  database: string;
}

/** `gantry version`: this CLI's version and the hub's (from `GET /api/v1/version`); `--client` skips the hub. */
export const versionCommand = (out: Out): Command =>
  new Command("version")
    .description("the CLI's version and the hub's")
    .option("--client", "only the CLI's version (no hub needed)")
    .option("-o, --output <format>", "table | json | yaml", "table")
    .action(async (opts: { client?: boolean; output: string }, cmd: Command) => {
      const format = parseFormat(opts.output);
      const client = { version: HUB_VERSION };
      if (opts.client) {
        out(render({ client }, format, () => `Client: gantry ${client.version}`));
        return;
      }
      const api = clientFor(cmd);
      const hub = (await api.get("/version")) as HubVersion;
      if (hub?.gantry !== "hub") {
        throw new CliError(
          `not a Gantry hub: ${api.base}/api/v1/version answered JSON that is not a hub's version`,
          ExitCode.unreachable,
        );
      }
      out(
        render({ client, hub }, format, () =>
          [
            `Client: gantry ${client.version}`,
            `Hub:    gantry ${hub.version} at ${api.base} (API ${hub.apiVersion}, agent protocol ${hub.protocolVersion}, ${hub.database})`,
          ].join("\n"),
        ),
      );
    });

/** `gantry completion bash|zsh|fish`: a script generated from the program's own command tree. */
export const completionCommand = (out: Out, program: () => Command): Command =>
  new Command("completion")
    .description("print a shell completion script: source <(gantry completion bash)")
    .argument("<shell>", "bash | zsh | fish")
    .action((shell: string) => {
      const kindWords = kinds.flatMap((k) => k.names.slice(0, 2));
      const tree = completionTree(program(), {
        get: kindWords,
        describe: ["workload", "cluster", "policy"],
        delete: kindWords,
      });
      if (shell === "bash") out(bashCompletion("gantry", tree));
      else if (shell === "zsh") out(zshCompletion("gantry", tree));
      else if (shell === "fish") out(fishCompletion("gantry", tree));
      else
        throw new CliError(
          `completion: shell must be bash, zsh or fish (got ${JSON.stringify(shell)})`,
          ExitCode.usage,
        );
    });
