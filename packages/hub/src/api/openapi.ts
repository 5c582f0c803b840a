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
  415: "Unsupported media type",
  422: "Refused by policy (e.g. budget)",
  429: "Over the caller's request rate; see Retry-After",
};

/** Problem+json responses for the given status codes, for the OpenAPI document. */
export const problemResponses = <const C extends number>(...codes: C[]) =>
  Object.fromEntries(
    codes.map((code) => [
      code,
      { description: descriptions[code] ?? "Error", content: { "application/problem+json": { schema: Problem } } },
    ]),
  ) as Record<C, { description: string; content: { "application/problem+json": { schema: typeof Problem } } }>;

/** The `{name}` path parameter every resource route takes. */
export const NameParam = z.object({
  name: z
    .string()
    .min(1)
    .openapi({ param: { name: "name", in: "path" } }),
});
