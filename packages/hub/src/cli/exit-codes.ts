/**
 * The CLI's exit codes: one table, so scripts can branch on what went wrong and the README can list them.
 * 1 is kept for failures that fit no other row.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  /** Bad flags or arguments, a file that cannot be read, or a document the CLI or the hub refused as invalid (HTTP 400, 413, 415, 422). */
  usage: 2,
  /** The named object does not exist (HTTP 404). */
  notFound: 3,
  /** The object exists and the change conflicts with it (HTTP 409): a different spec, a name in several tenants. */
  conflict: 4,
  /** No token, a token the hub refused, or a role or tenant that may not do this (HTTP 401, 403). */
  forbidden: 5,
  /** The hub cannot be reached (refused, DNS, TLS, timeout) or what answered is not a Gantry hub. */
  unreachable: 6,
  /** The hub failed or is unavailable for now (HTTP 5xx, 429). */
  server: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The rows of the table, for the README and `gantry help exit-codes`. */
export const exitCodeTable: readonly { code: ExitCode; meaning: string }[] = [
  { code: ExitCode.ok, meaning: "success" },
  {
    code: ExitCode.failure,
    meaning: "any other failure (one without a code of its own, e.g. a file that cannot be written)",
  },
  {
    code: ExitCode.usage,
    meaning:
      "usage or validation: bad flags, a misspelt setting (GANTRY_* variables), or the hub refused the input (400, 413, 415, 422)",
  },
  { code: ExitCode.notFound, meaning: "not found (404)" },
  { code: ExitCode.conflict, meaning: "conflict (409): exists with a different spec, or a change it cannot take" },
  { code: ExitCode.forbidden, meaning: "unauthenticated or forbidden (401, 403)" },
  { code: ExitCode.unreachable, meaning: "hub unreachable (refused, DNS, TLS, timeout) or not a Gantry hub" },
  { code: ExitCode.server, meaning: "server error or unavailable (5xx, 429)" },
];

/** The exit code for an HTTP error status the hub answered with. */
export const exitCodeForStatus = (status: number): ExitCode => {
  if (status === 404) return ExitCode.notFound;
  if (status === 409) return ExitCode.conflict;
  if (status === 401 || status === 403) return ExitCode.forbidden;
  if (status === 429 || status >= 500) return ExitCode.server;
  if (status >= 400) return ExitCode.usage;
  return ExitCode.failure;
};
