import { type FieldIssue, ValidationError } from "@gantry/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HUB_ERROR_CODES, HubError, type HubErrorCode } from "../errors.ts";
import { databaseUnavailable, isUnavailable } from "../store/db-errors.ts";

const statusOf = (code: HubErrorCode): ContentfulStatusCode => HUB_ERROR_CODES[code].status;

/** RFC 9457 problem details with Gantry's stable `code` and, for bad input, the fields at fault. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldIssue[];
  details?: unknown;
  /** The request's `X-Request-Id`, so a caller can quote it and an operator find the log and audit rows. */
  requestId?: string;
}

/** Codes for the 4xx statuses hono's own middleware throws (`HTTPException`), by status. */
const codeOfStatus: Partial<Record<number, HubErrorCode>> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/**
 * A client error hono's middleware threw, as a HubError with its status' code: a framework's 4xx stays a 4xx (a
 * malformed JSON body once answered 500 here). Its 5xx stay unknown errors.
 */
const fromHono = (error: HTTPException): HubError | undefined => {
  const code = error.status < 500 ? (codeOfStatus[error.status] ?? "bad_request") : undefined;
  return code && new HubError(code, error.message || code.replaceAll("_", " "));
};

/** The one place errors become HTTP responses. Unknown errors are bugs: 500, logged by the caller. */
export const problemOf = (thrown: unknown): Problem => {
  const raw = thrown instanceof HTTPException ? (fromHono(thrown) ?? thrown) : thrown;
  // The database going away is not the caller's fault and not a bug: 503, retry shortly.
  const error =
    !(raw instanceof HubError) && !(raw instanceof ValidationError) && isUnavailable(raw)
      ? databaseUnavailable(raw)
      : raw;
  if (error instanceof ValidationError) {
    return {
      type: "https://gantry.dev/problems/validation_failed",
      title: "Invalid request",
      status: 400,
      code: error.code,
      detail: error.message,
      errors: error.issues,
    };
  }
  if (error instanceof HubError) {
    const fields =
      (error.code === "validation_failed" || error.code === "unknown_reference") && Array.isArray(error.details)
        ? { errors: error.details as FieldIssue[] }
        : {};
    return {
      ...fields,
      type: `https://gantry.dev/problems/${error.code}`,
      title: error.code.replaceAll("_", " "),
      status: statusOf(error.code),
      code: error.code,
      detail: error.message,
      ...(error.details === undefined || "errors" in fields ? {} : { details: error.details }),
    };
  }
  return {
    type: "https://gantry.dev/problems/internal",
    title: "Internal error",
    status: 500,
    code: "internal",
    detail: "the hub failed to handle this request; see its logs",
  };
};

/** Headers some problems must carry: the auth challenge on 401 (RFC 6750) and when to retry on 429. */
export const problemHeaders = (error: unknown): Record<string, string> => {
  if (!(error instanceof HubError)) return {};
  if (error.code === "unauthenticated") return { "www-authenticate": 'Bearer realm="gantry"' };
  if (error.code === "rate_limited") {
    const after = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    return typeof after === "number" ? { "retry-after": String(Math.max(1, Math.ceil(after))) } : {};
  }
  return {};
};

export const respondProblem = (c: Context, problem: Problem, headers: Record<string, string> = {}) => {
  // Absent only when the request-id middleware is not mounted (unit tests of this module).
  const requestId: string | undefined = c.get("requestId");
  const body = requestId === undefined ? problem : { ...problem, requestId };
  return c.body(JSON.stringify(body), problem.status as ContentfulStatusCode, {
    ...headers,
    "content-type": "application/problem+json",
    ...(problem.status === 503 ? { "retry-after": "2" } : {}),
  });
};
