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
  | "unknown_reference";

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
