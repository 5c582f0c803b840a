import { getTableColumns, type SQL, sql } from "drizzle-orm";
import { grouped } from "../util/serial.ts";
import { type AuditEntry, auditTuple } from "./audit.ts";
import type { Db } from "./db.ts";
import { events, type WorkloadRow, workloads } from "./schema.ts";
import { auditLog } from "./schema-auth.ts";

/** A submission's rows, ready to insert. */
export interface NewSubmission {
  values: {
    uid: string;
    tenant: string;
    name: string;
    manifest: WorkloadRow["manifest"];
    specHash: string;
    idempotencyKey: string | null;
    phase: WorkloadRow["phase"];
    message: string;
    priority: number;
    createdAt: Date;
    updatedAt: Date;
  };
  audit?: AuditEntry;
}

const columns = Object.entries(getTableColumns(workloads));

/** A `workloads` row as the database returned it (column names, driver values) in the shape drizzle reads it. */
const decodeWorkload = (raw: Record<string, unknown>): WorkloadRow => {
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as WorkloadRow;
};

const workloadTuple = ({ values: v }: NewSubmission): SQL =>
  sql`(${v.uid}::text, ${v.tenant}::text, ${v.name}::text, ${JSON.stringify(v.manifest)}::jsonb, ${v.specHash}::text,
    ${v.idempotencyKey}::text, ${v.phase}::text, ${v.message}::text, ${v.priority}::int,
    ${v.createdAt.toISOString()}::timestamptz, ${v.updatedAt.toISOString()}::timestamptz)`;

/**
 * The submissions' workload rows, their "Submitted" events and their audit rows, as one statement: the events and
 * audit rows of a submission whose name or idempotency key was taken are not written, because they are inserted
 * from what the workload insert returned. It had been a transaction of five round trips (begin, three inserts,
 * commit); on a hub whose event loop and database share two busy cores each round trip waits its turn twice (the
 * fleet benchmark saw 5–25 ms each), and the submit's 201 waits for all of them.
 */
export const insertSubmissions = async (db: Db, items: readonly NewSubmission[]): Promise<WorkloadRow[]> => {
  const audits = items.flatMap((i) => (i.audit ? [auditTuple(i.values.uid, i.audit)] : []));
  const audited =
    audits.length === 0
      ? sql``
      : sql`, audited as (
          insert into ${auditLog} (at, subject, role, tenant, action, object_kind, object_name, object_tenant, outcome,
            status, request_id, detail)
          select a.at, a.subject, a.role, a.tenant, a.action, a.object_kind, a.object_name, a.object_tenant, a.outcome,
            a.status, a.request_id, a.detail
          from (values ${sql.join(audits, sql`, `)}) as a(uid, at, subject, role, tenant, action, object_kind,
            object_name, object_tenant, outcome, status, request_id, detail)
          join inserted using (uid))`;
  const result = await db.execute(sql`
    with inserted as (
      insert into ${workloads} (uid, tenant, name, manifest, spec_hash, idempotency_key, phase, message, priority,
        created_at, updated_at)
      values ${sql.join(items.map(workloadTuple), sql`, `)}
      on conflict do nothing
      returning ${sql.join(
        columns.map(([, c]) => sql.identifier(c.name)),
        sql`, `,
      )}
    ), submitted as (
      insert into ${events} (uid, tenant, workload, cluster, type, reason, message, at)
      select uid, tenant, name, null, 'Normal', 'Submitted', 'accepted', created_at from inserted
    )${audited}
    select * from inserted`);
  return (result as unknown as { rows: Record<string, unknown>[] }).rows.map(decodeWorkload);
};

/**
 * Submissions' inserts, grouped: while one statement writes, the submissions that arrive meanwhile wait and then
 * share the next one. One submission alone is written at once. Returns, per submission, its row, or undefined where
 * the name (or the idempotency key) was taken — by a stored workload or by an earlier one in the same batch.
 */
export const submissionWriter = (db: Db) =>
  grouped(
    async (items: NewSubmission[]): Promise<(WorkloadRow | undefined)[]> => {
      const byUid = new Map((await insertSubmissions(db, items)).map((r) => [r.uid, r]));
      return items.map((i) => byUid.get(i.values.uid));
    },
    // A batch per pool connection or two: the rest of the hub (status writes, the scheduler) keeps connections.
    { maxBatch: 100, concurrency: 2 },
  );
