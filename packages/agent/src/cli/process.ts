import { readFile } from "node:fs/promises";
import { Fleet, parseDocument, parseWith } from "@gantry/shared";
import { CliError, USAGE_EXIT } from "./errors.ts";

/** Read and validate a fleet file; errors name the file and the field. */
export const readFleet = async (file: string): Promise<Fleet> => {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read fleet file ${file}: ${(e as Error).message}`, USAGE_EXIT);
  }
  return parseWith(Fleet, parseDocument(text, file), file);
};

/**
 * Stop everything on Ctrl-C or SIGTERM, in reverse order of starting. A stop that has not finished after `deadlineMs`
 * (a server that does not answer) ends the process anyway, and a second signal ends it at once.
 */
export const untilSignal = (stop: () => Promise<void>, deadlineMs = 5_000) =>
  new Promise<void>((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting now\n`);
        process.exit(130);
      }
      stopping = true;
      const timer = setTimeout(() => {
        process.stderr.write(`shutdown did not finish within ${deadlineMs} ms; exiting\n`);
        process.exit(1);
      }, deadlineMs);
      timer.unref();
      stop()
        .catch((e: unknown) => process.stderr.write(`shutdown failed: ${(e as Error).message}\n`))
        .finally(() => {
          clearTimeout(timer);
          resolve();
        });
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  });
