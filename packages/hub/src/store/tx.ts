import { eq, inArray, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { clusters, events, hubLeases, outbox } from "./schema.ts";

/** A transaction handle, as drizzle passes it to `db.transaction(async (tx) => …)`. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Raised inside a leader's transaction when a newer leader exists: the write is refused, the caller steps down. */
export class FencedError extends Error {
  readonly code = "fenced";
  constructor(
    readonly epoch: number,
    readonly current: number | undefined,
  ) {
    super(`leader epoch ${epoch} is fenced off: the lease is at epoch ${current ?? "none"}`);
    this.name = "FencedError";
  }
}

/** The lease name every leader-only write is fenced by. */
export const LEADER_LEASE = "leader";

/**
 * Refuse the caller's transaction unless `epoch` is still the leader's. The row lock (FOR SHARE) holds off a takeover
 * until this transaction ends, so the check stays true for every write in it. `undefined` skips the check (a write any
 * replica may make).
 */
export const assertEpoch = async (tx: Tx, epoch: number | undefined): Promise<void> => {
  if (epoch === undefined) return;
  const rows = await tx
    .select({ epoch: hubLeases.epoch })
    .from(hubLeases)
    .where(eq(hubLeases.name, LEADER_LEASE))
    .for("share");
  const current = rows[0]?.epoch;
  if (current !== epoch) throw new FencedError(epoch, current);
};

/** Bump each cluster's desired-state revision and queue a publish, inside the caller's transaction. */
export const touchClusters = async (tx: Tx, names: Iterable<string>): Promise<void> => {
  const unique = [...new Set(names)].sort();
  if (unique.length === 0) return;
  await tx
    .update(clusters)
    .set({ revision: sql`${clusters.revision} + 1` })
    .where(inArray(clusters.name, unique));
  await tx.insert(outbox).values(unique.map((cluster) => ({ cluster })));
};

/** The next resource version (see `workloads.rv`). */
export const nextRv = sql`nextval('gantry_rv')`;

export interface EventInput {
  uid: string;
  tenant: string;
  workload: string;
  cluster?: string | null;
  type?: "Normal" | "Warning";
  reason: string;
  message: string;
  at: Date;
}

const eventRow = (e: EventInput) => ({
  uid: e.uid,
  tenant: e.tenant,
  workload: e.workload,
  cluster: e.cluster ?? null,
  type: e.type ?? "Normal",
  reason: e.reason,
  message: e.message.slice(0, 2_000),
  at: e.at,
});

/** Record what happened to a workload, in the transaction that made it happen. */
export const recordEvent = async (tx: Tx, e: EventInput): Promise<void> => {
  await tx.insert(events).values(eventRow(e));
};

/** Several events in one statement. */
export const recordEvents = async (tx: Tx, list: readonly EventInput[]): Promise<void> => {
  if (list.length === 0) return;
  await tx.insert(events).values(list.map(eventRow));
};
