import pg from "pg";
import type { HubProcess } from "../../support/processes.ts";
import type { FaultStack } from "./stack.ts";

/**
 * Agents' leases must outlast a leader handover (lease TTL 4 s + renew 1 s + the new leader's first ack), or every
 * job would be fenced whenever the leader changes: 15 s here.
 */
export const HA_ENV = { GANTRY_FENCE_AFTER_MS: "15000", GANTRY_FAILOVER_AFTER_MS: "20000" };

/** Read the leader lease straight from PostgreSQL (not through a hub). */
export const leaseRow = async (url: string): Promise<{ holder: string; epoch: number }> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ holder: string; epoch: number }>(
      "select holder, epoch from hub_leases where name = 'leader'",
    );
    const row = r.rows[0];
    if (!row) throw new Error("no leader lease row");
    return { holder: row.holder, epoch: Number(row.epoch) };
  } finally {
    await c.end();
  }
};

/** Backends inside a leader-fenced transaction: they hold the lease row FOR SHARE (RowShareLock on hub_leases). */
const fencedTransactions = async (c: pg.Client): Promise<number> =>
  (
    await c.query(
      "select count(*)::int as n from pg_locks l join pg_class r on r.oid = l.relation where r.relname = 'hub_leases' and l.mode = 'RowShareLock' and l.granted",
    )
  ).rows[0].n as number;

/**
 * SIGSTOP the leader while it is inside a fenced transaction (the worst moment: it holds the lease row against its
 * successor). Polls pg_locks and pauses on sight; tries again if the transaction ended before the signal landed.
 */
export const pauseInsideTransaction = async (
  s: FaultStack,
  leader: HubProcess,
  timeoutMs = 30_000,
): Promise<{ inside: boolean; at: number }> => {
  const c = new pg.Client({ connectionString: s.pgdb!.url });
  await c.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await fencedTransactions(c)) === 0) continue;
      const at = Date.now();
      await s.pauseHub(leader);
      if ((await fencedTransactions(c)) > 0) return { inside: true, at };
      await s.resumeHub(leader);
    }
    const at = Date.now();
    await s.pauseHub(leader);
    return { inside: false, at };
  } finally {
    await c.end();
  }
};

/** Placed events per workload: more than one without a failover is a double placement. */
export const placedEvents = async (s: FaultStack): Promise<Map<string, number>> => {
  const out = new Map<string, number>();
  for (const a of s.ledger.accepted) {
    const r = await s.api.events(a.tenant, a.name);
    out.set(`${a.tenant}/${a.name}`, r.status === 200 ? r.body.items.filter((e) => e.reason === "Placed").length : -1);
  }
  return out;
};
