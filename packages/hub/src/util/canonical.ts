import { createHash } from "node:crypto";

/** JSON with object keys sorted at every depth: equal values give equal text whatever the key order. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });

/** SHA-256 of the canonical JSON, hex. */
export const hashOf = (value: unknown): string => createHash("sha256").update(canonicalJson(value)).digest("hex");
