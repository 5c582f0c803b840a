/** The exit code for bad flags, arguments or files (the hub CLI's `ExitCode.usage`; the README's table). */
export const USAGE_EXIT = 2;

/** An error a command line reports as a message (no stack) with a non-zero exit code. */
export class CliError extends Error {
  readonly code = "cli_error";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Exit with the message (no stack) for errors that carry one; rethrow bugs. */
export const reportCliError = (e: unknown): never => {
  if (e instanceof CliError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(e.exitCode);
  }
  if (e instanceof Error && "code" in e && typeof e.code === "string") {
    process.stderr.write(`error: ${e.code}: ${e.message}\n`);
    process.exit(e.code === "validation_failed" ? 2 : 1);
  }
  throw e;
};
