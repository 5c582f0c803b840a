import { Command } from "commander";
import { clientFor } from "../client.ts";
import { ExitCode } from "../exit-codes.ts";
import { kindFor } from "../kinds.ts";
import { CliError } from "../output.ts";
import { workloadPath } from "./workloads.ts";

type Out = (text: string) => void;

const enc = encodeURIComponent;

/** The API path that deletes one object of a kind (clusters are removed with `gantry cluster remove`). */
const deletePath = (kind: string, name: string, cmd: Command): string => {
  if (kind === "Workload") return workloadPath(cmd, name);
  if (kind === "BurstPolicy") return `/policies/${enc(name)}`;
  if (kind === "Budget") return `/budgets/${enc(name)}`;
  if (kind === "Dataset") return `/datasets/${enc(name)}`;
  if (kind === "Cluster") return `/clusters/${enc(name)}`;
  throw new CliError(`delete: cannot delete ${kind}`, ExitCode.usage);
};

/** `gantry delete KIND NAME...`: each name in turn; the first failure's exit code is the command's. */
export const deleteCommand = (out: Out, err: Out): Command =>
  new Command("delete")
    .description(
      "delete workloads (their agents remove them from their clusters), policies, budgets, datasets, clusters",
    )
    .argument("<kind>", "workload | policy | budget | dataset | cluster")
    .argument("<names...>")
    .action(async (kind: string, names: string[], _opts: unknown, cmd: Command) => {
      const spec = kindFor(kind, "delete");
      const api = clientFor(cmd);
      let failed: CliError | undefined;
      for (const name of names) {
        try {
          await api.delete(deletePath(spec.kind, name, cmd));
          out(`${spec.names[0]}/${name} deleted`);
        } catch (e) {
          if (!(e instanceof CliError) || e.exitCode === ExitCode.unreachable) throw e;
          err(e.message);
          failed ??= e;
        }
      }
      if (failed)
        throw new CliError(
          `delete: ${names.length > 1 ? "some objects were" : "nothing was"} not deleted`,
          failed.exitCode,
        );
    });
