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

type JsonSchema = Record<string, unknown>;
const documented = new WeakMap<z.ZodType, JsonSchema>();

/**
 * A request body the handler reads itself, with `readDocument` (JSON or YAML by media type, NUL and size checks, the
 * parser's line and column): described in the OpenAPI document, but as plain JSON Schema, so the route layer neither
 * parses it as JSON first nor gates its media type (a YAML body sent as `text/yaml`, or curl's default type, was a 500).
 */
export const documentedBody = (schema: z.ZodType) => {
  let json = documented.get(schema);
  if (!json) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
      io: "input",
      unrepresentable: "any",
    }) as JsonSchema;
    json = rest;
    documented.set(schema, json);
  }
  const media = { schema: json };
  return {
    content: {
      "application/json": media,
      "application/yaml": media,
      "application/x-yaml": media,
      "text/yaml": media,
    },
    required: true,
  };
};
