import { getTableColumns, inArray, type SQL, type SQLWrapper, sql, type Table } from "drizzle-orm";
import type { PlacementChange } from "./placing.ts";
import {
  clusters,
  costLedger,
  decisions,
  events,
  outbox,
  placements,
  reservations,
  type WorkloadRow,
  workloads,
} from "./schema.ts";
import { storedDecision } from "./stored-decision.ts";
import { nextRv, type Tx } from "./tx.ts";

/**
 * A query builder's statement, unparenthesised: embedded as it is, drizzle wraps it in parentheses (as a subquery),
 * which PostgreSQL refuses for an insert in a WITH clause. Every drizzle builder is an SQLWrapper at run time.
 */
const statement = (q: SQLWrapper): SQL => q.getSQL();

/** One workload's placement as `placeMany` decided to write it. */
export interface PlacementPlan {
  w: WorkloadRow;
  change: PlacementChange;
  /** Its other clusters' placements keep running (drain-back, a service failing over) instead of retiring. */
  keepOld: boolean;
  generation: number;
}

/**
 * An upsert's `set` that makes the stored row the new one: every column but the key takes the inserted row's value,
 * defaults included (a replaced placement's status, routing and the rest start again, as a deleted and inserted one
 * did).
 */
const replacingAllBut = (table: Table, key: readonly string[]): Record<string, SQL> =>
  Object.fromEntries(
    Object.entries(getTableColumns(table))
      .filter(([name]) => !key.includes(name))
      .map(([name, column]) => [name, sql.raw(`excluded.${JSON.stringify(column.name)}`)]),
  );
const replacePlacement = replacingAllBut(placements, ["uid", "cluster"]);
const replaceReservation = replacingAllBut(reservations, ["uid", "cluster"]);

/**
 * Everything a batch of placements writes, as one statement of data-modifying CTEs: the workloads' new phase and
 * generation, their decisions, placement rows (the target clusters' replaced, the others retired or kept), egress
 * cost, reservations, events, and the touched clusters' revision bump and outbox rows. It had been eleven statements,
 * each a round trip that on the fleet benchmark's busy cores waited 5–25 ms; the pass's placements reach the agents
 * only after the commit. The sub-statements touch disjoint rows (a placement is either a target, upserted, or retired),
 * as one statement requires: it cannot change a row twice.
 */
export const placementWrites = (
  tx: Tx,
  plans: readonly PlacementPlan[],
  previousOf: ReadonlyMap<string, readonly string[]>,
): SQL => {
  const parts: SQL[] = [];
  const rows = sql.join(
    plans.map(({ w, change, generation }) => {
      const moves = !change.keepOld;
      return sql`(${w.uid}, ${moves ? "Placed" : null}::text, ${moves ? change.decision.summary : null}::text,
        ${moves ? change.at.toISOString() : null}::timestamptz, ${change.decisionId}::text, ${generation}::int,
        ${change.policy ?? null}::text, ${change.pool ?? null}::text, ${change.poolNote ?? null}::text,
        ${change.at.toISOString()}::timestamptz)`;
    }),
    sql`, `,
  );
  // A drain-back (keepOld) keeps its phase, message and placedAt: null there means "leave as it is".
  parts.push(sql`update ${workloads} set
      phase = coalesce(v.phase, ${workloads.phase}), message = coalesce(v.message, ${workloads.message}),
      placed_at = coalesce(v.placed_at, ${workloads.placedAt}), decision_id = v.decision_id,
      generation = v.generation, policy = v.policy, pool = v.pool, pool_note = v.pool_note,
      updated_at = v.updated_at, rv = ${nextRv}
    from (values ${rows}) as v(uid, phase, message, placed_at, decision_id, generation, policy, pool, pool_note, updated_at)
    where ${workloads.uid} = v.uid`);
  parts.push(
    statement(
      tx.insert(decisions).values(
        plans.map(({ w, change }) => ({
          id: change.decisionId,
          uid: w.uid,
          tenant: w.tenant,
          workload: w.name,
          decision: storedDecision(change.decision),
          feasible: true,
          createdAt: change.at,
        })),
      ),
    ),
  );
  const newRows = plans.flatMap(({ w, change, generation }) =>
    change.decision.assignments.map((a) => ({
      uid: w.uid,
      cluster: a.cluster,
      tenant: w.tenant,
      workload: w.name,
      replicas: a.replicas,
      generation,
      decisionId: change.decisionId,
      spot: a.spot,
      gpuModel: a.gpuModel ?? null,
      pricePerGpuHour: a.pricePerGpuHour,
      staging: change.staging?.get(a.cluster) ?? [],
      gpusPerReplica: w.manifest.spec.resources.gpu.count,
      pool: change.pool ?? null,
      policy: change.policy ?? null,
      createdAt: change.at,
    })),
  );
  // The target clusters' rows are replaced; a moving workload's other rows retire, a draining one's keep running.
  if (newRows.length > 0) {
    parts.push(
      statement(
        tx
          .insert(placements)
          .values(newRows)
          .onConflictDoUpdate({ target: [placements.uid, placements.cluster], set: replacePlacement }),
      ),
    );
  }
  const targets = new Set(newRows.map((r) => `${r.uid}\u0000${r.cluster}`));
  const retiring = plans
    .filter((p) => !p.keepOld)
    .flatMap(({ w }) => (previousOf.get(w.uid) ?? []).map((cluster) => ({ uid: w.uid, cluster })))
    .filter((p) => !targets.has(`${p.uid}\u0000${p.cluster}`));
  if (retiring.length > 0) {
    const pairs = sql.join(
      retiring.map((p) => sql`(${p.uid}::text, ${p.cluster}::text)`),
      sql`, `,
    );
    parts.push(sql`update ${placements} set active = false from (values ${pairs}) as v(uid, cluster)
      where ${placements.uid} = v.uid and ${placements.cluster} = v.cluster`);
  }
  // Moving data is paid once, when the placement is made; split it by replicas.
  const egress = plans.flatMap(({ w, change }) => {
    const { decision } = change;
    const totalReplicas = decision.assignments.reduce((n, a) => n + a.replicas, 0);
    if (!(decision.estimatedCost.egress > 0) || totalReplicas === 0) return [];
    return decision.assignments.map((a) => ({
      uid: w.uid,
      workload: w.name,
      tenant: w.tenant,
      cluster: a.cluster,
      pool: change.pool ?? null,
      policy: change.policy ?? null,
      kind: "egress" as const,
      usd: (decision.estimatedCost.egress * a.replicas) / totalReplicas,
      startAt: change.at,
      endAt: change.at,
    }));
  });
  if (egress.length > 0) parts.push(statement(tx.insert(costLedger).values(egress)));
  // The workloads' reservations are replaced as their placements are: upserted, and the ones no longer held deleted.
  const held = plans.flatMap(({ w, change, generation }) =>
    change.reservations.map((r) => ({
      uid: w.uid,
      cluster: r.cluster,
      generation,
      nodes: r.nodes,
      createdAt: change.at,
    })),
  );
  const heldKeys = held.map((r) => sql`(${r.uid}::text, ${r.cluster}::text)`);
  parts.push(
    sql`delete from ${reservations} where ${inArray(
      reservations.uid,
      plans.map((p) => p.w.uid),
    )}${heldKeys.length > 0 ? sql` and (${reservations.uid}, ${reservations.cluster}) not in (values ${sql.join(heldKeys, sql`, `)})` : sql``}`,
  );
  if (held.length > 0) {
    parts.push(
      statement(
        tx
          .insert(reservations)
          .values(held)
          .onConflictDoUpdate({
            target: [reservations.uid, reservations.cluster],
            set: replaceReservation,
          }),
      ),
    );
  }
  parts.push(
    statement(
      tx.insert(events).values(
        plans.map(({ w, change }) => ({
          uid: w.uid,
          tenant: w.tenant,
          workload: w.name,
          cluster: null,
          type: "Normal" as const,
          reason: change.reason ?? "Placed",
          message: (change.poolNote
            ? `${change.decision.summary} (${change.poolNote})`
            : change.decision.summary
          ).slice(0, 2_000),
          at: change.at,
        })),
      ),
    ),
  );
  // Each touched cluster's desired-state revision grows and a publish is queued (as `touchClusters` does).
  const touched = [
    ...new Set(
      plans.flatMap(({ w, change }) => [
        ...(previousOf.get(w.uid) ?? []),
        ...change.decision.assignments.map((a) => a.cluster),
      ]),
    ),
  ].sort();
  if (touched.length > 0) {
    parts.push(
      sql`update ${clusters} set revision = ${clusters.revision} + 1 where ${inArray(clusters.name, touched)}`,
    );
    parts.push(statement(tx.insert(outbox).values(touched.map((cluster) => ({ cluster })))));
  }
  const ctes = sql.join(
    parts.map((p, i) => sql`${sql.raw(`w${i}`)} as (${p})`),
    sql`, `,
  );
  return sql`with ${ctes} select 1`;
};
