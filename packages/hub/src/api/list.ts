import { textIssue } from "@gantry/shared";
import { z } from "@hono/zod-openapi";
import { HubError } from "../errors.ts";

/** Largest page a list returns; the default is 100 (what `kubectl get` users expect to scroll). */
export const MAX_PAGE = 1_000;

/** Query parameters every list takes (Kubernetes' `limit` and `continue`). */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100).openapi({ description: "Page size (1–1000)" }),
  continue: z
    .string()
    .max(1_024)
    .optional()
    .openapi({ description: "Token from the previous page's `metadata.continue`" }),
  view: z
    .enum(["full", "summary"])
    .default("full")
    .openapi({ description: "summary: names, phases and placements only" }),
});

/** An opaque continue token: the key the next page starts after, in base64url JSON. */
export const encodeContinue = (key: Record<string, string>): string =>
  Buffer.from(JSON.stringify(key)).toString("base64url");

/** Decode a continue token into the fields `shape` names; a bad token is the caller's mistake (400). */
export const decodeContinue = <K extends string>(
  token: string | undefined,
  fields: readonly K[],
): Record<K, string> | undefined => {
  if (token === undefined || token === "") return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      typeof value === "object" &&
      value !== null &&
      fields.every((f) => {
        const v = (value as Record<string, unknown>)[f];
        // What the hub issued is always storable text; a forged NUL reached PostgreSQL and answered 500.
        return typeof v === "string" && textIssue(v) === undefined;
      })
    ) {
      return value as Record<K, string>;
    }
  } catch {
    // fall through to the error below
  }
  throw new HubError("validation_failed", "continue is not a token this hub issued", [
    { field: "continue", message: "not a valid continue token; start from the first page" },
  ]);
};

/** Response metadata for a page. */
export const listMeta = (next: string | undefined, extra: Record<string, unknown> = {}) => ({
  ...extra,
  ...(next ? { continue: next } : {}),
});
