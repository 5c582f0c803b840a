import { z } from "@hono/zod-openapi";

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  code: z.string(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  requestId: z.string().optional(),
});

const descriptions: Record<number, string> = {
  400: "Invalid input; `errors` names each field",
  401: "No or bad credentials (send Authorization: Bearer <token>)",
  403: "The caller's role or tenant does not allow this",
  404: "Not found",
  409: "Conflict",
  413: "Request body too large",
  415: "Unsupported media type",
  422: "Refused: budget exceeded, unknown dataset or GPU model, or unsatisfiable on the whole fleet",
  429: "Over the caller's request rate; see Retry-After",
  503: "The database or the leader is unavailable right now; retry shortly",
};

/**
 * Problem+json responses for the given status codes, for the OpenAPI document. 401 and 429 are always among them:
 * every route sits behind authentication and the rate limit.
 */
export const problemResponses = <const C extends number>(...codes: C[]) =>
  Object.fromEntries(
    [...new Set<number>([...codes, 401, 429])]
      .sort((a, b) => a - b)
      .map((code) => [
        code,
        { description: descriptions[code] ?? "Error", content: { "application/problem+json": { schema: Problem } } },
      ]),
  ) as Record<
    C | 401 | 429,
    { description: string; content: { "application/problem+json": { schema: typeof Problem } } }
  >;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const label = (name: string) =>
  z
    .string()
    .min(1)
    .max(63)
    .regex(DNS_LABEL, "must be a DNS-1123 label: lower-case letters, digits and '-'")
    .openapi({ param: { name, in: "path" } });

/** The `{name}` path parameter every resource route takes (checked before anything reaches the database). */
export const NameParam = z.object({ name: label("name") });
export const TenantParam = z.object({ tenant: label("tenant") });
export const TenantNameParams = z.object({ tenant: label("tenant"), name: label("name") });
