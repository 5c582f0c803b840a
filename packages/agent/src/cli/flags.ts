import { CliError, USAGE_EXIT } from "./errors.ts";

/**
 * A commander argument parser for non-negative numbers that names the flag when it fails. Its own module: command
 * definitions use it, and they load nothing else of the agent.
 */
export const nonNegative = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`${flag} must be a non-negative number (got ${JSON.stringify(value)})`, USAGE_EXIT);
  return n;
};
