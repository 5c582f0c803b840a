import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { Role } from "../api/auth/principal.ts";

/**
 * API tokens: only the SHA-256 of the secret is kept (see api/auth/token-secret.ts for why that suffices).
 * A revoked token keeps its row, so the audit log's subjects stay explainable.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role").$type<Role>().notNull(),
    tenant: text("tenant"),
    hash: text("hash").notNull(),
    /** The secret's first characters (`gtk_AbCd`), to tell tokens apart in a list. */
    hint: text("hint").notNull(),
    /** The admin token `gantry up` writes to `<data-dir>/admin.token`; at most one is live. */
    bootstrap: boolean("bootstrap").notNull().default(false),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("api_tokens_hash_idx").on(t.hash),
    // Live names are unique, so `token:<name>` names one caller in audit rows and rate limits.
    uniqueIndex("api_tokens_live_name_idx").on(t.name).where(sql`${t.revokedAt} is null`),
  ],
);

/** Who did what to which object, and how it ended; success rows commit with the change they describe. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    subject: text("subject").notNull(),
    role: text("role"),
    tenant: text("tenant"),
    action: text("action").notNull(),
    objectKind: text("object_kind"),
    objectName: text("object_name"),
    /** The tenant the object belongs to, when it belongs to one (the caller's own tenant is `tenant`). */
    objectTenant: text("object_tenant"),
    outcome: text("outcome").$type<"success" | "denied" | "failed">().notNull(),
    status: integer("status").notNull(),
    requestId: text("request_id"),
    detail: jsonb("detail").$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_log_at_idx").on(t.at), index("audit_log_subject_idx").on(t.subject, t.id)],
);

export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
