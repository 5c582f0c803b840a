/** Every error the hub returns to a caller has a stable code; the API maps codes to HTTP status in one place. */
export type HubErrorCode =
  | "validation_failed"
  | "not_found"
  | "conflict"
  | "budget_exceeded"
  | "unsupported_media_type"
  | "bad_request"
  | "database_unavailable"
  | "not_leader"
  | "payload_too_large"
  | "unsatisfiable"
  | "unknown_reference"
  /** No credentials, or credentials the hub does not accept (401, with `WWW-Authenticate: Bearer`). */
  | "unauthenticated"
  /** Authenticated, but the caller's role or tenant does not allow this (403). */
  | "forbidden"
  /** The caller's request budget is spent for now (429, with `Retry-After`; `details.retryAfterSeconds`). */
  | "rate_limited"
  /** A service the hub depends on for this request (e.g. the OIDC issuer) cannot be reached (503). */
  | "unavailable";

/** Each code's HTTP status and what it means: the API maps codes to statuses here, and the README prints this. */
export const HUB_ERROR_CODES = {
  validation_failed: { status: 400, meaning: "the input does not match its schema; `errors` names each field" },
  bad_request: { status: 400, meaning: "the request cannot be read (empty body, a NUL byte, a malformed query)" },
  unauthenticated: { status: 401, meaning: "no credentials, or ones the hub does not accept (`WWW-Authenticate`)" },
  forbidden: { status: 403, meaning: "the caller's role or tenant does not allow this" },
  not_found: { status: 404, meaning: "no such object, or no such route" },
  conflict: { status: 409, meaning: "it exists already, or the name is ambiguous across tenants" },
  payload_too_large: { status: 413, meaning: "the body is over the hub's limit (`GANTRY_BODY_LIMIT_BYTES`, 1 MiB)" },
  unsupported_media_type: { status: 415, meaning: "send JSON or YAML" },
  budget_exceeded: { status: 422, meaning: "the tenant's budget is spent for the day or month" },
  unknown_reference: {
    status: 422,
    meaning: "a dataset nobody registered, or GPU models no registered cluster has; names the known ones",
  },
  unsatisfiable: {
    status: 422,
    meaning: "it could not run even on the whole fleet, empty; says why (`GANTRY_ACCEPT_UNSATISFIABLE` accepts it)",
  },
  rate_limited: { status: 429, meaning: "over the caller's request rate; see `Retry-After`" },
  database_unavailable: { status: 503, meaning: "the database cannot be reached right now; retry" },
  not_leader: { status: 503, meaning: "this replica cannot do that now (it is not the leader); retry" },
  unavailable: { status: 503, meaning: "a service the request needs (the OIDC issuer) cannot be reached; retry" },
} as const satisfies Record<HubErrorCode, { status: number; meaning: string }>;

/** What a request that hit a bug answers: 500, with a request id the log line carries too. */
export const INTERNAL_ERROR = {
  code: "internal",
  status: 500,
  meaning: "a bug in the hub, logged with the request id",
};

/** Every `code` the API can answer with, as the README's Markdown table (a test holds the README to it). */
export const errorCodesTable = (): string =>
  [
    "| code | status | meaning |",
    "| --- | --- | --- |",
    ...Object.entries(HUB_ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.meaning} |`),
    `| \`${INTERNAL_ERROR.code}\` | ${INTERNAL_ERROR.status} | ${INTERNAL_ERROR.meaning} |`,
  ].join("\n");

export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "HubError";
  }
}

export const notFound = (what: string, name: string): HubError =>
  new HubError("not_found", `${what} ${JSON.stringify(name)} does not exist`);
