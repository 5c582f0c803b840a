import { type FieldIssue, ValidationError } from "@gantry/shared";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HubError, type HubErrorCode } from "../errors.ts";
import { databaseUnavailable, isUnavailable } from "../store/db-errors.ts";

const statusOf: Record<HubErrorCode, ContentfulStatusCode> = {
  validation_failed: 400,
  bad_request: 400,
  not_found: 404,
  conflict: 409,
  unsupported_media_type: 415,
  budget_exceeded: 422,
  unsatisfiable: 422,
  unknown_reference: 422,
  payload_too_large: 413,
  database_unavailable: 503,
  not_leader: 503,
};

/** RFC 9457 problem details with Gantry's stable `code` and, for bad input, the fields at fault. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldIssue[];
  details?: unknown;
}

/** The one place errors become HTTP responses. Unknown errors are bugs: 500, logged by the caller. */
export const problemOf = (raw: unknown): Problem => {
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
      status: statusOf[error.code],
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

export const respondProblem = (c: Context, problem: Problem) =>
  c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    "content-type": "application/problem+json",
    ...(problem.status === 503 ? { "retry-after": "2" } : {}),
  });
