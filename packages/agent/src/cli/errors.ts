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
