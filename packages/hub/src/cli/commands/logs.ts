import { Command } from "commander";
import { clientFor } from "../client.ts";
import { ExitCode } from "../exit-codes.ts";
import { describeNetworkError } from "../network.ts";
import { CliError } from "../output.ts";
import { workloadPath } from "./workloads.ts";

type Out = (text: string) => void;

const count = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a whole number (got ${v})`, ExitCode.usage);
  return n;
};

/** `gantry logs NAME [-f] [--replica N] [--tail N]`: a replica's lines, read by its cluster's agent. */
export const logsCommand = (write: (chunk: string) => void, err: Out): Command =>
  new Command("logs")
    .description("a workload replica's logs, read by its cluster's agent (-f follows)")
    .argument("<name>", "workload")
    .option("-f, --follow", "keep streaming new lines until the replica ends (Ctrl-C stops)")
    .option("--replica <n>", "which replica, numbered across its clusters (default 0)", count("--replica"))
    .option("--tail <n>", "only the last N lines so far", count("--tail"))
    .action(async (name: string, opts: { follow?: boolean; replica?: number; tail?: number }, cmd: Command) => {
      const api = clientFor(cmd);
      const q = new URLSearchParams();
      if (opts.follow) q.set("follow", "true");
      if (opts.replica !== undefined) q.set("replica", String(opts.replica));
      if (opts.tail !== undefined) q.set("tailLines", String(opts.tail));
      const response = await api.stream(workloadPath(cmd, name, `/logs?${q}`));
      const where = response.headers.get("gantry-cluster");
      if (where) err(`# ${name} replica ${response.headers.get("gantry-replica") ?? "?"} in ${where}`);
      if (!response.body) return;
      const decoder = new TextDecoder();
      try {
        for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
          write(decoder.decode(bytes, { stream: true }));
        }
      } catch (e) {
        throw new CliError(`the logs stream broke: ${describeNetworkError(e, api.base)}`, ExitCode.unreachable);
      }
    });
