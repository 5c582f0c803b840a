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
