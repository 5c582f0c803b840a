import { and, desc, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import type { Role } from "../api/auth/principal.ts";
import { HubError } from "../errors.ts";
import type { Db, Tx } from "./db.ts";
import { type AuditRow, auditLog } from "./schema-auth.ts";

export type AuditOutcome = "success" | "denied" | "failed";

/** One audit row as callers describe it; `recordAudit` writes it. */
export interface AuditEntry {
  at: Date;
  /** Who: the principal's subject (`anonymous` when authentication failed), role and own tenant. */
  subject: string;
  role: Role | null;
  tenant: string | null;
  /** An `Action` (`workloads:write`), or `<METHOD> <path>` for a refused call that named none. */
  action: string;
  object?: { kind: string; name?: string | null; tenant?: string | null };
  outcome: AuditOutcome;
  /** The HTTP status the caller got. */
  status: number;
  requestId?: string | null;
  detail?: Record<string, unknown>;
}

const rowOf = (e: AuditEntry) => ({
  at: e.at,
  subject: e.subject,
  role: e.role,
  tenant: e.tenant,
  action: e.action,
  objectKind: e.object?.kind ?? null,
  objectName: e.object?.name ?? null,
  objectTenant: e.object?.tenant ?? null,
  outcome: e.outcome,
  status: e.status,
  requestId: e.requestId ?? null,
  detail: e.detail ?? null,
});

/**
 * Write an audit row inside the caller's transaction, so a change and the row describing it commit (or
 * roll back) together. Pass the `tx` of the store transaction making the change.
 */
export const recordAudit = async (tx: Tx | Db, entry: AuditEntry): Promise<void> => {
  await tx.insert(auditLog).values(rowOf(entry));
};

/**
 * One entry as a row of a `values` list, after the uid of the workload it belongs to: (uid, at, subject, role,
 * tenant, action, object_kind, object_name, object_tenant, outcome, status, request_id, detail), each typed.
 */
export const auditTuple = (uid: string, e: AuditEntry): SQL => {
  const r = rowOf(e);
  return sql`(${uid}::text, ${r.at.toISOString()}::timestamptz, ${r.subject}::text, ${r.role}::text, ${r.tenant}::text,
    ${r.action}::text, ${r.objectKind}::text, ${r.objectName}::text, ${r.objectTenant}::text, ${r.outcome}::text,
    ${r.status}::int, ${r.requestId}::text, ${r.detail === null ? null : JSON.stringify(r.detail)}::jsonb)`;
};

/** Several entries in one statement (a group commit's). */
export const recordAudits = async (tx: Tx | Db, entries: readonly AuditEntry[]): Promise<void> => {
  if (entries.length > 0) await tx.insert(auditLog).values(entries.map(rowOf));
};

export interface AuditFilter {
  subject?: string;
  /** Rows whose caller belongs to this tenant or whose object does. */
  tenant?: string;
  action?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  limit: number;
  /** The `continue` of the previous page. */
  continue?: string;
}

export interface AuditPage {
  items: AuditRow[];
  /** Present when there may be more: pass it back as `continue` for the next (older) page. */
  continue?: string;
}

// The cursor is the last row's id; opaque to callers so the order's key can change without breaking them.
const encodeCursor = (id: number): string => Buffer.from(`audit:${id}`, "utf8").toString("base64url");
const decodeCursor = (token: string): number => {
  const m = /^audit:(\d{1,15})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m?.[1]) {
    throw new HubError("validation_failed", "continue is not a token this hub handed out", [
      { field: "continue", message: "must be the continue value of a previous page" },
    ]);
  }
  return Number(m[1]);
};

/** The audit log: written by `recordAudit` and the refusal middleware, read newest first, page by page. */
export const auditRepository = (db: Db) => ({
  /** A row outside any change: refused calls, where nothing else is written. */
  record: (entry: AuditEntry): Promise<void> => recordAudit(db, entry),

  async list(filter: AuditFilter): Promise<AuditPage> {
    const where: (SQL | undefined)[] = [
      filter.subject === undefined ? undefined : eq(auditLog.subject, filter.subject),
      filter.tenant === undefined
        ? undefined
        : or(eq(auditLog.tenant, filter.tenant), eq(auditLog.objectTenant, filter.tenant)),
      filter.action === undefined ? undefined : eq(auditLog.action, filter.action),
      filter.outcome === undefined ? undefined : eq(auditLog.outcome, filter.outcome),
      filter.from === undefined ? undefined : gte(auditLog.at, filter.from),
      filter.to === undefined ? undefined : lt(auditLog.at, filter.to),
      filter.continue === undefined ? undefined : lt(auditLog.id, decodeCursor(filter.continue)),
    ];
    const rows = await db
      .select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(filter.limit + 1);
    const items = rows.slice(0, filter.limit);
    const last = items.at(-1);
    return rows.length > filter.limit && last ? { items, continue: encodeCursor(last.id) } : { items };
  },
});
export type AuditRepository = ReturnType<typeof auditRepository>;
